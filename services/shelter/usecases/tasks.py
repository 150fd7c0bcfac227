"""Shelter tasks (docs/decisions/0042): a hearing's court accompaniment, opened when the legal
service's reminder arrives, and a cash request's approval, opened with the request. Staff of
the task's provider list, assign and finish them; every change queues ``shelter.task_changed``
in its own transaction, and a cash approval follows its plan item (approved: done; cancelled:
not needed). Two people finishing one task at once: the row lock and a conditional update
let one win, the other is told it changed (409)."""

import uuid
from datetime import datetime, timedelta

from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict
from services.common.timeutil import iso

from ..domain import care as care_rules
from ..domain import tasks as rules
from ..domain.visibility import provider_scope, require_provider
from ..queries import care as care_queries
from ..queries import tasks as queries
from .common import emit

CHANGED = "the task changed meanwhile; read it and try again"
MAX_PAGE = 100


def _announce(s: WriteTransaction, row: dict, correlation_id: str | None = None) -> None:
    emit(s, row["changed_at"], "shelter.task_changed", rules.event_of(row), correlation_id)


def open_accompaniment(s: WriteTransaction, reference: str, hearing_id: str, starts_at: datetime,
                       default_agency: str, now: datetime) -> dict | None:
    """The hearing's accompaniment task, to arrange before it starts, for the provider the
    resident is placed with; once per hearing (None when it exists already)."""
    if queries.of_hearing(s, hearing_id) is not None:
        return None
    placement = queries.placement_of(s, reference)
    row = queries.add(
        s, id=uuid.uuid4().hex, kind=rules.ACCOMPANIMENT, status="to_arrange",
        reference=reference, agency=placement.provider if placement else default_agency,
        facility=placement.facility_id if placement else None, hearing_id=hearing_id,
        due_at=starts_at, created_at=now, changed_at=now, changed_by=rules.SYSTEM)
    _announce(s, row)
    return row


def drop_accompaniment(s: WriteTransaction, hearing_id: str, now: datetime) -> None:
    """The hearing was postponed or cancelled: its open accompaniment task is not needed (a
    postponed hearing's replacement gets its own reminder and task)."""
    task = queries.of_hearing(s, hearing_id)
    if task is None or task["status"] not in rules.OPEN:
        return
    if queries.change(s, task["id"], task["status"], status="not_needed", changed_at=now,
                      changed_by=rules.SYSTEM):
        queries.keep_accompaniment_in_step(s, hearing_id, "not_needed")
        _announce(s, queries.task(s, task["id"]))


def drop_plan_approvals(s: WriteTransaction, plan_id: int, now: datetime) -> None:
    """The plan closed (the resident left, or moved on without her plan): its open cash
    approvals are not needed."""
    for task in queries.open_of(s, plan_id=plan_id):
        if task["kind"] == rules.CASH_APPROVAL and queries.change(
                s, task["id"], task["status"], status="not_needed", changed_at=now,
                changed_by=rules.SYSTEM):
            _announce(s, queries.task(s, task["id"]))


def move_with_resident(s: WriteTransaction, reference: str, plan_id: int | None, agency: str,
                       facility: str, now: datetime, by: str) -> None:
    """The resident moved to another provider's facility: her open accompaniment tasks, and
    the open cash approvals of the plan that went with her (``plan_id``), are the new
    provider's now (told again, so its staff learn of them)."""
    for task in queries.open_of(s, reference=reference):
        if task["kind"] == rules.ACCOMPANIMENT or (plan_id is not None
                                                   and task["plan_id"] == plan_id):
            if queries.change(s, task["id"], task["status"], agency=agency, facility=facility,
                              changed_at=now, changed_by=by[:100]):
                _announce(s, queries.task(s, task["id"]))


def open_cash_approval(s: WriteTransaction, plan, item_id: int, requested_by: str, now: datetime,
                       window: timedelta = rules.DEFAULT_CASH_APPROVAL) -> dict:
    """A cash request's approval task, due ``window`` after the request, in its transaction."""
    row = queries.add(
        s, id=uuid.uuid4().hex, kind=rules.CASH_APPROVAL, status="to_arrange",
        reference=plan.reference, agency=plan.provider, facility=plan.facility_id,
        plan_id=plan.id, item_id=item_id, requested_by=requested_by[:100],
        due_at=rules.cash_approval_due(now, window), created_at=now, changed_at=now,
        changed_by=requested_by[:100])
    _announce(s, row)
    return row


