"""Whether the broker answers, said so a person can start one."""

import sys


def safe_uri(uri: str) -> str:
    """The URI without its password, for messages."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return uri


def check_broker(uri: str) -> bool:
    """True when RabbitMQ answers at ``uri``; else say how to start one (no password shown)."""
    import kombu
    try:
        with kombu.Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception as exc:
        print(f"RabbitMQ does not answer at {safe_uri(uri)} ({type(exc).__name__}).\n"
              "Start one, for example:\n"
              "  rabbitmq-server -detached            (Debian: apt-get install rabbitmq-server)\n"
              "  docker run -d -p 5672:5672 rabbitmq:3-management\n"
              "or point AMQP_URI at yours.", file=sys.stderr)
        return False
