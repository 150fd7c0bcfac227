"""Shelter tasks: a hearing's court accompaniment and a cash request's approval. No I/O.

One status machine for both kinds: ``to_arrange -> assigned -> done | not_needed``, an assigned
task may be handed to someone else (``assigned -> assigned``), and one to arrange may be found
not needed. A task past its due time and not finished is overdue. Shelter staff of the task's
provider act on it (``visibility.require_provider``). A cash approval is the second person's
approval of the cash request: it is done only by someone other than the requester, done
whenever its item is approved (by the plan page or by finishing the task) and not needed when
the item is cancelled; it is never closed as not needed by hand (the item is cancelled instead).
"""

import re
from datetime import datetime, timedelta

from services.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from services.common.timeutil import aware
from services.contracts.vocabulary import TASK_KINDS, TASK_STATUSES

ACCOMPANIMENT, CASH_APPROVAL = TASK_KINDS
OPEN = ("to_arrange", "assigned")
FINISHED = ("done", "not_needed")
MOVES = {"to_arrange": frozenset({"assigned", "not_needed"}),
         "assigned": frozenset({"assigned", "done", "not_needed"}),
         "done": frozenset(), "not_needed": frozenset()}
OUTCOMES = FINISHED
DEFAULT_CASH_APPROVAL = timedelta(hours=24)
SYSTEM = "refnet-shelter"  # who changed a task the service changed itself (a reminder arrived)
USER_ID = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")

assert set(MOVES) == set(TASK_STATUSES)


def is_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    """Not finished and past its due time."""
    return status not in FINISHED and due_at is not None and aware(due_at) < aware(now)


def check_move(current: str, new: str, field: str = "status") -> None:
    """Refuse a move the machine does not allow, saying which and what may follow."""
    if new not in MOVES:
        raise InvalidInput(f"must be one of {', '.join(TASK_STATUSES)}", field=field)
    if new not in MOVES[current]:
        allowed = ", ".join(sorted(MOVES[current])) or "nothing (finished)"
        raise IllegalTransition(f"a task that is {current} cannot become {new}; from {current} "
                                f"it may become: {allowed}", field=field)


def check_assignee(assignee) -> str:
    """A staff user id."""
    if not isinstance(assignee, str) or not USER_ID.match(assignee.strip()):
        raise InvalidInput("a user id: letters, digits and . _ @ -, at most 100",
                           field="assignee")
    return assignee.strip()


def check_assign(task: dict, assignee) -> str:
    """Whom an open task goes to: a user id; a cash approval never to its requester (she
    cannot approve her own request)."""
    assignee = check_assignee(assignee)
    check_move(task["status"], "assigned", field="assignee")
    if task["kind"] == CASH_APPROVAL and assignee == task.get("requested_by"):
        raise InvalidInput("the staff member who requested the cash cannot approve it; "
                           "assign a second staff member", field="assignee")
    return assignee


def check_finish(task: dict, outcome, by: str) -> str:
    """Finish an assigned task as ``done`` or ``not_needed``. A cash approval's ``done`` is the
    approval, by someone other than the requester; it is not closed as not needed by hand."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"must be one of {', '.join(OUTCOMES)}", field="outcome")
    if task["kind"] == CASH_APPROVAL:
        if outcome == "not_needed":
            raise Conflict("a cash request that is not needed is cancelled on the care plan; "
                           "its approval task follows", field="outcome")
        if by == task.get("requested_by"):
            raise Forbidden("the staff member who requested the cash cannot approve it; a "
                            "second staff member must", field="outcome")
    check_move(task["status"], outcome, field="outcome")
    return outcome


def item_follow(task_status: str, item_event: str) -> str | None:
    """The status a cash approval takes when its item is ``approved`` or ``cancelled`` (None:
    no change, the task is finished already)."""
    if task_status in FINISHED:
        return None
    return "done" if item_event == "approved" else "not_needed"


def cash_approval_due(created_at: datetime, window: timedelta = DEFAULT_CASH_APPROVAL) -> datetime:
    """When a cash request's approval is due."""
    return created_at + window


def task_view(row: dict, now: datetime) -> dict:
    """A task as its provider's staff see it (ids, codes, user ids and times)."""
    return {"id": row["id"], "kind": row["kind"], "status": row["status"],
            "reference": row["reference"], "facility": row["facility"],
            "assignee": row["assignee"], "requested_by": row["requested_by"],
            "due_at": row["due_at"], "overdue": is_overdue(row["status"], row["due_at"], now),
            "hearing_id": row["hearing_id"], "plan_id": row["plan_id"],
            "item_id": row["item_id"], "changed_at": row["changed_at"],
            "changed_by": row["changed_by"]}


def event_of(row: dict) -> dict:
    """The ``shelter.task_changed`` payload of a task as it now stands."""
    return {"task_id": row["id"], "kind": row["kind"], "status": row["status"],
            "reference": row["reference"], "agency": row["agency"], "facility": row["facility"],
            "assignee": row["assignee"], "requested_by": row["requested_by"],
            "due_at": row["due_at"], "changed_by": row["changed_by"],
            "changed_at": row["changed_at"]}


def check_list_filter(status) -> str | None:
    """A list's status filter: a task status, ``open`` (not finished), or None (all)."""
    if status in (None, ""):
        return None
    if status != "open" and status not in TASK_STATUSES:
        raise InvalidInput(f"one of open, {', '.join(TASK_STATUSES)}", field="status")
    return status
