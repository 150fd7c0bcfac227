"""Incoming referrals: what the police sent the shelter, known by reference only."""

import base64
import json
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select, update

from services.common.db import WriteTransaction, insert_into

from services.common.errors import InvalidInput, NotFound
from services.common.timeutil import aware, iso
from services.contracts.vocabulary import URGENCY_RANK

from ..domain import intake as rules
from ..tables import best_interests, incoming

MAX_ROWS = 500

# built once (a statement built at each call cost more than running it on SQLite); the
# ``b_`` names are parameters given at each execution
_FOR_UPDATE = (select(incoming).where(incoming.c.reference == bindparam("b_ref"))
               .with_for_update())
_HELD_FOR_UPDATE = (select(incoming).where(and_(incoming.c.reference == bindparam("b_ref"),
                                                incoming.c.held_by == bindparam("b_agency")))
                    .with_for_update())
_RECORDED = select(incoming.c.reference).where(incoming.c.reference == bindparam("b_ref"))
_DECIDE = update(incoming).where(and_(incoming.c.reference == bindparam("b_ref"),
                                      incoming.c.status == bindparam("b_status"),
                                      incoming.c.held_by == bindparam("b_holder")))


def for_update(s: WriteTransaction, reference: str):
    """The incoming referral, locked; NotFound when there is none."""
    row = s.execute(_FOR_UPDATE, {"b_ref": reference}).first()
    if row is None:
        raise NotFound(f"no incoming referral {reference}", field="reference")
    return row


def status_of(s: WriteTransaction, reference: str) -> str | None:
    """The referral's status, or None when the shelter never received it."""
    row = s.execute(select(incoming.c.status).where(incoming.c.reference == reference)).first()
    return row.status if row else None


def held_for_update(s: WriteTransaction, reference: str, agency: str):
    """The incoming referral held by ``agency``, locked; NotFound (naming ``reference``) when
    there is none or another provider holds it: a provider must not learn of another's."""
    row = s.execute(_HELD_FOR_UPDATE, {"b_ref": reference, "b_agency": agency}).first()
    if row is None:
        raise NotFound(f"no incoming referral {reference}", field="reference")
    return row


URGENCY_ORDER = incoming.c.urgency_rank  # URGENCY_RANK of the urgency, stored at receipt


def listed(s: WriteTransaction, holder: str, status: str | None, limit: int = MAX_ROWS,
           cursor: tuple | None = None) -> list:
    """The referrals ``holder`` holds, in a status (all when None): most urgent first, then
    newest first, then by reference; ``cursor`` (``page_cursor`` of the last row of the page
    before) pages on. Up to ``limit`` + 1 rows (the one more says there is a next page)."""
    return s.execute(listing(holder, status, limit, cursor)).all()


def listing(holder: str, status: str | None, limit: int = MAX_ROWS, cursor: tuple | None = None):
    """``listed``'s statement: in the order of an index (holder, [status,] urgency rank,
    received, reference), so a page is read in order and the scan stops after it."""
    query = (select(incoming).where(incoming.c.held_by == holder)
             .order_by(URGENCY_ORDER.desc(), incoming.c.received_at.desc(),
                       incoming.c.reference.desc()))
    if status:
        query = query.where(incoming.c.status == status)
    if cursor is not None:
        rank, received_at, reference = cursor
        query = query.where(or_(
            URGENCY_ORDER < rank,
            and_(URGENCY_ORDER == rank, incoming.c.received_at < received_at),
            and_(URGENCY_ORDER == rank, incoming.c.received_at == received_at,
                 incoming.c.reference < reference)))
    return query.limit(limit + 1)


def page_cursor(row) -> str:
    """An opaque cursor after ``row`` of ``listed``."""
    raw = json.dumps([row.urgency_rank, iso(row.received_at), row.reference])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(cursor: str) -> tuple:
    """The position a ``page_cursor`` names; ``InvalidInput`` naming ``cursor`` otherwise."""
    try:
        rank, received_at, reference = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        return int(rank), aware(datetime.fromisoformat(received_at)), str(reference)
    except Exception:
        raise InvalidInput("not a cursor this service gave out", field="cursor") from None


