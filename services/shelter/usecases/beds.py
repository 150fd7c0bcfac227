"""Facilities and their beds: capacity, beds out of service, the change history, and what
staff and everyone else see of them (availability, bed board, daily census)."""

import uuid
from datetime import datetime, time, timedelta, timezone

from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, NotFound
from services.common.timeutil import aware, iso
from services.contracts.vocabulary import POPULATION_GROUPS

from ..domain import beds as rules
from ..domain import placement as placement_rules
from ..domain import providers as provider_rules
from ..domain.fields import check_date
from ..domain.visibility import provider_scope, require_provider, shape
from ..queries import beds as queries
from ..queries import placements as placement_queries
from .admissions import offer_freed
from .common import at, emit

DEFAULT_HOLD = placement_rules.DEFAULT_HOLD
HISTORY_ROWS = 200


def register_facility(db: Database, caller: Caller, facility_id: str, name: str,
                      provider: str | None = None, correlation_id: str | None = None, *,
                      now: datetime | None = None, manager: str | None = None) -> dict:
    """Register a facility of a shelter provider: its staff register their own organisation's,
    an administrator names the provider (whose kind the gateway checks in the directory). A
    facility of that id already there is a ``Conflict`` naming ``facility``: ids are never
    reused. The one way a facility comes to be: the API, the CLI, the web page and the demo
    seeding all call it."""
    caller.require("shelter", "admin")
    facility_id, name, provider = provider_rules.check_registration(caller, facility_id, name,
                                                                    provider)
    manager = provider_rules.check_manager(manager)
    now = at(now)
    with db.write() as s:
        if not queries.add_facility(s, facility_id, name, provider, now, manager):
            raise Conflict(f"a facility {facility_id} exists already", field="facility")
        row = queries.facility(s, facility_id)
    return queries.facility_view(row)


def rename_facility(db: Database, caller: Caller, facility_id: str, name: str, *,
                    now: datetime | None = None) -> dict:
    """Rename one of the caller's provider's facilities (or any, for an administrator)."""
    caller.require("shelter", "admin")
    name = provider_rules.check_name(name)
    now = at(now)
    with db.write() as s:
        _own_facility(s, caller, facility_id, for_update=True)
        queries.change_facility(s, facility_id, name=name, updated_at=now)
        row = queries.facility(s, facility_id)
    return queries.facility_view(row)


def set_facility_manager(db: Database, caller: Caller, facility_id: str, manager: str | None,
                         *, now: datetime | None = None) -> dict:
    """Name the manager (a staff user id) of one of the caller's provider's facilities (or
    any, for an administrator); None names none (the provider's shelter desk is told then)."""
    caller.require("shelter", "admin")
    manager = provider_rules.check_manager(manager)
    now = at(now)
    with db.write() as s:
        _own_facility(s, caller, facility_id, for_update=True)
        queries.change_facility(s, facility_id, manager=manager, updated_at=now)
        row = queries.facility(s, facility_id)
    return queries.facility_view(row)


def close_facility(db: Database, caller: Caller, facility_id: str, *,
                   now: datetime | None = None) -> dict:
    """Close a facility nobody lives in or is expected at (no bed occupied or held): it keeps
    its rows and history, leaves availability and takes no more beds."""
    caller.require("shelter", "admin")
    now = at(now)
    with db.write() as s:
        row = _own_facility(s, caller, facility_id, for_update=True)
        provider_rules.check_closable(row.closed_at, queries.beds_in_use(s, facility_id))
        queries.change_facility(s, facility_id, closed_at=now, updated_at=now)
        row = queries.facility(s, facility_id)
    return queries.facility_view(row)


def list_facilities(db: Database, caller: Caller) -> list[dict]:
    """Facilities by id, with name, provider and status: shelter staff see their own
    provider's, administrators every one; none on a network that was never set up."""
    caller.require("shelter", "admin")
    with db.read() as s:
        rows = queries.all_facilities(s, provider_scope(caller))
    return [queries.facility_view(r) for r in rows]


def _own_facility(s: WriteTransaction, caller: Caller, facility_id: str, field: str = "facility", *,
                  for_update: bool = False):
    """The facility's row, which must be the caller's provider's (shelter staff)."""
    row = queries.facility(s, facility_id, field, for_update=for_update)
    require_provider(caller, row.provider, field)
    return row


