"""The shelter service's use cases: incoming referrals, decisions, bed inventory, holds,
admissions, discharges and the waitlist.

Never overbooked (docs/decisions/0008): every bed counter changes by one guarded UPDATE
(``... WHERE capacity - out_of_service - occupied - held >= n``) whose row count is checked, in
the same short write transaction as the placement row and the outbox event. On SQLite the
transaction is ``BEGIN IMMEDIATE`` (one writer at a time, across processes); on PostgreSQL the
UPDATE takes the inventory row's lock and re-checks its condition after any wait.
"""

import json
import logging
import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.messaging import add_to_outbox, apply_once
from services.common.timeutil import iso, utcnow
from services.contracts.envelope import make_event
from services.contracts.references import is_reference

from services.contracts.vocabulary import POPULATION_GROUPS

from . import care
from .domain import accompaniment as accompaniment_rules
from .domain import beds as bed_rules
from .domain import intake as intake_rules
from .domain import placement as rules
from .tables import (beds, capacity_history, facilities, hearing_accompaniments, incoming, outbox,
                     placements, processed_events)

log = logging.getLogger(__name__)
SOURCE = "shelter"
INCOMING_STATUSES = ("received", "accepted", "declined", "withdrawn")
DEFAULT_HOLD = rules.DEFAULT_HOLD


# --- events ---------------------------------------------------------------------------------

def apply_event(db: Database, body: dict, *, agency: str, hold: timedelta = DEFAULT_HOLD) -> bool:
    """Act on another service's event once per ``event_id``; ``agency`` is this shelter's id."""
    return apply_once(db, processed_events, body, _EVENT_HANDLERS, agency, hold)


def _on_submitted(s: Session, envelope: dict, p: dict, agency: str, hold: timedelta) -> None:
    if s.execute(select(incoming.c.reference).where(incoming.c.reference == p["reference"])).first():
        return
    now = utcnow()
    s.execute(insert(incoming).values(
        reference=p["reference"], population_group=p["population_group"], urgency=p["urgency"],
        needs=json.dumps(p["needs"]), children_count=p["children_count"],
        beds_needed=p["beds_needed"], referring_agency=p["referring_agency"], status="received",
        received_at=now))
    log.info("incoming referral %s recorded", p["reference"])
    add_to_outbox(s, outbox, make_event("shelter.referral_received", {
        "reference": p["reference"], "received_at": now, "agency": agency},
        source=SOURCE, correlation_id=envelope.get("correlation_id")))


def _on_withdrawn(s: Session, envelope: dict, p: dict, agency: str, hold: timedelta) -> None:
    """The police withdrew: a received or accepted referral is withdrawn; its held beds are
    released and offered on; a waitlisted one leaves the list. An admitted person stays."""
    reference = p["reference"]
    placement = _placement_for_update(s, reference)
    if placement is not None and placement.state in ("admitted", "discharged"):
        log.warning("referral %s withdrawn while %s; placement kept", reference, placement.state)
        return
    s.execute(update(incoming).where(and_(incoming.c.reference == reference,
                                          incoming.c.status.in_(("received", "accepted"))))
              .values(status="withdrawn", decided_at=p["withdrawn_at"]))
    if placement is None or placement.state not in ("held", "waitlisted"):
        return
    now = utcnow()
    guard = and_(placements.c.id == placement.id, placements.c.state == placement.state)
    if s.execute(update(placements).where(guard).values(state="released", updated_at=now)).rowcount != 1:
        return
    if placement.state == "held":
        _release(s, placement.facility_id, placement.population_group, held=placement.beds)
        _offer_freed(s, placement.facility_id, placement.population_group, now, agency,
                     envelope.get("correlation_id"), hold)


# --- incoming referrals -------------------------------------------------------------------------

def list_incoming(db: Database, caller: Caller, status: str | None = "received") -> list[dict]:
    caller.require("shelter")
    if status is not None and status not in INCOMING_STATUSES:
        raise InvalidInput(f"must be one of {', '.join(INCOMING_STATUSES)}", field="status")
    query = select(incoming).order_by(incoming.c.received_at)
    if status:
        query = query.where(incoming.c.status == status)
    with db.read() as s:
        rows = s.execute(query.limit(500)).all()
    return [_incoming_view(r) for r in rows]


