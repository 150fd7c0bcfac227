"""Residents' hearings, as the legal service announced them."""

from datetime import datetime

from sqlalchemy import and_, insert, select, update
from services.common.db import WriteTransaction

from ..domain import accompaniment as rules
from ..tables import hearing_accompaniments as hearings
from ..tables import placements, tasks

MAX_ROWS = 500


def listed(s: WriteTransaction, *, upcoming_from: datetime | None = None,
           provider: str | None = None) -> list[dict]:
    """Hearings soonest first, with their accompaniment task's id and assignee; only those upcoming at ``upcoming_from`` when given (the filter is
    the domain's definition of upcoming, applied to the columns); only of ``provider``'s
    residents when given."""
    query = (select(hearings, tasks.c.id.label("task_id"), tasks.c.assignee)
             .outerjoin(tasks, tasks.c.hearing_id == hearings.c.hearing_id)
             .order_by(hearings.c.starts_at).limit(MAX_ROWS))
    if provider is not None:
        query = query.where(hearings.c.reference.in_(
            select(placements.c.reference).where(placements.c.provider == provider)))
    if upcoming_from is not None:
        query = query.where(and_(*rules.upcoming_tests(hearings.c.status, hearings.c.starts_at,
                                                       upcoming_from)))
    return [dict(r._mapping) for r in s.execute(query).all()]


def known(s: WriteTransaction, hearing_id: str) -> bool:
    """Whether the shelter tracks this hearing already."""
    query = select(hearings.c.hearing_id).where(hearings.c.hearing_id == hearing_id)
    return s.execute(query).first() is not None


def add(s: WriteTransaction, p: dict, **values) -> None:
    """Track a hearing from an event's payload."""
    s.execute(insert(hearings).values(
        hearing_id=p["hearing_id"], reference=p["reference"], court=p["court"],
        starts_at=p["starts_at"], time_zone=p["time_zone"], **values))


def change(s: WriteTransaction, hearing_id: str, **values) -> bool:
    """Change a tracked hearing; False when the shelter does not track it."""
    return s.execute(update(hearings).where(hearings.c.hearing_id == hearing_id)
                     .values(**values)).rowcount > 0
