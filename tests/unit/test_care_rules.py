"""Care-plan rules without I/O: first-week milestones against a controlled clock, plan items and
their statuses, cash assistance needing a second staff member, legal referrals, who reads the
screening result, and the test clock."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common import clock
from services.common.errors import Conflict, Forbidden, InvalidInput
from services.shelter.domain import care

ADMITTED = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
CASH = {"purpose": "repatriation", "amount": 450, "currency": "USD"}


def test_first_week_milestones_come_from_the_admission_time():
    milestones = {m.code: m for m in care.first_week(ADMITTED)}
    assert list(milestones) == ["case_manager_assigned", "psychological_screening",
                                "legal_rights_briefing", "plan_agreed"]
    assert milestones["case_manager_assigned"].due_at == ADMITTED
    assert milestones["case_manager_assigned"].done_at == ADMITTED  # day 0: named at admission
    for code in ("psychological_screening", "legal_rights_briefing", "plan_agreed"):
        assert milestones[code].due_at == ADMITTED + timedelta(days=7)
        assert milestones[code].done_at is None


@pytest.mark.parametrize("now,done,state", [
    (ADMITTED, None, "due"),
    (ADMITTED + timedelta(days=7), None, "due"),                      # due time itself: not yet late
    (ADMITTED + timedelta(days=7, seconds=1), None, "overdue"),
    (ADMITTED + timedelta(days=8), None, "overdue"),
    (ADMITTED + timedelta(days=8), ADMITTED + timedelta(days=2), "done"),
    (ADMITTED + timedelta(days=8), ADMITTED + timedelta(days=7, hours=1), "done"),  # late but done
])
def test_milestone_state_is_done_due_or_overdue(now, done, state):
    assert care.milestone_state(ADMITTED + timedelta(days=7), done, now) == state


def test_the_acceptance_week_screening_done_briefing_not():
    """Admitted at a fixed time; at +8 days with screening and plan agreed done and the
    briefing not, exactly one milestone is overdue, and its notice is due once."""
    now = ADMITTED + timedelta(days=8)
    done = {"case_manager_assigned": ADMITTED, "psychological_screening": ADMITTED + timedelta(days=3),
            "plan_agreed": ADMITTED + timedelta(days=6)}
    states = {m.code: care.milestone_state(m.due_at, done.get(m.code), now)
              for m in care.first_week(ADMITTED)}
    assert [code for code, s in states.items() if s == "overdue"] == ["legal_rights_briefing"]
    due = ADMITTED + timedelta(days=7)
    assert care.newly_overdue(due, None, None, now)
    assert not care.newly_overdue(due, None, now, now + timedelta(hours=1))  # notice sent once
    assert not care.newly_overdue(due, now, None, now)                       # done meanwhile
    assert not care.newly_overdue(due, None, None, ADMITTED + timedelta(days=6))


def test_state_filter():
    assert care.check_state_filter(None) is None
    assert care.check_state_filter("overdue") == "overdue"
    with pytest.raises(InvalidInput) as info:
        care.check_state_filter("late")
    assert info.value.field == "state"


def test_which_milestones_staff_mark_done():
    care.check_markable("legal_rights_briefing")
    care.check_markable("plan_agreed")
    with pytest.raises(Conflict):
        care.check_markable("psychological_screening")  # by recording the result
    with pytest.raises(Conflict):
        care.check_markable("case_manager_assigned")
    with pytest.raises(InvalidInput) as info:
        care.check_markable("haircut")
    assert info.value.field == "milestone"


def test_grouping_per_facility_and_case_manager():
    rows = [{"facility": "b", "case_manager": "cm.2", "due_at": "2", "plan_id": 1},
            {"facility": "a", "case_manager": "cm.9", "due_at": "1", "plan_id": 2},
            {"facility": "b", "case_manager": "cm.2", "due_at": "1", "plan_id": 3},
            {"facility": "b", "case_manager": "cm.1", "due_at": "3", "plan_id": 4}]
    groups = care.group_by_owner(rows)
    assert [(g["facility"], g["case_manager"], g["count"]) for g in groups] == [
        ("a", "cm.9", 1), ("b", "cm.1", 1), ("b", "cm.2", 2)]
    assert [m["plan_id"] for m in groups[2]["milestones"]] == [3, 1]


# --- plan items ------------------------------------------------------------------------------------

def test_a_new_item_is_planned_with_owner_and_dates():
    item = care.check_new_item("health_care", "nurse.one", "2026-11-21", "2026-11-28")
    assert item["status"] == "planned" and item["cash"] is None
    assert item["starts_on"].isoformat() == "2026-11-21"


@pytest.mark.parametrize("args,field", [
    (("massage", "cm.one"), "service"),
    (("health_care", "Jane Doe"), "owner"),
    (("health_care", "cm.one", "2026-11-28", "2026-11-21"), "due_on"),
    (("health_care", "cm.one", "tomorrow"), "starts_on"),
    (("cash_assistance", "cm.one"), "cash"),
    (("cash_assistance", "cm.one", None, None, {**CASH, "purpose": "holiday"}), "cash.purpose"),
    (("cash_assistance", "cm.one", None, None, {**CASH, "amount": 0}), "cash.amount"),
    (("cash_assistance", "cm.one", None, None, {**CASH, "amount": True}), "cash.amount"),
    (("cash_assistance", "cm.one", None, None, {**CASH, "currency": "usd"}), "cash.currency"),
    (("health_care", "cm.one", None, None, CASH), "cash"),
])
def test_bad_items_name_the_field(args, field):
    with pytest.raises(InvalidInput) as info:
        care.check_new_item(*args)
    assert info.value.field == field


def test_cash_item_carries_purpose_amount_currency():
    item = care.check_new_item("cash_assistance", "cm.one", cash=CASH)
    assert item["cash"] == care.Cash("repatriation", 450, "USD")


@pytest.mark.parametrize("current,new,ok", [
    ("planned", "in_progress", True), ("planned", "done", True), ("planned", "cancelled", True),
    ("in_progress", "done", True), ("in_progress", "cancelled", True),
    ("in_progress", "planned", False), ("done", "in_progress", False), ("cancelled", "planned", False),
    ("done", "cancelled", False),
])
def test_item_status_moves(current, new, ok):
    if ok:
        care.check_item_move(current, new, cash=False, approved_by=None)
    else:
        with pytest.raises(Conflict):
            care.check_item_move(current, new, cash=False, approved_by=None)


def test_unknown_status_is_invalid():
    with pytest.raises(InvalidInput) as info:
        care.check_item_move("planned", "paused", cash=False, approved_by=None)
    assert info.value.field == "status"


def test_cash_is_not_paid_without_a_second_staff_members_approval():
    with pytest.raises(Conflict) as info:
        care.check_item_move("in_progress", "done", cash=True, approved_by=None)
    assert info.value.field == "approval"
    care.check_item_move("in_progress", "done", cash=True, approved_by="finance.two")


def test_the_requester_cannot_approve_their_own_cash_request():
    with pytest.raises(Forbidden) as info:
        care.check_approval(service="cash_assistance", status="planned", requested_by="cm.one",
                            approved_by=None, approver="cm.one")
    assert info.value.field == "approval"
    care.check_approval(service="cash_assistance", status="planned", requested_by="cm.one",
                        approved_by=None, approver="manager.two")


@pytest.mark.parametrize("kw", [
    {"service": "health_care", "status": "planned", "approved_by": None},
    {"service": "cash_assistance", "status": "planned", "approved_by": "manager.two"},
    {"service": "cash_assistance", "status": "cancelled", "approved_by": None},
    {"service": "cash_assistance", "status": "done", "approved_by": None},
])
def test_approval_refusals(kw):
    with pytest.raises(Conflict):
        care.check_approval(requested_by="cm.one", approver="manager.three", **kw)


def test_only_legal_items_go_to_the_legal_team_once():
    care.check_legal_referral(service="court_representation", status="planned", referred=False)
    care.check_legal_referral(service="identity_documents", status="in_progress", referred=False)
    with pytest.raises(Conflict):
        care.check_legal_referral(service="mhpss", status="planned", referred=False)
    with pytest.raises(Conflict):
        care.check_legal_referral(service="court_representation", status="planned", referred=True)
    with pytest.raises(Conflict):
        care.check_legal_referral(service="court_representation", status="cancelled", referred=False)


# --- the screening result -------------------------------------------------------------------------

def test_screening_result_readers_are_the_case_manager_and_the_psychologist():
    assert care.may_read_screening("cm.one", "cm.one", None)
    assert care.may_read_screening("psy.one", "cm.one", "psy.one")
    assert not care.may_read_screening("intake.one", "cm.one", "psy.one")
    assert not care.may_read_screening("psy.two", "cm.one", None)


def test_only_the_plans_psychologist_records_and_only_the_case_manager_assigns():
    with pytest.raises(Conflict):
        care.check_screener("psy.one", None)
    with pytest.raises(Forbidden):
        care.check_screener("cm.one", "psy.one")
    care.check_screener("psy.one", "psy.one")
    with pytest.raises(Forbidden):
        care.check_assign_psychologist("intake.one", "cm.one")
    care.check_assign_psychologist("cm.one", "cm.one")


def test_screening_outcome_and_text():
    care.check_screening("support_recommended", "Sleeps badly; weekly sessions")
    with pytest.raises(InvalidInput) as info:
        care.check_screening("fine", None)
    assert info.value.field == "outcome"
    with pytest.raises(InvalidInput):
        care.check_screening("no_concerns", "  ")


def test_text_limits():
    assert care.check_text("In my words", "goals", 50) == "In my words"
    with pytest.raises(InvalidInput):
        care.check_text("x" * 51, "goals", 50)
    with pytest.raises(InvalidInput):
        care.check_text(None, "text", 50)


# --- the clock ------------------------------------------------------------------------------------

def test_the_test_clock_adds_the_offset_file(tmp_path):
    offset = tmp_path / "offset"
    offset.write_text(str(8 * 86400))
    moved = clock.process_clock({"REFNET_TEST_CLOCK_OFFSET_FILE": str(offset)})
    assert moved.offset() == timedelta(days=8)
    assert moved.now() - clock.SystemClock().now() >= timedelta(days=8) - timedelta(seconds=5)
    assert clock.OffsetClock(str(tmp_path / "none")).offset() == timedelta(0)
    offset.write_text("not a number")
    assert moved.offset() == timedelta(0)