def decide(db: Database, caller: Caller, reference: str, decision: str, reason: str | None,
           correlation_id: str | None = None, hold: timedelta = DEFAULT_HOLD) -> dict:
    """Accept or decline an incoming referral; the referral service learns it by event.

    Accepting holds the beds the referral needs in a facility of its group in the same
    transaction, or waitlists it when none fits: a decision never leaves a referral accepted
    and unplaced, and two accepts can never take the same last bed.
    """
    caller.require("shelter")
    if not is_reference(reference):
        raise NotFound("no such incoming referral", field="reference")
    with db.write() as s:
        row = s.execute(select(incoming).where(incoming.c.reference == reference).with_for_update()).first()
        if row is None:
            raise NotFound(f"no incoming referral {reference}", field="reference")
        new_status = intake_rules.decide(row.status, decision, reason)
        now = utcnow()
        s.execute(update(incoming).where(and_(incoming.c.reference == reference,
                                              incoming.c.status == row.status)).values(
            status=new_status, decided_at=now, decided_by=caller.user,
            decision_reason=(reason or None)))
        add_to_outbox(s, outbox, make_event(f"shelter.referral_{new_status}", {
            "reference": reference, "decided_at": now, "agency": caller.agency,
            "reason": reason or None}, source=SOURCE, correlation_id=correlation_id))
        placement = None
        if new_status == "accepted":
            placement = _place(s, row, now, caller.agency, correlation_id, hold)
    result = {"reference": reference, "status": new_status, "decided_at": iso(now)}
    if placement is not None:
        result["placement"] = placement
    return result


def _place(s: Session, row, now: datetime, agency: str, correlation_id, hold: timedelta) -> dict:
    """Hold beds for an accepted referral in the first facility of its group with enough free
    beds (guarded UPDATE, row count checked), else put it on the waitlist."""
    group, needed = row.population_group, row.beds_needed
    candidates = s.execute(
        select(beds.c.facility_id).where(and_(
            beds.c.population_group == group,
            beds.c.capacity - beds.c.out_of_service - beds.c.occupied - beds.c.held >= needed))
        .order_by(beds.c.facility_id)).scalars().all()
    for facility_id in candidates:
        if _take(s, facility_id, group, held=needed):
            expires = rules.hold_deadline(now, hold)
            s.execute(insert(placements).values(
                reference=row.reference, state="held", population_group=group, urgency=row.urgency,
                beds=needed, facility_id=facility_id, held_at=now, hold_expires_at=expires,
                priority=0, updated_at=now))
            _emit_held(s, row.reference, facility_id, group, needed, now, expires, False, agency,
                       correlation_id)
            return {"state": "held", "facility": facility_id, "beds": needed,
                    "hold_expires_at": iso(expires)}
    s.execute(insert(placements).values(
        reference=row.reference, state="waitlisted", population_group=group, urgency=row.urgency,
        beds=needed, waitlisted_at=now, priority=0, updated_at=now))
    add_to_outbox(s, outbox, make_event("shelter.waitlisted", {
        "reference": row.reference, "population_group": group, "beds": needed,
        "urgency": row.urgency, "waitlisted_at": now, "agency": agency},
        source=SOURCE, correlation_id=correlation_id))
    return {"state": "waitlisted", "population_group": group, "beds": needed,
            "reason": f"no {group} bed free for {needed} {'person' if needed == 1 else 'people'}; "
                      "waitlisted, the first free bed of the group is offered in waitlist order"}


def _incoming_view(r) -> dict:
    return {"reference": r.reference, "population_group": r.population_group, "urgency": r.urgency,
            "needs": json.loads(r.needs), "children_count": r.children_count,
            "beds_needed": r.beds_needed, "referring_agency": r.referring_agency,
            "status": r.status, "received_at": iso(r.received_at), "decided_at": iso(r.decided_at),
            "decision_reason": r.decision_reason}


# --- bed counters: every change guarded, row count checked ------------------------------------

def _free_expr():
    return beds.c.capacity - beds.c.out_of_service - beds.c.occupied - beds.c.held


def _key(facility_id: str, group: str):
    return and_(beds.c.facility_id == facility_id, beds.c.population_group == group)


def _take(s: Session, facility_id: str, group: str, *, held: int = 0, occupied: int = 0) -> bool:
    """Take free beds as held or occupied; False (nothing changed) if not enough are free."""
    n = held + occupied
    result = s.execute(update(beds).where(and_(_key(facility_id, group), _free_expr() >= n))
                       .values(held=beds.c.held + held, occupied=beds.c.occupied + occupied,
                               updated_at=utcnow()))
    return result.rowcount == 1


