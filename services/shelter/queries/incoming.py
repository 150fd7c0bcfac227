"""Incoming referrals: what the police sent the shelter, known by reference only."""

import json
from datetime import datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from services.common.errors import NotFound
from services.common.timeutil import iso

from ..domain import intake as rules
from ..tables import incoming

MAX_ROWS = 500


def for_update(s: Session, reference: str):
    """The incoming referral, locked; NotFound when there is none."""
    row = s.execute(select(incoming).where(incoming.c.reference == reference).with_for_update()).first()
    if row is None:
        raise NotFound(f"no incoming referral {reference}", field="reference")
    return row


def status_of(s: Session, reference: str) -> str | None:
    """The referral's status, or None when the shelter never received it."""
    row = s.execute(select(incoming.c.status).where(incoming.c.reference == reference)).first()
    return row.status if row else None


def listed(s: Session, status: str | None) -> list:
    """Incoming referrals in a status (all when None), oldest first."""
    query = select(incoming).order_by(incoming.c.received_at)
    if status:
        query = query.where(incoming.c.status == status)
    return s.execute(query.limit(MAX_ROWS)).all()


def incoming_view(r) -> dict:
    """An incoming referral as shelter staff see it."""
    return {"reference": r.reference, "population_group": r.population_group, "urgency": r.urgency,
            "needs": json.loads(r.needs), "children_count": r.children_count,
            "beds_needed": r.beds_needed, "referring_agency": r.referring_agency,
            "status": r.status, "received_at": iso(r.received_at), "decided_at": iso(r.decided_at),
            "decision_reason_code": r.decision_reason_code, "decision_reason": r.decision_reason}


def record_decision(s: Session, row, status: str, now: datetime, user: str, reason,
                    reason_code: str | None = None) -> None:
    """The shelter's decision on a referral still in the status it was read in: the reason's
    code, and the staff's own note (this service's alone)."""
    s.execute(update(incoming).where(and_(incoming.c.reference == row.reference,
                                          incoming.c.status == row.status))
              .values(status=status, decided_at=now, decided_by=user,
                      decision_reason_code=reason_code, decision_reason=(reason or "").strip() or None))


def add(s: Session, p: dict, now: datetime) -> bool:
    """Record a submitted referral once; False when it was recorded before."""
    if s.execute(select(incoming.c.reference).where(incoming.c.reference == p["reference"])).first():
        return False
    s.execute(insert(incoming).values(
        reference=p["reference"], population_group=p["population_group"], urgency=p["urgency"],
        needs=json.dumps(p["needs"]), children_count=p["children_count"],
        beds_needed=p["beds_needed"], referring_agency=p["referring_agency"], status="received",
        received_at=now))
    return True


def withdraw(s: Session, reference: str, withdrawn_at, status: str = "withdrawn") -> None:
    """The police withdrew the referral (or the referral service closed it: ``status``
    closed): so marked unless the shelter declined it or it ended."""
    s.execute(update(incoming).where(and_(incoming.c.reference == reference,
                                          incoming.c.status.in_(rules.WITHDRAWABLE)))
              .values(status=status, decided_at=withdrawn_at))