def incoming_view(r) -> dict:
    """An incoming referral as shelter staff see it."""
    return {"reference": r.reference, "population_group": r.population_group, "urgency": r.urgency,
            "needs": json.loads(r.needs), "children_count": r.children_count,
            "beds_needed": r.beds_needed, "referring_agency": r.referring_agency,
            "status": r.status, "received_at": iso(r.received_at), "decided_at": iso(r.decided_at),
            "decision_reason_code": r.decision_reason_code, "decision_reason": r.decision_reason,
            "held_by": r.held_by, "offered_at": iso(r.offered_at),
            "answer_due_at": iso(r.answer_due_at),
            "service_languages": json.loads(r.service_languages or "[]"),
            "survivor_minor": r.survivor_minor}


def record_decision(s: WriteTransaction, row, status: str, now: datetime, user: str, reason,
                    reason_code: str | None = None) -> bool:
    """The shelter's decision on a referral still in the status and with the holder it was
    read with: the reason's code, and the staff's own note (this service's alone). False when
    it changed meanwhile (another decision won)."""
    return s.execute(_DECIDE, {
        "b_ref": row.reference, "b_status": row.status, "b_holder": row.held_by,
        "status": status, "decided_at": now, "decided_by": user,
        "decision_reason_code": reason_code,
        "decision_reason": (reason or "").strip() or None}).rowcount == 1


def start_screening(s: WriteTransaction, row, now: datetime, user: str, reason_code: str) -> bool:
    """The holder starts screening a referral still received and held as read (a guarded
    update: False when a decision, a pass-on or another screening won meanwhile). The start is
    kept as the decision columns are: who, when, why (a code); the decision overwrites them."""
    return s.execute(update(incoming).where(and_(incoming.c.reference == row.reference,
                                                 incoming.c.status == "received",
                                                 incoming.c.held_by == row.held_by))
                     .values(status="screening", decided_at=now, decided_by=user,
                             decision_reason_code=reason_code)).rowcount == 1


def best_interests_of(s: WriteTransaction, reference: str):
    """The referral's best-interests determination (None when none is recorded)."""
    return s.execute(select(best_interests).where(best_interests.c.reference == reference)).first()


def put_best_interests(s: WriteTransaction, reference: str, outcome: str, assessed_by: str, assessed_on,
                       now: datetime) -> None:
    """Record the determination, replacing an earlier one (the latest counts)."""
    values = {"outcome": outcome, "assessed_by": assessed_by[:100], "assessed_on": assessed_on,
              "recorded_at": now}
    if best_interests_of(s, reference) is None:
        s.execute(insert_into(best_interests), {"reference": reference, **values})
    else:
        s.execute(update(best_interests).where(best_interests.c.reference == reference)
                  .values(**values))


def add(s: WriteTransaction, p: dict, now: datetime) -> bool:
    """Record a submitted referral once; False when it was recorded before."""
    if s.execute(_RECORDED, {"b_ref": p["reference"]}).first():
        return False
    s.execute(insert_into(incoming), dict(
        reference=p["reference"], population_group=p["population_group"], urgency=p["urgency"],
        urgency_rank=URGENCY_RANK.get(p["urgency"], 0),
        needs=json.dumps(p["needs"]), children_count=p["children_count"],
        beds_needed=p["beds_needed"], referring_agency=p["referring_agency"], status="received",
        received_at=now, service_languages=json.dumps(list(p.get("service_languages") or [])),
        survivor_minor=p.get("survivor_minor")))
    return True


def withdraw(s: WriteTransaction, reference: str, withdrawn_at, status: str = "withdrawn") -> None:
    """The police withdrew the referral (or the referral service closed it: ``status``
    closed): so marked unless the shelter declined it or it ended."""
    s.execute(update(incoming).where(and_(incoming.c.reference == reference,
                                          incoming.c.status.in_(rules.WITHDRAWABLE)))
              .values(status=status, decided_at=withdrawn_at))