def _hold_to_occupied(s: Session, facility_id: str, group: str, n: int) -> None:
    result = s.execute(update(beds).where(and_(_key(facility_id, group), beds.c.held >= n))
                       .values(held=beds.c.held - n, occupied=beds.c.occupied + n,
                               updated_at=utcnow()))
    if result.rowcount != 1:
        raise RuntimeError(f"bed counters of {facility_id}/{group} disagree with placements")


def _release(s: Session, facility_id: str, group: str, *, held: int = 0, occupied: int = 0) -> None:
    result = s.execute(update(beds).where(and_(_key(facility_id, group), beds.c.held >= held,
                                               beds.c.occupied >= occupied))
                       .values(held=beds.c.held - held, occupied=beds.c.occupied - occupied,
                               updated_at=utcnow()))
    if result.rowcount != 1:
        raise RuntimeError(f"bed counters of {facility_id}/{group} disagree with placements")


def _emit_held(s, reference, facility_id, group, n, now, expires, from_waitlist, agency, correlation_id):
    add_to_outbox(s, outbox, make_event("shelter.bed_held", {
        "reference": reference, "facility": facility_id, "population_group": group, "beds": n,
        "held_at": now, "expires_at": expires, "offered_from_waitlist": from_waitlist,
        "agency": agency}, source=SOURCE, correlation_id=correlation_id))


def _offer_freed(s: Session, facility_id: str, group: str, now: datetime, agency: str,
                 correlation_id, hold: timedelta) -> list[str]:
    """Offer a facility's free beds of a group to the waitlist, first in line first, until no
    waitlisted referral fits. Returns the references that got a hold."""
    offered = []
    for _ in range(100):
        inv = s.execute(select(beds).where(_key(facility_id, group)).with_for_update()).first()
        if inv is None:
            break
        free = rules.free_beds(inv.capacity, inv.occupied, inv.held, inv.out_of_service)
        entries = [rules.WaitlistEntry(r.reference, r.beds, r.urgency, aware(r.waitlisted_at), r.priority)
                   for r in s.execute(select(placements).where(and_(
                       placements.c.state == "waitlisted", placements.c.population_group == group)))]
        entry = rules.next_in_line(entries, free)
        if entry is None:
            break
        expires = rules.hold_deadline(now, hold)
        moved = s.execute(update(placements).where(and_(placements.c.reference == entry.reference,
                                                        placements.c.state == "waitlisted"))
                          .values(state="held", facility_id=facility_id, held_at=now,
                                  hold_expires_at=expires, updated_at=now)).rowcount
        if moved != 1:
            continue  # someone else placed it meanwhile; look again
        if not _take(s, facility_id, group, held=entry.beds):
            raise RuntimeError("free beds vanished inside one transaction")
        _emit_held(s, entry.reference, facility_id, group, entry.beds, now, expires, True, agency,
                   correlation_id)
        offered.append(entry.reference)
    return offered


# --- holds expire -------------------------------------------------------------------------------

def expire_holds(db: Database, agency: str, *, now: datetime | None = None,
                 hold: timedelta = DEFAULT_HOLD, limit: int = 100) -> list[str]:
    """Release every hold whose deadline passed and offer its beds on. Safe with any number of
    replicas running it at once: each hold is claimed by a guarded UPDATE (state still 'held',
    deadline passed) whose row count is checked, in its own short transaction, so an expiry
    applies once. Returns the references released by this call."""
    now = now or utcnow()
    with db.read() as s:
        due = s.execute(select(placements.c.id).where(and_(
            placements.c.state == "held", placements.c.hold_expires_at <= now))
            .order_by(placements.c.hold_expires_at).limit(limit)).scalars().all()
    expired = []
    for placement_id in due:
        with db.write() as s:
            claimed = s.execute(update(placements).where(and_(
                placements.c.id == placement_id, placements.c.state == "held",
                placements.c.hold_expires_at <= now)).values(state="expired", updated_at=now)).rowcount
            if claimed != 1:
                continue  # another replica expired it, or the person was admitted meanwhile
            p = s.execute(select(placements).where(placements.c.id == placement_id)).first()
            _release(s, p.facility_id, p.population_group, held=p.beds)
            add_to_outbox(s, outbox, make_event("shelter.hold_expired", {
                "reference": p.reference, "facility": p.facility_id,
                "population_group": p.population_group, "beds": p.beds, "expired_at": now,
                "agency": agency}, source=SOURCE))
            _offer_freed(s, p.facility_id, p.population_group, now, agency, None, hold)
        expired.append(p.reference)
        log.info("hold of %s at %s expired", p.reference, p.facility_id)
    return expired


