"""A legal case's ends without I/O (docs/decisions/0050): closing and reopening with coded
reasons, reassigning the lawyer, the hearings a court case's closing cancels, and the legal
hold of the referral service and of the shelter once a case can be reopened (the latest of its
closings and reopenings wins, whatever order the events arrive in)."""

from datetime import datetime, timedelta, timezone
from itertools import permutations

import pytest

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import (LAWYER_CHANGE_REASONS, LEGAL_CLOSURE_REASONS,
                                           LEGAL_REOPEN_REASONS)
from services.legal.domain import hearings as hearing_rules
from services.legal.domain import legal_case as rules
from services.referral.domain import referral as referral_rules
from services.referral.domain import retention
from services.shelter.domain import retention as shelter_rules

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=3)


# --- the legal service's rules ------------------------------------------------------------------

@pytest.mark.parametrize("code", LEGAL_CLOSURE_REASONS)
def test_every_closure_reason_is_accepted(code):
    assert rules.check_closure_reason(code) == code


@pytest.mark.parametrize("code", [None, "", "appeal_lodged", "Proceedings_concluded", 3])
def test_a_closure_without_a_known_reason_is_refused_naming_reason_code(code):
    with pytest.raises(InvalidInput) as refused:
        rules.check_closure_reason(code)
    assert refused.value.field == "reason_code"


@pytest.mark.parametrize("code", LEGAL_REOPEN_REASONS)
def test_a_closed_case_is_reopened_with_any_reopening_reason(code):
    assert rules.check_reopen("closed", False, code) == code


@pytest.mark.parametrize("status,anonymised,code,error,field", [
    ("open", False, "new_evidence", Conflict, "status"),          # only a closed case
    ("closed", True, "new_evidence", Conflict, "status"),         # retention anonymised it
    ("closed", False, "proceedings_concluded", InvalidInput, "reason_code"),  # a closure's code
    ("closed", False, None, InvalidInput, "reason_code"),
])
def test_a_reopening_is_refused_naming_the_field(status, anonymised, code, error, field):
    with pytest.raises(error) as refused:
        rules.check_reopen(status, anonymised, code)
    assert refused.value.field == field


@pytest.mark.parametrize("code", LAWYER_CHANGE_REASONS)
def test_an_open_case_is_reassigned_to_another_lawyer(code):
    assert rules.check_reassign("open", "lawyer.one", "lawyer.two", code) == "lawyer.two"


@pytest.mark.parametrize("status,new,code,error,field", [
    ("open", "lawyer.one", "caseload", Conflict, "lawyer"),       # the same lawyer
    ("closed", "lawyer.two", "caseload", Conflict, "status"),     # a closed case
    ("open", "Jane Doe", "caseload", InvalidInput, "lawyer"),     # a name, not a staff id
    ("open", "", "caseload", InvalidInput, "lawyer"),
    ("open", None, "caseload", InvalidInput, "lawyer"),
    ("open", "lawyer.two", "holiday", InvalidInput, "reason_code"),
    ("open", "lawyer.two", None, InvalidInput, "reason_code"),
])
def test_a_reassignment_is_refused_naming_the_field(status, new, code, error, field):
    with pytest.raises(error) as refused:
        rules.check_reassign(status, "lawyer.one", new, code)
    assert refused.value.field == field


def test_history_rows_carry_ids_codes_and_times_only():
    row = rules.status_change("a" * 32, "open", "closed", "lost_contact", NOW, "lawyer.one", "legal")
    assert row == {"case_id": "a" * 32, "from_status": "open", "to_status": "closed",
                   "reason_code": "lost_contact", "at": NOW, "by_user": "lawyer.one",
                   "by_role": "legal"}
    assert rules.lawyer_change("a" * 32, None, "lawyer.one", None, NOW, "lead.one") == {
        "case_id": "a" * 32, "from_lawyer": None, "to_lawyer": "lawyer.one", "reason_code": None,
        "at": NOW, "by_user": "lead.one"}


def _hearing(hearing_id, status, starts_at):
    return {"id": hearing_id, "status": status, "starts_at": starts_at}


