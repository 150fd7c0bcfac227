"""Follow-up contacts after discharge: codes, staff ids and dates only."""

from datetime import date, datetime

from sqlalchemy import and_, func, insert, select, update
from services.common.db import WriteTransaction

from services.common.errors import NotFound
from services.common.timeutil import iso

from ..domain.visibility import require_provider
from ..tables import follow_ups

MAX_ROWS = 500
MAX_ID = 2**31 - 1  # an integer column's largest value: a larger id is no follow-up, not an error


def add(s: WriteTransaction, **values) -> int:
    """One scheduled contact; its id."""
    return s.execute(insert(follow_ups).values(status="scheduled", **values)).inserted_primary_key[0]


def one(s: WriteTransaction, caller, follow_up_id):
    """The contact; NotFound when there is none, or when it is another provider's."""
    if (not isinstance(follow_up_id, int) or isinstance(follow_up_id, bool)
            or not 0 < follow_up_id <= MAX_ID):
        raise NotFound("no such follow-up", field="follow_up")
    row = s.execute(select(follow_ups).where(follow_ups.c.id == follow_up_id)).first()
    if row is None:
        raise NotFound(f"no follow-up {follow_up_id}", field="follow_up")
    require_provider(caller, row.provider, "follow_up")
    return row


def lock_admission(s: WriteTransaction, admission_id: int) -> list:
    """Every contact of an admission, locked (PostgreSQL; SQLite serialises writers), so two
    contacts recorded at once cannot both miss that together they end the follow-up."""
    return s.execute(select(follow_ups.c.id).where(follow_ups.c.admission_id == admission_id)
                     .order_by(follow_ups.c.id).with_for_update()).all()


def record(s: WriteTransaction, follow_up_id: int, outcome: str, contacted_on: date, now: datetime,
           user: str) -> bool:
    """Record a contact still scheduled; False when it was recorded or cancelled meanwhile."""
    return s.execute(update(follow_ups).where(and_(follow_ups.c.id == follow_up_id,
                                                   follow_ups.c.status == "scheduled"))
                     .values(status="recorded", outcome=outcome, contacted_on=contacted_on,
                             recorded_at=now, recorded_by=user[:100])).rowcount == 1


def still_scheduled(s: WriteTransaction, admission_id: int) -> int:
    """How many contacts of the admission are still scheduled."""
    return s.execute(select(func.count()).select_from(follow_ups).where(and_(
        follow_ups.c.admission_id == admission_id, follow_ups.c.status == "scheduled"))).scalar()


def cancel_rest(s: WriteTransaction, admission_id: int, now: datetime) -> None:
    """The follow-up ended early: the contacts still scheduled are cancelled."""
    s.execute(update(follow_ups).where(and_(follow_ups.c.admission_id == admission_id,
                                            follow_ups.c.status == "scheduled"))
              .values(status="cancelled", recorded_at=now))


def mark_ended(s: WriteTransaction, follow_up_id: int, now: datetime) -> None:
    """The contact whose recording ended the follow-up."""
    s.execute(update(follow_ups).where(follow_ups.c.id == follow_up_id).values(ended_at=now))


def listed(s: WriteTransaction, provider: str | None, scheduled_only: bool, due_before: date | None = None,
           due_from: date | None = None, case_manager: str | None = None) -> list:
    """Contacts of a provider (every provider's: None), narrowed as asked."""
    f = follow_ups
    query = select(f)
    if provider is not None:
        query = query.where(f.c.provider == provider)
    if scheduled_only:
        query = query.where(f.c.status == "scheduled")
    if due_before is not None:
        query = query.where(f.c.due_on < due_before)
    if due_from is not None:
        query = query.where(f.c.due_on >= due_from)
    if case_manager is not None:
        query = query.where(f.c.case_manager == case_manager)
    return s.execute(query.order_by(f.c.due_on, f.c.id).limit(MAX_ROWS)).all()


def ended_at_of(s: WriteTransaction, admission_ids: list[int]) -> dict[int, datetime | None]:
    """Per admission with a follow-up: when it ended (None while it runs)."""
    if not admission_ids:
        return {}
    rows = s.execute(select(follow_ups.c.admission_id, func.max(follow_ups.c.ended_at),
                            func.count(follow_ups.c.ended_at))
                     .where(follow_ups.c.admission_id.in_(admission_ids))
                     .group_by(follow_ups.c.admission_id)).all()
    return {r[0]: (r[1] if r[2] else None) for r in rows}


def view(row, state: str) -> dict:
    """A contact as the API shows it."""
    return {"follow_up_id": row.id, "admission_id": row.admission_id, "reference": row.reference,
            "facility": row.facility_id, "case_manager": row.case_manager, "months": row.months,
            "discharged_on": row.discharged_on.isoformat(), "due_on": row.due_on.isoformat(),
            "state": state, "outcome": row.outcome,
            "contacted_on": row.contacted_on.isoformat() if row.contacted_on else None,
            "recorded_at": iso(row.recorded_at) if row.recorded_at else None,
            "recorded_by": row.recorded_by, "ended_at": iso(row.ended_at) if row.ended_at else None}