# --- admissions and discharges ------------------------------------------------------------------

def admit(db: Database, caller: Caller, facility_id: str, reference: str, case_manager: str,
          correlation_id: str | None = None, now: datetime | None = None) -> dict:
    """Turn this facility's hold into occupancy, or admit directly when a bed of the group is
    free. Only an accepted referral can be admitted. The resident's care plan opens in the same
    transaction, with the case manager named and the first-week milestones due from ``now``."""
    caller.require("shelter")
    rules.check_staff_id(case_manager)
    if not is_reference(reference):
        raise NotFound("no such incoming referral", field="reference")
    now = now or utcnow()
    with db.write() as s:
        _require_facility(s, facility_id)
        row = s.execute(select(incoming).where(incoming.c.reference == reference).with_for_update()).first()
        if row is None:
            raise NotFound(f"no incoming referral {reference}", field="reference")
        p = _placement_for_update(s, reference)
        mode = rules.check_admission(row.status, p.state if p else None, p.facility_id if p else None,
                                     facility_id)
        group, n = row.population_group, row.beds_needed
        if mode == "from_hold":
            claimed = s.execute(update(placements).where(and_(placements.c.id == p.id,
                                                              placements.c.state == "held"))
                                .values(state="admitted", admitted_at=now, case_manager=case_manager,
                                        updated_at=now)).rowcount
            if claimed != 1:
                raise Conflict("the hold ended meanwhile; try again", field="reference")
            _hold_to_occupied(s, facility_id, group, n)
            placement_id = p.id
        else:
            if not _take(s, facility_id, group, occupied=n):
                raise Conflict(f"no {group} bed free for {n} at facility {facility_id}",
                               field="facility")
            values = dict(state="admitted", facility_id=facility_id, admitted_at=now,
                          case_manager=case_manager, updated_at=now)
            if p is None:
                placement_id = s.execute(insert(placements).values(
                    reference=reference, population_group=group, urgency=row.urgency, beds=n,
                    priority=0, **values)).inserted_primary_key[0]
            else:
                if s.execute(update(placements).where(and_(placements.c.id == p.id,
                                                           placements.c.state == p.state))
                             .values(**values)).rowcount != 1:
                    raise Conflict("the placement changed meanwhile; try again", field="reference")
                placement_id = p.id
        plan_id = care.open_plan(s, placement_id, reference, facility_id, case_manager, now,
                                 caller.user)
        add_to_outbox(s, outbox, make_event("shelter.admitted", {
            "reference": reference, "admission_id": placement_id, "facility": facility_id,
            "population_group": group, "beds": n, "case_manager": case_manager,
            "admitted_at": now, "agency": caller.agency}, source=SOURCE, correlation_id=correlation_id))
    return {"admission_id": placement_id, "reference": reference, "facility": facility_id,
            "population_group": group, "beds": n, "case_manager": case_manager,
            "admitted_at": iso(now), "state": "admitted", "plan_id": plan_id}


def discharge(db: Database, caller: Caller, facility_id: str, admission_id: int, outcome: str,
              correlation_id: str | None = None, hold: timedelta = DEFAULT_HOLD) -> dict:
    """Discharge a resident with an outcome; the beds are freed and offered to the waitlist."""
    caller.require("shelter")
    rules.check_outcome(outcome)
    if not isinstance(admission_id, int) or isinstance(admission_id, bool):
        raise NotFound("no such admission", field="admission")
    now = utcnow()
    with db.write() as s:
        _require_facility(s, facility_id)
        p = s.execute(select(placements).where(and_(placements.c.id == admission_id,
                                                    placements.c.facility_id == facility_id))
                      .with_for_update()).first()
        if p is None or p.admitted_at is None:
            raise NotFound(f"no admission {admission_id} at facility {facility_id}", field="admission")
        rules.check_discharge(p.state, outcome)
        if s.execute(update(placements).where(and_(placements.c.id == p.id,
                                                   placements.c.state == "admitted"))
                     .values(state="discharged", discharged_at=now, outcome=outcome,
                             updated_at=now)).rowcount != 1:
            raise Conflict("the admission changed meanwhile; try again", field="admission")
        _release(s, facility_id, p.population_group, occupied=p.beds)
        care.close_plan(s, p.id, now)
        add_to_outbox(s, outbox, make_event("shelter.discharged", {
            "reference": p.reference, "admission_id": p.id, "facility": facility_id,
            "population_group": p.population_group, "beds": p.beds, "outcome": outcome,
            "discharged_at": now, "agency": caller.agency}, source=SOURCE,
            correlation_id=correlation_id))
        offered = _offer_freed(s, facility_id, p.population_group, now, caller.agency,
                               correlation_id, hold)
    return {"admission_id": p.id, "reference": p.reference, "facility": facility_id,
            "population_group": p.population_group, "beds": p.beds, "outcome": outcome,
            "discharged_at": iso(now), "state": "discharged", "offered_to": offered}