def set_capacity(db: Database, caller: Caller, facility_id: str, population_group: str,
                 capacity: int, correlation_id: str | None = None, reason: str | None = None,
                 hold: timedelta = DEFAULT_HOLD, *, now: datetime | None = None) -> dict:
    """Set the beds of a group at a facility; beds added are offered to the waitlist."""
    caller.require("shelter", "admin")
    rules.check_capacity_input(population_group, capacity)
    now = at(now)
    with db.write() as s:
        provider_rules.check_open(_own_facility(s, caller, facility_id).closed_at)
        row = queries.inventory(s, facility_id, population_group, for_update=True)
        occupied, held, oos = (row.occupied, row.held, row.out_of_service) if row else (0, 0, 0)
        rules.check_capacity(population_group, capacity, occupied, held, oos)
        if row:
            # guarded: the counters checked above are the ones the UPDATE changes
            if not queries.change_capacity(s, facility_id, population_group, capacity, now):
                raise Conflict("beds were taken meanwhile; read availability and try again",
                               field="capacity")
        else:
            queries.add_inventory(s, facility_id, population_group, capacity, now)
        view = _record_change(s, caller, facility_id, population_group, "capacity", reason, now,
                              correlation_id)
        if not row or capacity > row.capacity:
            offer_freed(s, facility_id, population_group, now, correlation_id, hold)
    return view


def set_out_of_service(db: Database, caller: Caller, facility_id: str, population_group: str,
                       beds_out: int, reason: str | None, expected_return: str | None,
                       correlation_id: str | None = None, hold: timedelta = DEFAULT_HOLD, *,
                       now: datetime | None = None) -> dict:
    """Set how many beds of a group are out of service, why, and until when (0 returns them)."""
    caller.require("shelter", "admin")
    rules.check_group(population_group)
    until = check_date(expected_return or None, "expected_return")
    now = at(now)
    with db.write() as s:
        provider_rules.check_open(_own_facility(s, caller, facility_id).closed_at)
        row = queries.inventory(s, facility_id, population_group, for_update=True)
        if row is None:
            raise NotFound(f"facility {facility_id} has no {population_group} beds", field="population_group")
        placement_rules.check_out_of_service(beds_out, row.capacity, row.occupied, row.held, reason, until)
        if not queries.change_out_of_service(s, facility_id, population_group, beds_out, reason,
                                             until, now):
            raise Conflict("beds were taken meanwhile; read availability and try again", field="beds")
        view = _record_change(s, caller, facility_id, population_group, "out_of_service", reason, now,
                              correlation_id)
        if beds_out < row.out_of_service:
            offer_freed(s, facility_id, population_group, now, correlation_id, hold)
    return view


def _record_change(s: WriteTransaction, caller: Caller, facility_id, group, change, reason, now,
                   correlation_id) -> dict:
    """Record the change in the history and announce the new counts."""
    r = queries.inventory(s, facility_id, group)
    queries.record_change(s, r, change, reason, caller.user, now)
    view = queries.bed_view(r)
    emit(s, now, "shelter.capacity_changed", {
        "facility": facility_id, "population_group": group, "capacity": r.capacity,
        "out_of_service": r.out_of_service, "occupied": r.occupied, "held": r.held,
        "available": view["available"], "change": change, "changed_at": now}, correlation_id)
    return view


def capacity_history_of(db: Database, caller: Caller, facility_id: str,
                        limit: int = HISTORY_ROWS) -> list[dict]:
    """A facility's capacity and out-of-service changes, latest first, with who and why."""
    caller.require("shelter", "admin")
    with db.read() as s:
        _own_facility(s, caller, facility_id)
        rows = queries.history(s, facility_id, limit)
    return [queries.history_view(r) for r in rows]


def availability(db: Database, caller: Caller) -> list[dict]:
    """Beds per provider, open facility and group for anyone signed in, network-wide: counts
    only, no address, no names."""
    with db.read() as s:
        rows = queries.all_inventory(s)
    return [shape("availability", caller.role, queries.bed_view(r, r.name, r.provider))
            for r in rows]


def bed_board(db: Database, caller: Caller, facility_id: str) -> dict:
    """Per group: the counts, beds out of service, and who holds or occupies each place (by
    reference and case manager; no names)."""
    caller.require("shelter")
    with db.read() as s:
        name = _own_facility(s, caller, facility_id).name
        inventory = queries.facility_inventory(s, facility_id)
        places = placement_queries.active_at(s, facility_id)
    groups = []
    for r in inventory:
        groups.append({**queries.bed_view(r), "out_of_service_reason": r.out_of_service_reason,
                       "out_of_service_until": r.out_of_service_until.isoformat() if r.out_of_service_until else None,
                       "places": [placement_queries.place_view(p) for p in places
                                  if p.population_group == r.population_group]})
    return {"facility": facility_id, "facility_name": name, "groups": groups}


