"""Steps the referral use cases share: refusing a malformed reference, and moving a referral
to a new status with its timeline entry (lifecycle-checked)."""

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.common.errors import NotFound
from services.contracts.references import is_reference

from ..domain import lifecycle
from ..tables import referrals, timeline

SOURCE = "referral"  # the events' source
MAX_PAGE = 100  # the longest page of a list or a search


def check_reference(reference: str) -> None:
    """A malformed reference reads as an unknown one (``NotFound``), never as a server error."""
    if not is_reference(reference):
        raise NotFound("no such referral", field="reference")


def move(s: Session, row, status: str, at, agency: str, note: str, now: datetime,
         reason_code: str | None = None):
    """Change status (lifecycle-checked) and add the timeline entry; return the updated row."""
    lifecycle.check(row.status, status)
    s.execute(update(referrals).where(referrals.c.id == row.id).values(status=status, updated_at=now))
    add_timeline(s, row.id, at, agency, status, note, reason_code)
    return s.execute(select(referrals).where(referrals.c.id == row.id)).first()


def add_timeline(s: Session, referral_id: int, at, agency: str, status: str, note: str,
                 reason_code: str | None = None) -> None:
    """One entry on the referral's lifecycle timeline (the note cut to its column), with the
    reason's code on a decline or withdrawal."""
    s.execute(insert(timeline).values(referral_id=referral_id, at=at, agency=agency,
                                      status=status, note=note[:500], reason_code=reason_code))