# --- waitlist -----------------------------------------------------------------------------------

def waitlist(db: Database, caller: Caller, population_group: str | None = None) -> list[dict]:
    """The waitlist in the order beds are offered (per group), with each entry's position."""
    caller.require("shelter")
    if population_group is not None:
        bed_rules.check_group(population_group)
    query = select(placements).where(placements.c.state == "waitlisted")
    if population_group:
        query = query.where(placements.c.population_group == population_group)
    with db.read() as s:
        rows = {r.reference: r for r in s.execute(query)}
    out = []
    for group in POPULATION_GROUPS:
        entries = [rules.WaitlistEntry(r.reference, r.beds, r.urgency, aware(r.waitlisted_at), r.priority)
                   for r in rows.values() if r.population_group == group]
        for position, entry in enumerate(rules.ordered(entries), start=1):
            r = rows[entry.reference]
            out.append({"reference": r.reference, "population_group": group, "position": position,
                        "beds": r.beds, "urgency": r.urgency, "waitlisted_at": iso(r.waitlisted_at),
                        "priority": r.priority, "priority_reason": r.priority_reason,
                        "priority_set_by": r.priority_set_by,
                        "priority_set_at": iso(r.priority_set_at)})
    return out


def reorder_waitlist(db: Database, caller: Caller, reference: str, priority: int, reason: str) -> dict:
    """Move a waitlisted referral up (priority > 0) or down (< 0), with a recorded reason."""
    caller.require("shelter")
    rules.check_priority(priority, reason)
    if not is_reference(reference):
        raise NotFound("no such waitlisted referral", field="reference")
    now = utcnow()
    with db.write() as s:
        changed = s.execute(update(placements).where(and_(placements.c.reference == reference,
                                                          placements.c.state == "waitlisted"))
                            .values(priority=priority, priority_reason=reason.strip()[:500],
                                    priority_set_by=caller.user[:100], priority_set_at=now,
                                    updated_at=now)).rowcount
        if changed != 1:
            raise NotFound(f"{reference} is not on the waitlist", field="reference")
    group = next(e for e in waitlist(db, caller) if e["reference"] == reference)
    return group


# --- facilities and beds -------------------------------------------------------------------------

def ensure_facility(db: Database, caller: Caller, facility_id: str, name: str) -> dict:
    """Create a facility if it does not exist (administrators)."""
    caller.require("admin")
    if not facility_id or len(facility_id) > 64 or not facility_id.replace("-", "").isalnum():
        raise InvalidInput("letters, digits and dashes, at most 64", field="facility")
    with db.write() as s:
        if not s.execute(select(facilities.c.id).where(facilities.c.id == facility_id)).first():
            s.execute(insert(facilities).values(id=facility_id, name=name[:200], created_at=utcnow()))
    return {"facility": facility_id, "name": name}


def set_capacity(db: Database, caller: Caller, facility_id: str, population_group: str,
                 capacity: int, correlation_id: str | None = None, reason: str | None = None,
                 hold: timedelta = DEFAULT_HOLD) -> dict:
    caller.require("shelter", "admin")
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise InvalidInput("must be a whole number", field="capacity")
    bed_rules.check_group(population_group)
    if capacity < 0:
        raise InvalidInput("must not be negative", field="capacity")
    now = utcnow()
    with db.write() as s:
        _require_facility(s, facility_id)
        row = s.execute(select(beds).where(_key(facility_id, population_group)).with_for_update()).first()
        occupied, held, oos = (row.occupied, row.held, row.out_of_service) if row else (0, 0, 0)
        bed_rules.check_capacity(population_group, capacity, occupied, held, oos)
        if row:
            # guarded: the counters checked above are the ones the UPDATE changes
            guard = and_(_key(facility_id, population_group), beds.c.occupied + beds.c.held
                         + beds.c.out_of_service <= capacity)
            if s.execute(update(beds).where(guard).values(capacity=capacity, updated_at=now)).rowcount != 1:
                raise Conflict("beds were taken meanwhile; read availability and try again",
                               field="capacity")
        else:
            s.execute(insert(beds).values(facility_id=facility_id, population_group=population_group,
                                          capacity=capacity, occupied=0, held=0, out_of_service=0,
                                          updated_at=now))
        view = _record_change(s, caller, facility_id, population_group, "capacity", reason, now,
                              correlation_id)
        if not row or capacity > row.capacity:
            _offer_freed(s, facility_id, population_group, now, caller.agency, correlation_id, hold)
    return view