def referral_place(db: Database, caller: Caller, reference: str) -> dict:
    """What the referral page needs of the shelter (decision 0063): the caller's provider's
    facilities (``list_facilities``'s view) and where the referral holds or occupies beds at one
    of its open facilities, ``{"facility", "state"}``, or None. The place is what the bed boards
    of those facilities show for the reference, found by the reference instead of by building
    every board; another provider's place is never shown (None)."""
    caller.require("shelter")
    with db.read() as s:
        rows = queries.all_facilities(s, provider_scope(caller))
        placed = placement_queries.active_of(s, reference)
    facilities = [queries.facility_view(r) for r in rows]
    open_here = {f["facility"] for f in facilities if f["status"] == "open"}
    place = ({"facility": placed.facility_id, "state": placed.state}
             if placed is not None and placed.facility_id in open_here else None)
    return {"facilities": facilities, "place": place}


def daily_census(db: Database, caller: Caller, facility_id: str, day: str | None = None, *,
                 now: datetime | None = None) -> dict:
    """A day at a facility: arrivals (admissions), expected arrivals (holds), departures
    (discharges), and the census at the end of the day per group."""
    caller.require("shelter")
    the_day = check_date(day, "date") if day else at(now).date()
    start = datetime.combine(the_day, time.min, tzinfo=timezone.utc)
    end = start + timedelta(days=1)
    with db.read() as s:
        name = _own_facility(s, caller, facility_id).name
        rows = placement_queries.at_facility(s, facility_id)
    in_day = lambda t: t is not None and start <= aware(t) < end  # noqa: E731
    view = placement_queries.place_view
    census = {}
    for group in POPULATION_GROUPS:
        present = [p for p in rows if p.population_group == group and p.admitted_at is not None
                   and aware(p.admitted_at) < end
                   and (p.discharged_at is None or aware(p.discharged_at) >= end)]
        census[group] = {"residents": len(present), "beds_occupied": sum(p.beds for p in present)}
    return {"facility": facility_id, "facility_name": name, "date": the_day.isoformat(),
            "arrivals": [view(p) for p in rows if in_day(p.admitted_at)],
            "expected_arrivals": [view(p) for p in rows if p.state == "held"],
            "departures": [view(p) for p in rows if in_day(p.discharged_at)],
            "census": census}


# --- Open Referral (HSDS 3.1) -------------------------------------------------------------------

HSDS_NAMESPACE = uuid.UUID("6f1c1c2e-6a8e-4d59-9a8e-2f7b6e0d3c11")
GROUP_LABELS = {"women": "adult women", "men": "adult men", "children": "children and families"}


def hsds_service(db: Database, caller: Caller, facility_id: str) -> dict:
    """The facility's shelter service as an HSDS 3.1 ``service`` with one ``service_capacity``
    per population group (unit: bed). Counts only: no address, no contacts, no names."""
    with db.read() as s:
        facility = queries.facility(s, facility_id)
        name = facility.name
        rows = queries.facility_inventory(s, facility_id)
    ident = lambda *parts: str(uuid.uuid5(HSDS_NAMESPACE, "/".join(parts)))  # noqa: E731
    unit = {"id": ident("unit", "bed"), "name": "Bed", "identifier": "bed"}
    updated = max((aware(r.updated_at) for r in rows), default=None)
    service = {
        "id": ident("service", facility_id),
        "name": f"{name}: shelter for survivors of trafficking",
        "description": "Protective shelter with case management, legal counselling and "
                       "psychosocial support, by referral.",
        "status": "inactive" if facility.closed_at is not None else "active",
        "organization_id": ident("organization", facility.provider),
        "last_modified": iso(updated) if updated else None,
        "capacities": [{
            "id": ident("capacity", facility_id, r.population_group),
            "unit": unit,
            "available": rules.available(r.capacity, r.occupied, r.held, r.out_of_service),
            "maximum": r.capacity,
            "description": f"Beds for {GROUP_LABELS.get(r.population_group, r.population_group)}",
            "updated": iso(r.updated_at),
        } for r in rows],
    }
    return {key: value for key, value in service.items() if value is not None}
