"""Shelter task rules (services/shelter/domain/tasks.py): the status machine, overdue, who may
approve a cash request, and what the event carries. No I/O."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from services.contracts.envelope import make_event
from services.shelter.domain import tasks as rules

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def task(**kw) -> dict:
    base = {"id": "a" * 32, "kind": "accompaniment", "status": "to_arrange",
            "reference": "RN-AAAA-BBBB-CCCC-DDDD", "agency": "erbil-shelter", "facility": "f-1",
            "assignee": None, "requested_by": None, "due_at": NOW + timedelta(hours=72),
            "hearing_id": "b" * 32, "plan_id": None, "item_id": None, "changed_at": NOW,
            "changed_by": "refnet-shelter"}
    return {**base, **kw}


@pytest.mark.parametrize("current,new,allowed", [
    ("to_arrange", "assigned", True), ("to_arrange", "not_needed", True),
    ("to_arrange", "done", False), ("assigned", "assigned", True), ("assigned", "done", True),
    ("assigned", "not_needed", True), ("assigned", "to_arrange", False),
    ("done", "assigned", False), ("not_needed", "done", False), ("done", "done", False)])
def test_the_status_machine(current, new, allowed):
    if allowed:
        rules.check_move(current, new)
    else:
        with pytest.raises(IllegalTransition) as refused:
            rules.check_move(current, new)
        assert current in str(refused.value)


def test_an_unknown_status_is_bad_input():
    with pytest.raises(InvalidInput) as refused:
        rules.check_move("to_arrange", "finished")
    assert refused.value.field == "status"


def test_overdue_is_unfinished_and_past_due():
    due = NOW - timedelta(minutes=1)
    assert rules.is_overdue("to_arrange", due, NOW) and rules.is_overdue("assigned", due, NOW)
    assert not rules.is_overdue("done", due, NOW) and not rules.is_overdue("not_needed", due, NOW)
    assert not rules.is_overdue("assigned", NOW, NOW)  # due now is not past due
    assert rules.is_overdue("assigned", due.replace(tzinfo=None), NOW)  # stored naive (SQLite)


def test_assigning_names_a_user_and_never_the_requester_of_cash():
    assert rules.check_assign(task(), " staff.two ") == "staff.two"
    assert rules.check_assign(task(status="assigned", assignee="a"), "b") == "b"
    for bad in (None, "", "Jane Doe", "x" * 101, 7):
        with pytest.raises(InvalidInput) as refused:
            rules.check_assign(task(), bad)
        assert refused.value.field == "assignee"
    with pytest.raises(IllegalTransition):
        rules.check_assign(task(status="done"), "staff.two")
    cash = task(kind="cash_approval", requested_by="cm.one", hearing_id=None)
    with pytest.raises(InvalidInput) as refused:
        rules.check_assign(cash, "cm.one")
    assert refused.value.field == "assignee"


def test_finishing_needs_an_assigned_task_and_a_known_outcome():
    assert rules.check_finish(task(status="assigned"), "done", "staff.two") == "done"
    assert rules.check_finish(task(status="assigned"), "not_needed", "x") == "not_needed"
    with pytest.raises(IllegalTransition):
        rules.check_finish(task(), "done", "staff.two")  # assign it first
    with pytest.raises(InvalidInput) as refused:
        rules.check_finish(task(status="assigned"), "finished", "staff.two")
    assert refused.value.field == "outcome"


def test_a_cash_approval_is_done_only_by_someone_other_than_the_requester():
    cash = task(kind="cash_approval", status="assigned", requested_by="cm.one", assignee="m.two")
    with pytest.raises(Forbidden):
        rules.check_finish(cash, "done", "cm.one")
    assert rules.check_finish(cash, "done", "m.two") == "done"
    with pytest.raises(Conflict) as refused:
        rules.check_finish(cash, "not_needed", "m.two")  # the item is cancelled instead
    assert refused.value.field == "outcome"


def test_a_cash_approval_follows_its_item():
    assert rules.item_follow("to_arrange", "approved") == "done"
    assert rules.item_follow("assigned", "cancelled") == "not_needed"
    assert rules.item_follow("done", "cancelled") is None
    assert rules.cash_approval_due(NOW) == NOW + timedelta(hours=24)
    assert rules.cash_approval_due(NOW, timedelta(hours=2)) == NOW + timedelta(hours=2)


def test_the_view_flags_overdue_and_the_event_fits_its_contract():
    row = task(due_at=NOW - timedelta(hours=1))
    view = rules.task_view(row, NOW)
    assert view["overdue"] is True and view["hearing_id"] == "b" * 32
    assert set(view) >= {"id", "kind", "status", "reference", "facility", "assignee", "due_at",
                         "overdue", "hearing_id", "plan_id", "item_id", "changed_at"}
    event = make_event("shelter.task_changed", rules.event_of(row), source="shelter")
    assert event["payload"]["task_id"] == "a" * 32 and event["version"] == 1


def test_the_list_filter():
    assert rules.check_list_filter(None) is None and rules.check_list_filter("") is None
    assert rules.check_list_filter("open") == "open"
    assert rules.check_list_filter("done") == "done"
    with pytest.raises(InvalidInput) as refused:
        rules.check_list_filter("late")
    assert refused.value.field == "status"