def set_out_of_service(db: Database, caller: Caller, facility_id: str, population_group: str,
                       beds_out: int, reason: str | None, expected_return: str | None,
                       correlation_id: str | None = None, hold: timedelta = DEFAULT_HOLD) -> dict:
    """Set how many beds of a group are out of service, why, and until when (0 returns them)."""
    caller.require("shelter", "admin")
    bed_rules.check_group(population_group)
    until = _parse_date(expected_return, "expected_return") if expected_return else None
    now = utcnow()
    with db.write() as s:
        _require_facility(s, facility_id)
        row = s.execute(select(beds).where(_key(facility_id, population_group)).with_for_update()).first()
        if row is None:
            raise NotFound(f"facility {facility_id} has no {population_group} beds", field="population_group")
        rules.check_out_of_service(beds_out, row.capacity, row.occupied, row.held, reason, until)
        guard = and_(_key(facility_id, population_group),
                     beds.c.capacity - beds.c.occupied - beds.c.held >= beds_out)
        if s.execute(update(beds).where(guard).values(
                out_of_service=beds_out, out_of_service_reason=(reason or "").strip()[:200] or None if beds_out else None,
                out_of_service_until=until if beds_out else None, updated_at=now)).rowcount != 1:
            raise Conflict("beds were taken meanwhile; read availability and try again", field="beds")
        view = _record_change(s, caller, facility_id, population_group, "out_of_service", reason, now,
                              correlation_id)
        if beds_out < row.out_of_service:
            _offer_freed(s, facility_id, population_group, now, caller.agency, correlation_id, hold)
    return view


def _record_change(s: Session, caller: Caller, facility_id, group, change, reason, now, correlation_id) -> dict:
    r = s.execute(select(beds).where(_key(facility_id, group))).first()
    s.execute(insert(capacity_history).values(
        facility_id=facility_id, population_group=group, change=change, capacity=r.capacity,
        out_of_service=r.out_of_service, occupied=r.occupied, held=r.held,
        reason=(reason or "").strip()[:200] or None, changed_by=caller.user[:100], changed_at=now))
    view = _bed_view(r)
    add_to_outbox(s, outbox, make_event("shelter.capacity_changed", {
        "facility": facility_id, "population_group": group, "capacity": r.capacity,
        "out_of_service": r.out_of_service, "occupied": r.occupied, "held": r.held,
        "available": view["available"], "change": change, "changed_at": now},
        source=SOURCE, correlation_id=correlation_id))
    return view


def capacity_history_of(db: Database, caller: Caller, facility_id: str, limit: int = 200) -> list[dict]:
    caller.require("shelter", "admin")
    with db.read() as s:
        _require_facility(s, facility_id)
        rows = s.execute(select(capacity_history).where(capacity_history.c.facility_id == facility_id)
                         .order_by(capacity_history.c.id.desc()).limit(limit)).all()
    return [{"population_group": r.population_group, "change": r.change, "capacity": r.capacity,
             "out_of_service": r.out_of_service, "occupied": r.occupied, "held": r.held,
             "reason": r.reason, "changed_by": r.changed_by, "changed_at": iso(r.changed_at)}
            for r in rows]


def _bed_view(r, name: str | None = None) -> dict:
    view = {"facility": r.facility_id, "population_group": r.population_group,
            "capacity": r.capacity, "out_of_service": r.out_of_service, "occupied": r.occupied,
            "held": r.held,
            "available": bed_rules.available(r.capacity, r.occupied, r.held, r.out_of_service),
            "updated_at": iso(r.updated_at)}
    if name is not None:
        view["facility_name"] = name
    return view


