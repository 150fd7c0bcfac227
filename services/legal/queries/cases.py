"""Legal cases and what hangs off them (sessions, notes): reads and the dicts rows become."""

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from services.common.errors import NotFound
from services.common.timeutil import iso

from ..domain.inputs import check_id
from ..tables import cases, eligible
from .eligibility import legal_consent_ok


def with_consent():
    """Legal cases joined to their referral, while the survivor's consent to legal help stands."""
    return select(cases).join(eligible, eligible.c.reference == cases.c.reference)


def case_row(s: Session, case_id: str, now: datetime):
    """The case, while the survivor's consent to legal help stands; else ``NotFound``."""
    row = s.execute(with_consent().where(and_(cases.c.id == check_id(case_id, "case_id"),
                                              legal_consent_ok(now)))).first()
    if row is None:
        raise NotFound(f"no legal case {case_id}", field="case_id")
    return row


def case_summary(r) -> dict:
    """A legal case without its parts."""
    return {"case_id": r.id, "reference": r.reference, "lawyer": r.lawyer, "status": r.status,
            "opened_at": iso(r.opened_at), "opened_by": r.opened_by}


def session_view(r) -> dict:
    """A counselling session."""
    return {"session_id": r.id, "held_on": r.held_on.isoformat(), "topic": r.topic, "lawyer": r.lawyer}
