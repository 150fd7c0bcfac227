"""Each process kind's own broker user (``services.contracts.broker_users``): made by
``refnet broker-setup`` through RabbitMQ's management API as the administrator of ``AMQP_URI``,
and named in the AMQP URI ``refnet up`` gives each process."""

import base64
import hashlib
import json
import os
import subprocess
import urllib.parse

import requests

from services.common import broker_uri
from services.contracts import broker_users

PASSWORD = "REFNET_BROKER_PASSWORD_{}"


def passwords(environ) -> dict[str, str]:
    """The kinds whose broker password is set, with it."""
    found = {kind: environ.get(PASSWORD.format(kind.upper())) for kind in broker_users.KINDS}
    return {kind: password for kind, password in found.items() if password}


def uri_for(amqp_uri: str, kind: str, password: str) -> str:
    """``amqp_uri`` with the kind's user and password in place of the administrator's (at
    every node a cluster's ``AMQP_URI`` names)."""
    return broker_uri.with_user(amqp_uri, broker_users.user_name(kind), password)


def process_uris(environ) -> dict[str, str]:
    """The AMQP URI of each kind that has a broker password (the others keep ``AMQP_URI``)."""
    base = environ.get("AMQP_URI", "")
    return {kind: uri_for(base, kind, password) for kind, password in passwords(environ).items()}


def management_url(amqp_uri: str, given: str | None) -> str:
    """The management API: ``given``, else port 15672 of the (first) broker's host."""
    if given:
        return given.rstrip("/")
    return f"http://{broker_uri.hostname(amqp_uri)}:15672"


def create(amqp_uri: str, management: str, kind_passwords: dict[str, str]) -> list[str]:
    """Create (or update) each kind's user on ``amqp_uri``'s vhost with its permissions, as the
    URI's user, through the management API; where it does not answer (a local broker without
    the management plugin), with ``rabbitmqctl``. The names made. Raises when the broker
    refuses (``requests.HTTPError``, ``subprocess.CalledProcessError``)."""
    auth = broker_uri.credentials(amqp_uri)
    vhost = broker_uri.vhost(amqp_uri)
    try:
        requests.get(f"{management}/api/overview", auth=auth, timeout=5)
    except requests.ConnectionError:
        import_definitions(definitions(vhost, kind_passwords))
    else:
        for kind, password in kind_passwords.items():
            _by_management(management, auth, vhost, broker_users.user_name(kind), password, kind)
    return [broker_users.user_name(kind) for kind in kind_passwords]


def definitions(vhost: str, kind_passwords: dict[str, str], name=broker_users.user_name) -> dict:
    """RabbitMQ's definitions of each kind's user (``name(kind)``) with its password's hash, its
    permissions and topic permissions on ``vhost``."""
    return {
        "users": [{"name": name(kind), "password_hash": password_hash(password),
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}
                  for kind, password in kind_passwords.items()],
        "permissions": [{"user": name(kind), "vhost": vhost, **broker_users.permissions(kind)}
                        for kind in kind_passwords],
        "topic_permissions": [{"user": name(kind), "vhost": vhost, "exchange": exchange, **keys}
                              for kind in kind_passwords
                              for exchange, keys in broker_users.topic_permissions(kind).items()],
    }


def password_hash(password: str) -> str:
    """RabbitMQ's stored form of a password (``rabbit_password_hashing_sha256``, its default):
    base64 of a 4-byte salt followed by SHA-256 of the salt and the password."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def import_definitions(definitions: dict) -> None:
    """Vhosts, users, permissions and topic permissions (RabbitMQ's definitions format, each key
    optional) created or updated in ONE ``rabbitmqctl`` call, where one call per object would
    start an Erlang VM each (~0.5 s, seconds on a busy machine): for a broker without the
    management plugin. The definitions (password hashes, never a password) go through
    standard input."""
    subprocess.run(["rabbitmqctl", "-q", "import_definitions", "--format", "json"],
                   input=json.dumps(definitions), text=True, check=True, capture_output=True,
                   timeout=120)


def _by_management(management: str, auth, vhost: str, name: str, password: str, kind: str):
    user, vhost = urllib.parse.quote(name, safe=""), urllib.parse.quote(vhost, safe="")
    calls = [(f"users/{user}", {"password": password, "tags": ""}),
             (f"permissions/{vhost}/{user}", broker_users.permissions(kind))]
    calls += [(f"topic-permissions/{vhost}/{user}", {"exchange": exchange, **keys})
              for exchange, keys in broker_users.topic_permissions(kind).items()]
    for path, body in calls:
        requests.put(f"{management}/api/{path}", json=body, auth=auth, timeout=10).raise_for_status()