def follow_item(s: WriteTransaction, item_id: int, item_event: str, by: str, now: datetime) -> None:
    """A cash item was approved or cancelled: its approval task follows, in that transaction."""
    task = queries.of_item(s, item_id, for_update=True)
    if task is None:
        return
    status = rules.item_follow(task["status"], item_event)
    if status is None:
        return
    if not queries.change(s, task["id"], task["status"], status=status, changed_at=now,
                          changed_by=by[:100]):
        raise Conflict(CHANGED, field="task_id")
    _announce(s, queries.task(s, task["id"]))


def list_tasks(db: Database, caller: Caller, now: datetime, mine: bool = False,
               status: str | None = None, cursor: str | None = None,
               limit: int = 50) -> dict:
    """The caller's provider's tasks (only the caller's own with ``mine``), soonest due first,
    a page at a time, each flagged when overdue."""
    caller.require("shelter")
    status = rules.check_list_filter(status)
    position = queries.read_cursor(cursor)
    limit = max(1, min(int(limit), MAX_PAGE))
    with db.read() as s:
        rows = queries.listed(s, provider_scope(caller), assignee=caller.user if mine else None,
                              status=status, now=now, cursor=position, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_view(r, now) for r in rows]
    return {"items": items, "next_cursor": queries.page_cursor(rows[-1]) if more else None}


def assign_task(db: Database, caller: Caller, task_id: str, assignee, now: datetime,
                correlation_id: str | None = None) -> dict:
    """Give an open task to a staff member (or hand an assigned one to another)."""
    caller.require("shelter")
    with db.write() as s:
        task = queries.task(s, task_id, for_update=True)
        require_provider(caller, task["agency"], "task_id")
        assignee = rules.check_assign(task, assignee)
        if not queries.change(s, task_id, task["status"], status="assigned", assignee=assignee,
                              changed_at=now, changed_by=caller.user[:100]):
            raise Conflict(CHANGED, field="task_id")
        queries.keep_accompaniment_in_step(s, task["hearing_id"], "assigned")
        row = queries.task(s, task_id)
        _announce(s, row, correlation_id)
    return _view(row, now)


def finish_task(db: Database, caller: Caller, task_id: str, outcome, now: datetime,
                correlation_id: str | None = None) -> dict:
    """Finish an assigned task: ``done`` or ``not_needed``. A cash approval's ``done`` is the
    approval of its item, by someone other than the requester, in the same transaction."""
    caller.require("shelter")
    with db.write() as s:
        first = queries.task(s, task_id)
        require_provider(caller, first["agency"], "task_id")
        if first["kind"] == rules.CASH_APPROVAL and first["plan_id"] is not None:
            # the approval's locks in the plan page's order: plan, item, then the task
            plan = care_queries.plan_still_open(s, caller, first["plan_id"])
            item = care_queries.item(s, plan.id, first["item_id"], for_update=True)
        task = queries.task(s, task_id, for_update=True)
        outcome = rules.check_finish(task, outcome, caller.user)
        if task["kind"] == rules.CASH_APPROVAL and task["plan_id"] is not None:
            care_rules.check_approval(service=item.service, status=item.status,
                                      requested_by=item.created_by, approved_by=item.approved_by,
                                      approver=caller.user)
            if not care_queries.approve_item(s, item.id, caller.user, now):
                raise Conflict(CHANGED, field="task_id")
        if not queries.change(s, task_id, task["status"], status=outcome, changed_at=now,
                              changed_by=caller.user[:100]):
            raise Conflict(CHANGED, field="task_id")
        queries.keep_accompaniment_in_step(s, task["hearing_id"], outcome)
        row = queries.task(s, task_id)
        _announce(s, row, correlation_id)
    return _view(row, now)


def _view(row: dict, now: datetime) -> dict:
    view = rules.task_view(row, now)
    view["due_at"], view["changed_at"] = iso(view["due_at"]), iso(view["changed_at"])
    return view
