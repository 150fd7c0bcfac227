"""The agency directory (docs/decisions/0037): list, read, register and change agencies. Each
registration and change commits with its ``referral.agency_changed`` event in one transaction
(the shelter service keeps its own copy of the providers from it)."""

import json

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.common.caller import Caller
from services.common.clock import Clock
from services.common.db import Database
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.messaging import add_to_outbox
from services.common.timeutil import iso
from services.contracts.envelope import make_event
from services.contracts.vocabulary import AGENCY_KINDS, AGENCY_NAME_LANGUAGES

from ..domain import directory as rules
from ..tables import agencies, outbox
from .steps import SOURCE


def entry_of(row) -> dict:
    """A stored agency as the directory answers it."""
    names = {lang: getattr(row, f"name_{lang}") for lang in AGENCY_NAME_LANGUAGES
             if getattr(row, f"name_{lang}")}
    return {"id": row.id, "kind": row.kind, "names": names, "region": row.region or "",
            "services": json.loads(row.services or "[]"),
            "languages": json.loads(row.languages or "[]"),
            "routing_order": row.routing_order, "active": bool(row.active),
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def _columns(entry: dict) -> dict:
    return {"kind": entry["kind"], "region": entry["region"],
            "services": json.dumps(entry["services"]), "languages": json.dumps(entry["languages"]),
            "routing_order": entry["routing_order"], "active": entry["active"],
            **{f"name_{lang}": entry["names"].get(lang) for lang in AGENCY_NAME_LANGUAGES}}


def _event(entry: dict, now, correlation_id) -> dict:
    return make_event("referral.agency_changed", {
        "agency": entry["id"], "kind": entry["kind"], "active": entry["active"],
        "region": entry["region"], "services": entry["services"],
        "spoken_languages": entry["languages"], "routing_order": entry["routing_order"],
        "changed_at": now}, source=SOURCE, correlation_id=correlation_id, occurred_at=now)


def list_agencies(db: Database, caller: Caller, kind: str | None = None,
                  active: bool | None = None) -> list[dict]:
    """Every agency (any signed-in role: names, kinds and regions are nobody's personal data),
    by id; ``kind`` and ``active`` narrow the list."""
    if kind is not None and kind not in AGENCY_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(AGENCY_KINDS)}", field="kind")
    if active is not None and not isinstance(active, bool):
        raise InvalidInput("active is true or false", field="active")
    query = select(agencies).order_by(agencies.c.id)
    if kind is not None:
        query = query.where(agencies.c.kind == kind)
    if active is not None:
        query = query.where(agencies.c.active == active)
    with db.read() as conn:
        return [entry_of(row) for row in conn.execute(query)]


def find_agency(conn, agency: str) -> dict | None:
    """One agency's entry, or None (inside a transaction of the caller's)."""
    row = conn.execute(select(agencies).where(agencies.c.id == agency)).first()
    return entry_of(row) if row is not None else None


# built once (every status read runs it): an expanding IN, so one statement for any number of ids
_NAMES_OF = select(agencies.c.id, agencies.c.name_en, agencies.c.name_ar,
                   agencies.c.name_ckb).where(agencies.c.id.in_(bindparam("ids", expanding=True)))


def agency_names(conn, ids) -> dict[str, dict[str, str]]:
    """The directory's names (per language) of the agencies ``ids``; an id the directory does
    not hold is left out (the timeline then shows the id alone)."""
    ids = sorted(i for i in ids if i)
    if not ids:
        return {}
    rows = conn.execute(_NAMES_OF, {"ids": ids})
    return {row.id: {lang: getattr(row, f"name_{lang}") for lang in AGENCY_NAME_LANGUAGES
                     if getattr(row, f"name_{lang}")} for row in rows}


def get_agency(db: Database, caller: Caller, agency: str) -> dict:
    """One agency (any signed-in role); ``NotFound`` naming ``agency``."""
    with db.read() as conn:
        entry = find_agency(conn, agency) if isinstance(agency, str) else None
    if entry is None:
        raise NotFound("no such agency", field="agency")
    return entry


def register_agency(db: Database, clock: Clock, caller: Caller, agency: str, kind: str,
                    names: dict, region: str | None = None, services=None, languages=None,
                    routing_order: int | None = None, active: bool = True) -> dict:
    """An administrator registers an agency; ``Conflict`` naming ``id`` when it exists."""
    rules.require_admin(caller)
    entry = rules.new_agency(agency, kind, names, region, services, languages, routing_order,
                             active)
    now = clock.now()
    try:
        with db.write() as s:
            if s.execute(select(agencies.c.id).where(agencies.c.id == entry["id"])).first():
                raise Conflict("an agency with this id exists", field="id")
            s.execute(insert(agencies).values(id=entry["id"], created_at=now,
                                              created_by=caller.user, updated_at=now,
                                              updated_by=caller.user, **_columns(entry)))
            add_to_outbox(s, outbox, _event(entry, now, caller.correlation_id))
    except IntegrityError:  # registered at the same moment by another request
        raise Conflict("an agency with this id exists", field="id") from None
    return {**entry, "created_at": iso(now), "updated_at": iso(now)}


def update_agency(db: Database, clock: Clock, caller: Caller, agency: str, changes: dict) -> dict:
    """An administrator changes an agency's names, region, services, languages, routing order
    or whether it is active; ``NotFound`` naming ``agency``. A change that changes nothing
    writes nothing and publishes nothing."""
    rules.require_admin(caller)
    now = clock.now()
    with db.write() as s:
        current = find_agency(s, agency) if isinstance(agency, str) else None
        if current is None:
            raise NotFound("no such agency", field="agency")
        after = rules.changed(current, changes)
        if after == current:
            return current
        s.execute(update(agencies).where(agencies.c.id == agency)
                  .values(updated_at=now, updated_by=caller.user, **_columns(after)))
        add_to_outbox(s, outbox, _event(after, now, caller.correlation_id))
    return {**after, "updated_at": iso(now)}