def test_closing_a_court_case_cancels_only_its_hearings_still_scheduled_ahead():
    hearings = [_hearing("ahead", "scheduled", NOW + timedelta(hours=1)),
                _hearing("naive-ahead", "scheduled", (NOW + timedelta(days=9)).replace(tzinfo=None)),
                _hearing("past", "scheduled", NOW - timedelta(hours=1)),  # awaits its outcome
                _hearing("now", "scheduled", NOW),
                _hearing("held", "held", NOW - timedelta(days=3)),
                _hearing("postponed", "postponed", NOW + timedelta(days=1)),  # its successor goes
                _hearing("cancelled", "cancelled", NOW + timedelta(days=2))]
    assert hearing_rules.cancelled_by_closing(hearings, NOW) == ["ahead", "naive-ahead"]
    assert hearing_rules.cancelled_by_closing([], NOW) == []


# --- the referral service's legal hold ------------------------------------------------------------

OPENED = {"kind": "case_opened", "court_case_id": None, "status": "opened", "at": NOW}


def _closed(at):
    return {"kind": "case_closed", "court_case_id": None, "status": "closed", "at": at}


def _reopened(at):
    return {"kind": "case_reopened", "court_case_id": None, "status": "reopened", "at": at}


@pytest.mark.parametrize("updates,held", [
    ([OPENED, _closed(NOW + timedelta(days=1))], False),
    ([OPENED, _closed(NOW + timedelta(days=1)), _reopened(NOW + timedelta(days=2))], True),
    ([OPENED, _closed(NOW + timedelta(days=1)), _reopened(NOW + timedelta(days=2)),
      _closed(NOW + timedelta(days=3))], False),
    ([OPENED, _closed(NOW + timedelta(days=1)), _reopened(NOW + timedelta(days=1))], True),  # a tie
    ([OPENED, _closed((NOW + timedelta(days=1)).replace(tzinfo=None)),  # SQLite's naive times
      _reopened(NOW + timedelta(days=2))], True),
    ([_reopened(NOW + timedelta(days=2))], False),  # a reopening of nothing opened holds nothing
])
def test_a_reopened_legal_case_holds_again_the_latest_end_winning(updates, held):
    for order in permutations(updates):  # events in any order
        assert retention.legal_hold(list(order)) is held, order


def test_a_reopened_legal_case_is_a_legal_entry_on_the_timeline():
    update = referral_rules.legal_update("legal.case_reopened", {
        "reference": "x", "case_id": "a" * 32, "reopened_at": NOW, "reason_code": "new_evidence"},
        NOW)
    assert update == {"at": NOW, "kind": "case_reopened", "status": "reopened"}
    entry = referral_rules.legal_timeline_entry(update)
    assert (entry["status"], entry["note"], entry["kind"]) == (
        "legal_case_reopened", "Legal case reopened", "legal")


# --- the shelter's legal hold ---------------------------------------------------------------------

def test_the_shelter_reads_a_reopening_as_the_case_open_again_at_its_time():
    payload = {"case_id": "a" * 32, "reopened_at": LATER, "reason_code": "appeal_lodged"}
    assert shelter_rules.matter_change("legal.case_reopened", payload) == (
        "a" * 32, "legal_case", True, LATER)
    assert shelter_rules.matter_change("legal.case_closed", {"case_id": "a" * 32,
                                                             "closed_at": NOW}) == (
        "a" * 32, "legal_case", False, NOW)


def _apply(changes):
    """What the shelter's query does with each change, in arrival order: the first recorded,
    each later one only when ``matter_changes`` says it replaces what is known."""
    known = None
    for kind, is_open, at in changes:
        if known is None:
            known = (is_open, at)
        elif shelter_rules.matter_changes(kind, known[0], known[1], is_open, at):
            known = (is_open, at)
    return known[0]


@pytest.mark.parametrize("changes,is_open", [
    ([(True, NOW), (False, NOW + timedelta(days=1))], False),
    ([(True, NOW), (False, NOW + timedelta(days=1)), (True, NOW + timedelta(days=2))], True),
    ([(True, NOW), (False, NOW + timedelta(days=1)), (True, NOW + timedelta(days=2)),
      (False, NOW + timedelta(days=3))], False),
    ([(False, NOW), (True, NOW)], True),  # a tie: the hold stands
])
def test_the_shelter_keeps_the_latest_of_a_legal_cases_changes_in_any_order(changes, is_open):
    for order in permutations(changes):
        assert _apply([("legal_case", o, at) for o, at in order]) is is_open, order


def test_a_closed_court_case_stays_closed_at_the_shelter():
    assert shelter_rules.matter_changes("court_case", True, NOW, False, LATER) is True
    assert shelter_rules.matter_changes("court_case", False, LATER, True, LATER + timedelta(1)) is False
    assert shelter_rules.legal_hold([{"open": False}]) is False