def availability(db: Database, caller: Caller) -> list[dict]:
    """Beds per facility and group for anyone signed in: counts only, no address, no names."""
    with db.read() as s:
        rows = s.execute(select(beds, facilities.c.name).join(facilities, facilities.c.id == beds.c.facility_id)
                         .order_by(beds.c.facility_id, beds.c.population_group)).all()
    return [_bed_view(r, r.name) for r in rows]


# --- staff views --------------------------------------------------------------------------------

def bed_board(db: Database, caller: Caller, facility_id: str) -> dict:
    """Per group: the counts, beds out of service, and who holds or occupies each place (by
    reference and case manager; no names)."""
    caller.require("shelter")
    with db.read() as s:
        name = _require_facility(s, facility_id)
        inventory = s.execute(select(beds).where(beds.c.facility_id == facility_id)
                              .order_by(beds.c.population_group)).all()
        places = s.execute(select(placements).where(and_(placements.c.facility_id == facility_id,
                                                         placements.c.state.in_(rules.ACTIVE)))
                           .order_by(placements.c.population_group, placements.c.state,
                                     placements.c.id)).all()
    groups = []
    for r in inventory:
        groups.append({**_bed_view(r), "out_of_service_reason": r.out_of_service_reason,
                       "out_of_service_until": r.out_of_service_until.isoformat() if r.out_of_service_until else None,
                       "places": [_place_view(p) for p in places if p.population_group == r.population_group]})
    return {"facility": facility_id, "facility_name": name, "groups": groups}


def daily_census(db: Database, caller: Caller, facility_id: str, day: str | None = None) -> dict:
    """A day at a facility: arrivals (admissions), expected arrivals (holds), departures
    (discharges), and the census at the end of the day per group."""
    caller.require("shelter")
    the_day = _parse_date(day, "date") if day else utcnow().date()
    start = datetime.combine(the_day, time.min, tzinfo=timezone.utc)
    end = start + timedelta(days=1)
    with db.read() as s:
        name = _require_facility(s, facility_id)
        rows = s.execute(select(placements).where(placements.c.facility_id == facility_id)).all()
    in_day = lambda t: t is not None and start <= aware(t) < end  # noqa: E731
    arrivals = [_place_view(p) for p in rows if in_day(p.admitted_at)]
    departures = [_place_view(p) for p in rows if in_day(p.discharged_at)]
    expected = [_place_view(p) for p in rows if p.state == "held"]
    census = {}
    for group in POPULATION_GROUPS:
        present = [p for p in rows if p.population_group == group and p.admitted_at is not None
                   and aware(p.admitted_at) < end
                   and (p.discharged_at is None or aware(p.discharged_at) >= end)]
        census[group] = {"residents": len(present), "beds_occupied": sum(p.beds for p in present)}
    return {"facility": facility_id, "facility_name": name, "date": the_day.isoformat(),
            "arrivals": arrivals, "expected_arrivals": expected, "departures": departures,
            "census": census}


def _place_view(p) -> dict:
    return {"reference": p.reference, "state": p.state, "population_group": p.population_group,
            "beds": p.beds, "admission_id": p.id if p.admitted_at else None,
            "case_manager": p.case_manager, "held_at": iso(p.held_at),
            "hold_expires_at": iso(p.hold_expires_at), "admitted_at": iso(p.admitted_at),
            "discharged_at": iso(p.discharged_at), "outcome": p.outcome}


# --- Open Referral (HSDS 3.1) -------------------------------------------------------------------

HSDS_NAMESPACE = uuid.UUID("6f1c1c2e-6a8e-4d59-9a8e-2f7b6e0d3c11")
GROUP_LABELS = {"women": "adult women", "men": "adult men", "children": "children and families"}


def hsds_service(db: Database, caller: Caller, facility_id: str) -> dict:
    """The facility's shelter service as an HSDS 3.1 ``service`` with one ``service_capacity``
    per population group (unit: bed). Counts only: no address, no contacts, no names."""
    with db.read() as s:
        name = _require_facility(s, facility_id)
        rows = s.execute(select(beds).where(beds.c.facility_id == facility_id)
                         .order_by(beds.c.population_group)).all()
    ident = lambda *parts: str(uuid.uuid5(HSDS_NAMESPACE, "/".join(parts)))  # noqa: E731
    unit = {"id": ident("unit", "bed"), "name": "Bed", "identifier": "bed"}
    updated = max((aware(r.updated_at) for r in rows), default=None)
    service = {
        "id": ident("service", facility_id),
        "name": f"{name}: shelter for survivors of trafficking",
        "description": "Protective shelter with case management, legal counselling and "
                       "psychosocial support, by referral.",
        "status": "active",
        "last_modified": iso(updated) if updated else None,
        "capacities": [{
            "id": ident("capacity", facility_id, r.population_group),
            "unit": unit,
            "available": bed_rules.available(r.capacity, r.occupied, r.held, r.out_of_service),
            "maximum": r.capacity,
            "description": f"Beds for {GROUP_LABELS.get(r.population_group, r.population_group)}",
            "updated": iso(r.updated_at),
        } for r in rows],
    }
    return {key: value for key, value in service.items() if value is not None}


