"""``refnet seed-demo``'s work (``refnet up`` runs it), done once, into an empty network: one
person per role who signs in to the web pages, then the demo facility and its beds (through the
shelter service's RPC, with the gateway's kombu client). "Empty" is the shelter service's own
answer: it has no facility. A network that has one is left as it is, whatever its figures,
users and passwords. A bearer token for each demo user is issued every time: tokens are signed,
not stored, so issuing them changes nothing."""

import json
import os
from pathlib import Path

from .data import AGENCIES, FACILITIES, USERS


def admin() -> dict:
    """The demo administrator, as the caller of the set-up calls."""
    return next(u for u in USERS if u["role"] == "admin")


def web_people() -> list[dict]:
    """The first demo user of each role: the people of the web pages."""
    people, roles = [], set()
    for user in USERS:
        if user["role"] not in roles:
            roles.add(user["role"])
            people.append(user)
    return people


def shelter_client(amqp_uri: str, signing_key: str, timeout: float = 10.0):
    """An RPC client for the set-up calls, signing its caller as the gateway does with
    ``REFNET_CALLER_SIGNING_KEY`` (close it after)."""
    from gateway.rpc import RpcClient
    from services.common.signed_caller import Signer
    return RpcClient(amqp_uri, size=1, timeout=timeout, signer=Signer(signing_key))


def seed_agencies(client) -> list[str]:
    """Register the demo agencies the directory lacks (``data.AGENCIES``). One it holds is left
    as it is (an administrator may have changed it), except one the migration registered with
    its id for a name (the shelter agency of a network from before the directory), which gets
    its demo names. Returns the ids registered or named now."""
    from services.common.errors import Conflict
    held = {a["id"]: a for a in client.call("referral", "list_agencies", caller=admin())}
    added = []
    for agency in AGENCIES:
        if agency["id"] in held:
            if held[agency["id"]]["names"] == {"en": agency["id"]}:
                client.call("referral", "update_agency", caller=admin(), agency=agency["id"],
                            changes={k: agency[k] for k in ("names", "region", "services",
                                                            "languages")})
                added.append(agency["id"])
            continue
        try:
            client.call("referral", "register_agency", caller=admin(), agency=agency["id"],
                        kind=agency["kind"], names=agency["names"], region=agency["region"],
                        services=agency["services"], languages=agency["languages"],
                        routing_order=agency.get("routing_order"))
            added.append(agency["id"])
        except Conflict:  # registered meanwhile
            pass
    return added


def is_empty(client) -> bool:
    """True when the shelter service has no facility: a network never set up."""
    return not client.call("shelter", "list_facilities", caller=admin())


def seed_facility(client) -> None:
    """Register the demo facilities of the two demo shelter providers and set the beds of each
    population group (an empty network), through the calls the API makes: no seed-only path."""
    for facility, capacity in FACILITIES:
        client.call("shelter", "register_facility", caller=admin(), facility=facility["id"],
                    name=facility["name"], provider=facility["provider"])
        for group, beds in capacity.items():
            client.call("shelter", "set_capacity", caller=admin(), facility=facility["id"],
                        population_group=group, capacity=beds)


def beds_by_facility(client) -> dict[str, dict[str, int]]:
    """Each facility's capacity per population group, as the shelter service holds it now."""
    found: dict[str, dict[str, int]] = {}
    for row in client.call("shelter", "availability", caller=admin()):
        found.setdefault(row["facility"], {})[row["population_group"]] = row["capacity"]
    return found


def issue_tokens(token_secret: str, path: Path) -> dict[str, str]:
    """A bearer token of each demo user (12 hours), also written to ``path``."""
    from gateway.tokens import issue_token
    tokens = {u["user"]: issue_token(token_secret, **u) for u in USERS}
    write_private(path, json.dumps([{**u, "token": tokens[u["user"]]} for u in USERS], indent=2))
    return tokens


def write_private(path: Path, text: str) -> None:
    """``text`` into ``path``, readable by its owner only (mode 600), also when the file was
    there before with a wider mode: it holds bearer tokens or passwords."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def seed_web_users(store, path: Path, *, create: bool) -> list[dict]:
    """The demo people of the web pages, each with the invented password ``path`` (mode 600)
    keeps, or the ``state`` that hides it: "disabled" or "password changed" (an administrator's
    doing), "password not kept here" (``path`` does not have it).

    ``create`` (an empty network): the demo people missing from ``store`` are created with a
    new password, and ``path`` is rewritten. A person who exists is never changed: not
    re-enabled, not given the demo password back. Without ``create``, nothing is written.

    ``path`` keeps each password's hash beside it: a stored hash that is still the person's
    says the password is unchanged without an argon2 check (about 0.14 s of CPU a person, at
    every `make up`); another hash is checked against the password as before."""
    from gateway.accounts import demo_password, verify_password
    kept = {p["username"]: p for p in json.loads(path.read_text())} if path.exists() else {}
    people, hashes = [], {}
    for user in web_people():
        name, state = user["user"], None
        password = kept.get(name, {}).get("password")
        existing = store.get_user(name)
        if existing is None:
            if not create:
                continue
            password = demo_password()
            store.create_user(name, password, user["role"], user["agency"])
            existing = store.get_user(name)
        elif existing.disabled:
            state = "disabled"
        elif not password:
            state = "password not kept here"  # e.g. a new var/ beside a gateway database kept
        elif kept[name].get("password_hash") != existing.password_hash \
                and not verify_password(existing.password_hash, password):
            state = "password changed"
        people.append({"username": name, "role": user["role"], "agency": user["agency"],
                       "password": None if state else password, "state": state})
        hashes[name] = existing.password_hash
    if create:
        write_private(path, json.dumps(
            [{**{k: p[k] for k in ("username", "role", "agency", "password")},
              "password_hash": hashes[p["username"]]} for p in people if p["password"]], indent=2))
    return people
