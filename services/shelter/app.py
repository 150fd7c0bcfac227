"""The shelter service's use cases: incoming referrals, decisions, bed inventory."""

import json
import logging

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import InvalidInput, NotFound
from services.common.messaging import add_to_outbox, first_time
from services.common.timeutil import iso, utcnow
from services.contracts.envelope import UnknownEvent, make_event, parse_event
from services.contracts.references import is_reference

from .domain import accompaniment as accompaniment_rules
from .domain import beds as bed_rules
from .domain import intake as intake_rules
from .tables import beds, facilities, hearing_accompaniments, incoming, outbox, processed_events

log = logging.getLogger(__name__)
SOURCE = "shelter"
INCOMING_STATUSES = ("received", "accepted", "declined", "withdrawn")


# --- events ---------------------------------------------------------------------------------

def apply_event(db: Database, body: dict, *, agency: str) -> bool:
    """Act on another service's event once per ``event_id``; ``agency`` is this shelter's id."""
    try:
        envelope, payload = parse_event(body)
    except UnknownEvent:
        return False
    handler = {"referral.submitted": _on_submitted, "referral.withdrawn": _on_withdrawn,
               "legal.hearing_scheduled": _on_hearing_scheduled,
               "legal.hearing_outcome": _on_hearing_outcome,
               "legal.hearing_reminder": _on_hearing_reminder}.get(envelope["type"])
    if handler is None:
        return False
    with db.write() as s:
        if not first_time(s, processed_events, envelope):
            return False
        handler(s, envelope, payload, agency)
    return True


def _on_submitted(s: Session, envelope: dict, p: dict, agency: str) -> None:
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


def _on_withdrawn(s: Session, envelope: dict, p: dict, agency: str) -> None:
    s.execute(update(incoming).where(and_(incoming.c.reference == p["reference"],
                                          incoming.c.status == "received"))
              .values(status="withdrawn", decided_at=p["withdrawn_at"]))


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
           correlation_id: str | None = None) -> dict:
    """Accept or decline an incoming referral; the referral service learns it by event."""
    caller.require("shelter")
    if not is_reference(reference):
        raise NotFound("no such incoming referral", field="reference")
    with db.write() as s:
        row = s.execute(select(incoming).where(incoming.c.reference == reference).with_for_update()).first()
        if row is None:
            raise NotFound(f"no incoming referral {reference}", field="reference")
        new_status = intake_rules.decide(row.status, decision, reason)
        now = utcnow()
        s.execute(update(incoming).where(incoming.c.reference == reference).values(
            status=new_status, decided_at=now, decided_by=caller.user,
            decision_reason=(reason or None)))
        add_to_outbox(s, outbox, make_event(f"shelter.referral_{new_status}", {
            "reference": reference, "decided_at": now, "agency": caller.agency,
            "reason": reason or None}, source=SOURCE, correlation_id=correlation_id))
    return {"reference": reference, "status": new_status, "decided_at": iso(now)}


def _incoming_view(r) -> dict:
    return {"reference": r.reference, "population_group": r.population_group, "urgency": r.urgency,
            "needs": json.loads(r.needs), "children_count": r.children_count,
            "beds_needed": r.beds_needed, "referring_agency": r.referring_agency,
            "status": r.status, "received_at": iso(r.received_at), "decided_at": iso(r.decided_at),
            "decision_reason": r.decision_reason}


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
                 capacity: int, correlation_id: str | None = None) -> dict:
    caller.require("shelter", "admin")
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise InvalidInput("must be a whole number", field="capacity")
    now = utcnow()
    with db.write() as s:
        if not s.execute(select(facilities.c.id).where(facilities.c.id == facility_id)).first():
            raise NotFound(f"no facility {facility_id}", field="facility")
        key = and_(beds.c.facility_id == facility_id, beds.c.population_group == population_group)
        row = s.execute(select(beds).where(key).with_for_update()).first()
        occupied, held = (row.occupied, row.held) if row else (0, 0)
        bed_rules.check_capacity(population_group, capacity, occupied, held)
        if row:
            s.execute(update(beds).where(key).values(capacity=capacity, updated_at=now))
        else:
            s.execute(insert(beds).values(facility_id=facility_id, population_group=population_group,
                                          capacity=capacity, occupied=0, held=0, updated_at=now))
        view = {"facility": facility_id, "population_group": population_group, "capacity": capacity,
                "occupied": occupied, "held": held,
                "available": bed_rules.available(capacity, occupied, held)}
        add_to_outbox(s, outbox, make_event("shelter.capacity_changed", {**view, "changed_at": now},
                                            source=SOURCE, correlation_id=correlation_id))
    return {**view, "updated_at": iso(now)}


def availability(db: Database, caller: Caller) -> list[dict]:
    """Beds per facility and group for anyone signed in: counts only, no address, no names."""
    with db.read() as s:
        rows = s.execute(select(beds, facilities.c.name).join(facilities, facilities.c.id == beds.c.facility_id)
                         .order_by(beds.c.facility_id, beds.c.population_group)).all()
    return [{"facility": r.facility_id, "facility_name": r.name, "population_group": r.population_group,
             "capacity": r.capacity, "occupied": r.occupied, "held": r.held,
             "available": bed_rules.available(r.capacity, r.occupied, r.held),
             "updated_at": iso(r.updated_at)} for r in rows]


# --- residents' hearings and court accompaniment (issue 5) ------------------------------------------

def _resident(s: Session, reference: str) -> bool:
    row = s.execute(select(incoming.c.status).where(incoming.c.reference == reference)).first()
    return accompaniment_rules.is_resident(row.status if row else None)


def _on_hearing_scheduled(s: Session, envelope: dict, p: dict, agency: str) -> None:
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


def _on_hearing_outcome(s: Session, envelope: dict, p: dict, agency: str) -> None:
    s.execute(update(hearing_accompaniments)
              .where(hearing_accompaniments.c.hearing_id == p["hearing_id"])
              .values(status=p["outcome"], updated_at=utcnow()))


def _on_hearing_reminder(s: Session, envelope: dict, p: dict, agency: str) -> None:
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
