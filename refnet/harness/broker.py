"""A fresh RabbitMQ virtual host per test session, so tests never meet a running `make up`
network (or each other) on the same broker; and the named vhost, users and policies a
deployed configuration declares (``refnet.harness.deployed``)."""

import json
import subprocess
import urllib.parse
import uuid

import requests

from refnet.local import broker_users as local_users
from refnet.local.broker_users import import_definitions
from services.common import broker_uri
from services.contracts import broker_users

from .settings import VALUES

BASE_URI = VALUES.test_amqp_uri
MANAGEMENT = VALUES.test_rabbit_management


def credentials() -> tuple:
    """The broker user, password and parsed base URI."""
    parsed = urllib.parse.urlparse(BASE_URI)
    return parsed.username or "guest", parsed.password or "guest", parsed


def create_vhost(prefix: str = "refnet-test") -> tuple[str, str]:
    """Create a vhost; return (name, amqp uri). Management API first, then rabbitmqctl."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    user, password, parsed = credentials()
    try:
        quoted = urllib.parse.quote(name, safe="")
        requests.put(f"{MANAGEMENT}/api/vhosts/{quoted}", auth=(user, password), timeout=5).raise_for_status()
        requests.put(f"{MANAGEMENT}/api/permissions/{quoted}/{user}", auth=(user, password), timeout=5,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    except requests.RequestException:
        import_definitions({"vhosts": [{"name": name}],
                            "permissions": [{"user": user, "vhost": name, **ALL}]})
    uri = f"{parsed.scheme}://{user}:{password}@{parsed.hostname}:{parsed.port or 5672}/{urllib.parse.quote(name, safe='')}"
    return name, uri


def delete_vhost(name: str) -> None:
    """Delete a vhost and everything in it, and its per-kind users (``kind_users``):
    ``delete_users_and_vhosts``."""
    delete_users_and_vhosts([kind_user_name(name, kind) for kind in broker_users.KINDS], [name])


def _erlang_binaries(names: list[str]) -> str:
    """An Erlang list of binaries (UTF-8 bytes, so no name needs quoting)."""
    return "[" + ",".join("<<" + ",".join(str(b) for b in n.encode()) + ">>" for n in names) + "]"


def delete_by_eval(users: list[str] = (), vhosts: list[str] = ()) -> None:
    """Delete broker users, then vhosts, in one ``rabbitmqctl eval``; a missing one is no
    error (each deletion is caught on its own)."""
    acting = _erlang_binaries(["refnet-harness"])
    expression = (f"[Acting] = {acting}, "
                  f"[catch rabbit_auth_backend_internal:delete_user(U, Acting) || U <- {_erlang_binaries(list(users))}], "
                  f"[catch rabbit_vhost:delete(V, Acting) || V <- {_erlang_binaries(list(vhosts))}], ok.")
    subprocess.run(["rabbitmqctl", "-q", "eval", expression], check=False, capture_output=True,
                   timeout=120)


def _management(method: str, path: str, missing_ok: bool = False, **kwargs) -> None:
    """One call to the management API as the harness's broker user; raises when it fails
    (``missing_ok``: not for a 404)."""
    user, password, _ = credentials()
    response = requests.request(method, f"{MANAGEMENT}/api/{path}", auth=(user, password),
                                timeout=10, **kwargs)
    if not (missing_ok and response.status_code == 404):
        response.raise_for_status()


def _rabbitmqctl(*args: str, check: bool = True) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=check, capture_output=True, timeout=120)


def add_vhost(name: str, default_queue_type: str | None = None, description: str = "") -> None:
    """Create the vhost ``name`` as given (a deployed network's fixed name, not a fresh one)."""
    quoted = urllib.parse.quote(name, safe="")
    try:
        body = {"description": description}
        if default_queue_type:
            body["default_queue_type"] = default_queue_type
        _management("PUT", f"vhosts/{quoted}", json=body)
    except requests.RequestException:
        extra = ["--default-queue-type", default_queue_type] if default_queue_type else []
        _rabbitmqctl("add_vhost", name, "--description", description, *extra)


def vhost_description(name: str) -> str | None:
    """A vhost's description ("" for none); None when there is no such vhost."""
    user, password, _ = credentials()
    try:
        response = requests.get(f"{MANAGEMENT}/api/vhosts/{urllib.parse.quote(name, safe='')}",
                                auth=(user, password), timeout=10)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json().get("description") or ""
    except requests.RequestException:
        out = subprocess.run(["rabbitmqctl", "-q", "list_vhosts", "name", "description"],
                             check=True, capture_output=True, text=True, timeout=120).stdout
        rows = dict((line.split("\t") + [""])[:2] for line in out.splitlines()[1:] if line)
        return rows.get(name)


ALL = {"configure": ".*", "write": ".*", "read": ".*"}


def add_user(name: str, password: str, tags: tuple[str, ...], vhosts: tuple[str, ...],
             permissions: dict | None = None, topic_permissions: dict | None = None) -> None:
    """Create a broker user with ``tags`` and ``permissions`` (every one by default) on each
    of ``vhosts``; ``topic_permissions``: ``{exchange: {"write": ..., "read": ...}}``."""
    permissions = permissions or ALL
    try:
        _management_user(name, password, tags, vhosts, permissions, topic_permissions)
    except requests.RequestException:
        # one rabbitmqctl call (definitions create or update: a user made before on this vhost,
        # as the benchmark's several networks on one make it, gets the new password)
        import_definitions({
            "users": [{"name": name, "password_hash": local_users.password_hash(password),
                       "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": list(tags)}],
            "permissions": [{"user": name, "vhost": vhost, **permissions} for vhost in vhosts],
            "topic_permissions": [{"user": name, "vhost": vhost, "exchange": exchange, **keys}
                                  for vhost in vhosts
                                  for exchange, keys in (topic_permissions or {}).items()],
        })


def _management_user(name: str, password: str, tags: tuple[str, ...], vhosts: tuple[str, ...],
                     permissions: dict, topic_permissions: dict | None) -> None:
    """``add_user`` through the management API (its PUTs create or update)."""
    quoted = urllib.parse.quote(name, safe="")
    _management("PUT", f"users/{quoted}", json={"password": password, "tags": ",".join(tags)})
    for vhost in vhosts:
        _management("PUT", f"permissions/{urllib.parse.quote(vhost, safe='')}/{quoted}",
                    json=permissions)
        for exchange, keys in (topic_permissions or {}).items():
            _management("PUT", f"topic-permissions/{urllib.parse.quote(vhost, safe='')}/"
                               f"{quoted}", json={"exchange": exchange, **keys})


def kind_user_name(vhost: str, kind: str) -> str:
    """The harness's broker user of one process kind on one vhost (users are broker-wide)."""
    return f"{vhost}.{kind}"


def kind_users(amqp_uri: str) -> dict[str, str]:
    """One broker user per process kind on ``amqp_uri``'s vhost, with the least-privilege
    permissions a deployment gives it (``services.contracts.broker_users``); the AMQP URI of
    each kind (naming every node ``amqp_uri`` names). Management API first, else every user in
    one ``import_definitions``."""
    vhost = broker_uri.vhost(amqp_uri)
    passwords = {kind: uuid.uuid4().hex for kind in broker_users.KINDS}
    try:
        for kind, password in passwords.items():
            _management_user(kind_user_name(vhost, kind), password, (), (vhost,),
                             broker_users.permissions(kind), broker_users.topic_permissions(kind))
    except requests.RequestException:
        import_definitions(local_users.definitions(
            vhost, passwords, name=lambda kind: kind_user_name(vhost, kind)))
    return {kind: broker_uri.with_user(amqp_uri, kind_user_name(vhost, kind), password)
            for kind, password in passwords.items()}


def delete_users_and_vhosts(users: list[str], vhosts: list[str]) -> None:
    """Delete broker users, then vhosts; a missing one is nothing. Management API first, else
    all of them in one ``rabbitmqctl eval``."""
    try:
        for name in users:
            _management("DELETE", f"users/{urllib.parse.quote(name, safe='')}", missing_ok=True)
        for name in vhosts:
            _management("DELETE", f"vhosts/{urllib.parse.quote(name, safe='')}", missing_ok=True)
    except requests.RequestException:
        delete_by_eval(users=users, vhosts=vhosts)


def set_policy(vhost: str, name: str, pattern: str, definition: dict, priority: int = 0,
               apply_to: str = "all") -> None:
    """A policy on ``vhost``, as an operator's ``Policy`` object declares it."""
    try:
        _management("PUT", f"policies/{urllib.parse.quote(vhost, safe='')}/"
                           f"{urllib.parse.quote(name, safe='')}",
                    json={"pattern": pattern, "definition": definition, "priority": priority,
                          "apply-to": apply_to})
    except requests.RequestException:
        _rabbitmqctl("set_policy", "-p", vhost, "--priority", str(priority), "--apply-to",
                     apply_to, name, pattern, json.dumps(definition))


def connection_users(vhost: str) -> list[str]:
    """The broker user of each client connection open on ``vhost``."""
    try:
        user, password, _ = credentials()
        response = requests.get(f"{MANAGEMENT}/api/vhosts/{urllib.parse.quote(vhost, safe='')}"
                                "/connections", auth=(user, password), timeout=10)
        response.raise_for_status()
        return [c["user"] for c in response.json()]
    except requests.RequestException:
        out = subprocess.run(["rabbitmqctl", "-q", "list_connections", "user", "vhost"],
                             check=True, capture_output=True, text=True, timeout=120).stdout
        rows = [line.split("\t") for line in out.splitlines()[1:] if "\t" in line]
        return [row[0] for row in rows if row[1] == vhost]
