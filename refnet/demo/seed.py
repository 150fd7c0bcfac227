"""``refnet seed-demo``'s work: the demo facility and its beds (through the shelter service's
RPC, with the gateway's kombu client), a bearer token for each demo user, and one person per
role who signs in to the web pages."""

import json
import os
from pathlib import Path

from .data import CAPACITY, FACILITY, USERS


def admin() -> dict:
    """The demo administrator, as the caller of the set-up calls."""
    return next(u for u in USERS if u["role"] == "admin")


def seed_facility(amqp_uri: str, timeout: float = 10.0) -> None:
    """Create the demo facility (if missing) and set the beds of each population group."""
    from gateway.rpc import RpcClient
    client = RpcClient(amqp_uri, size=1, timeout=timeout)
    try:
        client.call("shelter", "ensure_facility", caller=admin(), facility=FACILITY["id"],
                    name=FACILITY["name"])
        for group, beds in CAPACITY.items():
            client.call("shelter", "set_capacity", caller=admin(), facility=FACILITY["id"],
                        population_group=group, capacity=beds)
    finally:
        client.close()


def issue_tokens(token_secret: str, path: Path) -> dict[str, str]:
    """A bearer token of each demo user (12 hours), also written to ``path``."""
    from gateway.tokens import issue_token
    tokens = {u["user"]: issue_token(token_secret, **u) for u in USERS}
    path.write_text(json.dumps([{**u, "token": tokens[u["user"]]} for u in USERS], indent=2))
    return tokens


def seed_web_users(gateway_database_url: str, path: Path) -> list[dict]:
    """One demo person per role for the web pages, with an invented password: kept in ``path``
    (mode 600) so a second ``make up`` prints the same ones."""
    from gateway.accounts import AccountStore, demo_password, verify_password
    store = AccountStore(gateway_database_url)
    known = {}
    if path.exists():
        known = {p["username"]: p for p in json.loads(path.read_text())}
    people, roles = [], set()
    for user in USERS:
        if user["role"] in roles:
            continue
        roles.add(user["role"])
        password = known.get(user["user"], {}).get("password") or demo_password()
        existing = store.get_user(user["user"])
        if existing is None:
            store.create_user(user["user"], password, user["role"], user["agency"])
        elif existing.disabled or not verify_password(existing.password_hash, password):
            store.set_password(user["user"], password)
        people.append({"username": user["user"], "role": user["role"], "agency": user["agency"],
                       "password": password})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(people, indent=2))
    return people
