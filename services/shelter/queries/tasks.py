"""Tasks: one row per hearing's accompaniment or cash request's approval, listed by due time."""

import base64
import json
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update
from services.common.db import WriteTransaction

from services.common.errors import InvalidInput, NotFound
from services.common.timeutil import aware, iso

from ..domain import tasks as rules
from ..tables import hearing_accompaniments, placements, tasks

TASK_ID_LENGTH = 32


def row_dict(row) -> dict:
    """A task row as a dict, its times aware."""
    data = dict(row._mapping)
    for name in ("due_at", "created_at", "changed_at"):
        data[name] = aware(data[name])
    return data


def task(s: WriteTransaction, task_id, *, for_update: bool = False) -> dict:
    """The task; NotFound naming ``task_id`` when there is none of that id."""
    if not isinstance(task_id, str) or len(task_id) != TASK_ID_LENGTH:
        raise NotFound("no such task", field="task_id")
    query = select(tasks).where(tasks.c.id == task_id)
    row = s.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound("no such task", field="task_id")
    return row_dict(row)


def of_hearing(s: WriteTransaction, hearing_id: str) -> dict | None:
    row = s.execute(select(tasks).where(tasks.c.hearing_id == hearing_id)).first()
    return row_dict(row) if row else None


def of_item(s: WriteTransaction, item_id: int, *, for_update: bool = False) -> dict | None:
    query = select(tasks).where(tasks.c.item_id == item_id)
    row = s.execute(query.with_for_update() if for_update else query).first()
    return row_dict(row) if row else None


def open_of(s: WriteTransaction, *, reference: str | None = None, plan_id: int | None = None) -> list[dict]:
    """The open tasks of a resident (``reference``) or of a care plan, locked."""
    query = select(tasks).where(tasks.c.status.in_(rules.OPEN)).order_by(tasks.c.id)
    if reference is not None:
        query = query.where(tasks.c.reference == reference)
    if plan_id is not None:
        query = query.where(tasks.c.plan_id == plan_id)
    return [row_dict(r) for r in s.execute(query.with_for_update()).all()]


def add(s: WriteTransaction, **values) -> dict:
    s.execute(insert(tasks).values(**values))
    return task(s, values["id"])


def change(s: WriteTransaction, task_id: str, from_status: str, **values) -> bool:
    """Change a task still in ``from_status``; False when it changed meanwhile."""
    return s.execute(update(tasks).where(and_(tasks.c.id == task_id, tasks.c.status == from_status))
                     .values(**values)).rowcount == 1


def keep_accompaniment_in_step(s: WriteTransaction, hearing_id: str | None, status: str) -> None:
    """The hearing's accompaniment status (the hearings list shows it) follows its task."""
    if hearing_id is not None:
        s.execute(update(hearing_accompaniments)
                  .where(hearing_accompaniments.c.hearing_id == hearing_id)
                  .values(task_status=status))


def placement_of(s: WriteTransaction, reference: str):
    """The provider and facility of a resident's placement, or None."""
    return s.execute(select(placements.c.provider, placements.c.facility_id)
                     .where(placements.c.reference == reference)).first()


def listed(s: WriteTransaction, agency: str | None, *, assignee: str | None, status: str | None,
           now: datetime, cursor: tuple | None, limit: int) -> list[dict]:
    """Tasks of ``agency`` (every provider's when None), soonest due first then by id; only
    ``assignee``'s when given; ``status`` a status or ``open``. Up to ``limit`` + 1 rows."""
    query = select(tasks).order_by(tasks.c.due_at, tasks.c.id)
    if agency is not None:
        query = query.where(tasks.c.agency == agency)
    if assignee is not None:
        query = query.where(tasks.c.assignee == assignee)
    if status == "open":
        query = query.where(tasks.c.status.in_(rules.OPEN))
    elif status is not None:
        query = query.where(tasks.c.status == status)
    if cursor is not None:
        due_at, task_id = cursor
        query = query.where(or_(tasks.c.due_at > due_at,
                                and_(tasks.c.due_at == due_at, tasks.c.id > task_id)))
    return [row_dict(r) for r in s.execute(query.limit(limit + 1)).all()]


def page_cursor(row: dict) -> str:
    """An opaque cursor after ``row`` of ``listed``."""
    raw = json.dumps([iso(row["due_at"]), row["id"]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(cursor) -> tuple | None:
    """The position a ``page_cursor`` names (None for none); ``InvalidInput`` naming
    ``cursor`` otherwise."""
    if cursor in (None, ""):
        return None
    try:
        due_at, task_id = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        return aware(datetime.fromisoformat(due_at.replace("Z", "+00:00"))), str(task_id)
    except Exception:
        raise InvalidInput("not a cursor this list gave", field="cursor") from None
