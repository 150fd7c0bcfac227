"""Whether the broker answers, said so a person can start one."""

import sys

from services.common.broker_uri import redacted


def safe_uri(uri: str) -> str:
    """The URI without its password (at each node a cluster's URI names), for messages."""
    return redacted(uri)


def unreachable(uri: str) -> str | None:
    """None when RabbitMQ answers at ``uri``; else one line saying how to start one (no
    password shown)."""
    import kombu
    try:
        with kombu.Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return None
    except Exception as exc:
        return (f"RabbitMQ does not answer at {safe_uri(uri)} ({type(exc).__name__}): start one "
                "(Debian: apt-get install rabbitmq-server, then rabbitmq-server -detached; or "
                "docker run -d -p 5672:5672 rabbitmq:3-management) or point AMQP_URI at yours")


def check_broker(uri: str) -> bool:
    """True when RabbitMQ answers at ``uri``; else say how to start one, in one line."""
    problem = unreachable(uri)
    if problem:
        print(problem, file=sys.stderr)
    return problem is None