# --- helpers ------------------------------------------------------------------------------------

def _require_facility(s: Session, facility_id: str) -> str:
    name = s.execute(select(facilities.c.name).where(facilities.c.id == facility_id)).scalar_one_or_none()
    if name is None:
        raise NotFound(f"no facility {facility_id}", field="facility")
    return name


def _placement_for_update(s: Session, reference: str):
    return s.execute(select(placements).where(placements.c.reference == reference).with_for_update()).first()


def _parse_date(value, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("a date YYYY-MM-DD", field=field) from None


def aware(value):
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- residents' hearings and court accompaniment (issue 5) ------------------------------------------

def _resident(s: Session, reference: str) -> bool:
    row = s.execute(select(incoming.c.status).where(incoming.c.reference == reference)).first()
    return accompaniment_rules.is_resident(row.status if row else None)


def _on_hearing_scheduled(s: Session, envelope: dict, p: dict, agency: str, _hold=None) -> None:
    if not _resident(s, p["reference"]):
        return
    if s.execute(select(hearing_accompaniments.c.hearing_id)
                 .where(hearing_accompaniments.c.hearing_id == p["hearing_id"])).first():
        return
    s.execute(insert(hearing_accompaniments).values(
        hearing_id=p["hearing_id"], reference=p["reference"], court=p["court"],
        starts_at=p["starts_at"], time_zone=p["time_zone"],
        attendance_required=p["attendance_required"], status="scheduled", task_status="none",
        updated_at=utcnow()))


def _on_hearing_outcome(s: Session, envelope: dict, p: dict, agency: str, _hold=None) -> None:
    s.execute(update(hearing_accompaniments)
              .where(hearing_accompaniments.c.hearing_id == p["hearing_id"])
              .values(status=p["outcome"], updated_at=utcnow()))


def _on_hearing_reminder(s: Session, envelope: dict, p: dict, agency: str, _hold=None) -> None:
    """The reminder makes the hearing an accompaniment task (recorded even if the reminder
    overtook the hearing's own event)."""
    if not _resident(s, p["reference"]):
        return
    values = {"task_status": "to_arrange", "reminder_due_at": p["due_at"],
              "reminded_at": p["sent_at"], "updated_at": utcnow()}
    changed = s.execute(update(hearing_accompaniments)
                        .where(hearing_accompaniments.c.hearing_id == p["hearing_id"])
                        .values(**values)).rowcount
    if not changed:
        s.execute(insert(hearing_accompaniments).values(
            hearing_id=p["hearing_id"], reference=p["reference"], court=p["court"],
            starts_at=p["starts_at"], time_zone=p["time_zone"], attendance_required=True,
            status="scheduled", **values))
    log.info("hearing %s: accompaniment to arrange", p["hearing_id"])


def list_hearings(db: Database, caller: Caller, upcoming_only: bool = True) -> list[dict]:
    """Residents' hearings for shelter staff, soonest first, with any accompaniment task."""
    caller.require("shelter")
    query = select(hearing_accompaniments).order_by(hearing_accompaniments.c.starts_at).limit(500)
    now = utcnow()
    if upcoming_only:
        query = query.where(hearing_accompaniments.c.starts_at >= now)
    with db.read() as s:
        rows = [dict(r._mapping) for r in s.execute(query).all()]
    if upcoming_only:
        rows = [r for r in rows if accompaniment_rules.is_upcoming(r, now)]
    return [accompaniment_rules.hearing_view(r) for r in rows]


# events this service acts on (apply_event); each handler gets (session, envelope, payload, agency, hold)
_EVENT_HANDLERS = {
    "referral.submitted": _on_submitted,
    "referral.withdrawn": _on_withdrawn,
    "legal.hearing_scheduled": _on_hearing_scheduled,
    "legal.hearing_outcome": _on_hearing_outcome,
    "legal.hearing_reminder": _on_hearing_reminder,
}
