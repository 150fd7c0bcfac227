"""Steps the referral use cases share: refusing a malformed reference, and moving a referral
to a new status with its timeline entry (lifecycle-checked) and its ``referral.status_changed``
event (the step the referring police may be told of, docs/decisions/0039)."""

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from services.common.db import WriteTransaction

from services.common.errors import NotFound
from services.common.messaging import add_to_outbox
from services.contracts.envelope import make_event
from services.contracts.references import is_reference

from ..domain import lifecycle
from ..domain import referral as rules
from ..tables import outbox, referrals, timeline

SOURCE = "referral"  # the events' source
MAX_PAGE = 100  # the longest page of a list or a search


def check_reference(reference: str) -> None:
    """A malformed reference reads as an unknown one (``NotFound``), never as a server error."""
    if not is_reference(reference):
        raise NotFound("no such referral", field="reference")


def move(s: WriteTransaction, row, status: str, at, agency: str, note: str, now: datetime,
         reason_code: str | None = None, correlation_id: str | None = None):
    """Change status (lifecycle-checked), add the timeline entry and queue
    ``referral.status_changed`` in the same transaction; return the updated row."""
    lifecycle.check(row.status, status)
    s.execute(_SET_STATUS, {"b_id": row.id, "b_status": status, "b_now": now})
    add_timeline(s, row.id, at, agency, status, note, reason_code)
    row = s.execute(_BY_ID, {"b_id": row.id}).first()
    announce_change(s, row, status, agency, now, correlation_id)
    return row


def announce_change(s: WriteTransaction, row, change: str, agency: str, now: datetime,
                    correlation_id: str | None = None) -> None:
    """Queue ``referral.status_changed`` for a step of ``row`` (its status as it is now, or
    ``escalated``), carrying the consent to tell the referring police as it stands ``now``."""
    add_to_outbox(s, outbox, make_event(
        "referral.status_changed", rules.status_change(dict(row._mapping), change, agency, now),
        source=SOURCE, correlation_id=correlation_id, occurred_at=now))


def add_timeline(s: WriteTransaction, referral_id: int, at, agency: str, status: str, note: str,
                 reason_code: str | None = None) -> None:
    """One entry on the referral's lifecycle timeline (the note cut to its column), with the
    reason's code on a decline or withdrawal."""
    s.execute(_ADD_TIMELINE, {"referral_id": referral_id, "at": at, "agency": agency,
                              "status": status, "note": note[:500], "reason_code": reason_code})


# statements built once (each status change runs all three): built at every call, SQLAlchemy's
# construction and cache key cost several times the statement's execution on SQLite
_SET_STATUS = (update(referrals).where(referrals.c.id == bindparam("b_id"))
               .values(status=bindparam("b_status"), updated_at=bindparam("b_now")))
_BY_ID = select(referrals).where(referrals.c.id == bindparam("b_id"))
_ADD_TIMELINE = insert(timeline)
