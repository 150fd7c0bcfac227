"""Each process kind's own broker user (``services.contracts.broker_users``): made by
``refnet broker-setup`` through RabbitMQ's management API as the administrator of ``AMQP_URI``,
and named in the AMQP URI ``refnet up`` gives each process."""

import subprocess
import urllib.parse

import requests

from services.contracts import broker_users

PASSWORD = "REFNET_BROKER_PASSWORD_{}"


def passwords(environ) -> dict[str, str]:
    """The kinds whose broker password is set, with it."""
    found = {kind: environ.get(PASSWORD.format(kind.upper())) for kind in broker_users.KINDS}
    return {kind: password for kind, password in found.items() if password}


def uri_for(amqp_uri: str, kind: str, password: str) -> str:
    """``amqp_uri`` with the kind's user and password in place of the administrator's."""
    parts = urllib.parse.urlsplit(amqp_uri)
    host = parts.hostname or "127.0.0.1"
    netloc = (f"{urllib.parse.quote(broker_users.user_name(kind), safe='')}:"
              f"{urllib.parse.quote(password, safe='')}@{host}:{parts.port or 5672}")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def process_uris(environ) -> dict[str, str]:
    """The AMQP URI of each kind that has a broker password (the others keep ``AMQP_URI``)."""
    base = environ.get("AMQP_URI", "")
    return {kind: uri_for(base, kind, password) for kind, password in passwords(environ).items()}


def management_url(amqp_uri: str, given: str | None) -> str:
    """The management API: ``given``, else port 15672 of the broker's host."""
    if given:
        return given.rstrip("/")
    return f"http://{urllib.parse.urlsplit(amqp_uri).hostname or '127.0.0.1'}:15672"


def create(amqp_uri: str, management: str, kind_passwords: dict[str, str]) -> list[str]:
    """Create (or update) each kind's user on ``amqp_uri``'s vhost with its permissions, as the
    URI's user, through the management API; where it does not answer (a local broker without
    the management plugin), with ``rabbitmqctl``. The names made. Raises when the broker
    refuses (``requests.HTTPError``, ``subprocess.CalledProcessError``)."""
    parts = urllib.parse.urlsplit(amqp_uri)
    auth = (urllib.parse.unquote(parts.username or "guest"),
            urllib.parse.unquote(parts.password or "guest"))
    vhost = urllib.parse.unquote(parts.path[1:]) or "/"
    try:
        requests.get(f"{management}/api/overview", auth=auth, timeout=5)
        make = _by_management
    except requests.ConnectionError:
        make = _by_rabbitmqctl
    for kind, password in kind_passwords.items():
        make(management, auth, vhost, broker_users.user_name(kind), password, kind)
    return [broker_users.user_name(kind) for kind in kind_passwords]


def _by_management(management: str, auth, vhost: str, name: str, password: str, kind: str):
    user, vhost = urllib.parse.quote(name, safe=""), urllib.parse.quote(vhost, safe="")
    calls = [(f"users/{user}", {"password": password, "tags": ""}),
             (f"permissions/{vhost}/{user}", broker_users.permissions(kind))]
    calls += [(f"topic-permissions/{vhost}/{user}", {"exchange": exchange, **keys})
              for exchange, keys in broker_users.topic_permissions(kind).items()]
    for path, body in calls:
        requests.put(f"{management}/api/{path}", json=body, auth=auth, timeout=10).raise_for_status()


def _by_rabbitmqctl(_management, _auth, vhost: str, name: str, password: str, kind: str):
    def ctl(*args: str, check: bool = True):
        return subprocess.run(["rabbitmqctl", "-q", *args], check=check, capture_output=True,
                              timeout=120)
    # "--" ends the options: a generated password may begin with "-" (token_urlsafe)
    if ctl("add_user", "--", name, password, check=False).returncode:  # there already: new password
        ctl("change_password", "--", name, password)
    granted = broker_users.permissions(kind)
    ctl("set_permissions", "-p", vhost, name, granted["configure"], granted["write"], granted["read"])
    for exchange, keys in broker_users.topic_permissions(kind).items():
        ctl("set_topic_permissions", "-p", vhost, name, exchange, keys["write"], keys["read"])
