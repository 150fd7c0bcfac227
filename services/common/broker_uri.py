"""An ``AMQP_URI`` that names one broker or several nodes of one RabbitMQ cluster.

Several nodes are written as kombu's failover URL, each node's URI separated by ``;``:
``amqp://u:p@node1:5672/refnet;amqp://u:p@node2:5672/refnet;amqp://u:p@node3:5672/refnet``.
kombu (and so nameko and every connection of the gateway) tries them in turn, so a client
whose node died connects to one still running. Every part names the same user and vhost; the
helpers here read them from the first part and change them in every part.
"""

import urllib.parse


def alternates(uri: str) -> list[str]:
    """Each node's URI, in the order clients try them."""
    return [part.strip() for part in uri.split(";") if part.strip()]


def join(uris: list[str]) -> str:
    """The failover URL of several nodes' URIs (one URI stays as it is)."""
    return ";".join(uris)


def vhost(uri: str) -> str:
    """The virtual host the URI names (``/`` when none)."""
    return urllib.parse.unquote(urllib.parse.urlsplit(alternates(uri)[0]).path[1:]) or "/"


def credentials(uri: str) -> tuple[str, str]:
    """The user and password the URI names (guest's when none)."""
    parts = urllib.parse.urlsplit(alternates(uri)[0])
    return (urllib.parse.unquote(parts.username or "guest"),
            urllib.parse.unquote(parts.password or "guest"))


def hostname(uri: str) -> str:
    """The host of the first node (``127.0.0.1`` when none)."""
    return urllib.parse.urlsplit(alternates(uri)[0]).hostname or "127.0.0.1"


def with_user(uri: str, user: str, password: str) -> str:
    """The URI with ``user`` and ``password`` in place of its own, in every node's part."""
    def one(part: str) -> str:
        parts = urllib.parse.urlsplit(part)
        netloc = (f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}"
                  f"@{parts.hostname or '127.0.0.1'}:{parts.port or 5672}")
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return join([one(part) for part in alternates(uri)])


def redacted(uri: str) -> str:
    """The URI without its passwords (nor users), for messages and logs."""
    def one(part: str) -> str:
        if "@" in part and "://" in part:
            scheme, rest = part.split("://", 1)
            return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
        return part
    return join([one(part) for part in alternates(uri)])


def of_nodes(ports: list[int], vhost_name: str, user: str = "guest", password: str = "guest",
             host: str = "127.0.0.1") -> str:
    """The failover URL of nodes listening on ``ports`` of ``host``, on ``vhost_name``."""
    path = urllib.parse.quote(vhost_name, safe="")
    auth = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}"
    return join([f"amqp://{auth}@{host}:{port}/{path}" for port in ports])
