"""Retention rules of every service, without I/O: which stale referral is closed with which
reason, the legal hold read from legal announcements in any order, the shelter's end of a stay,
and the legal case that may be closed."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import CLOSURE_REASONS
from services.legal.domain import retention as legal_rules
from services.referral.domain import fhir_task, lifecycle
from services.referral.domain import retention
from services.shelter.domain import retention as shelter_rules

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("status,reason", [("submitted", "no_decision"), ("received", "no_decision"),
                                           ("screening", "no_decision"), ("waitlisted", "no_bed"),
                                           ("accepted", "no_arrival"), ("bed_held", "no_arrival")])
def test_each_stale_status_closes_with_its_coded_reason(status, reason):
    assert retention.closure_reason(status) == reason in CLOSURE_REASONS
    assert lifecycle.can_move(status, "closed")
    assert retention.closure_note(reason) == f"Closed by retention: {reason}"


@pytest.mark.parametrize("status", ["admitted", "discharged", "closed"])
def test_admitted_discharged_or_closed_referrals_are_not_closed_by_time(status):
    with pytest.raises(InvalidInput) as info:
        retention.closure_reason(status)
    assert info.value.field == "status"


@pytest.mark.parametrize("status,reason", [("declined", "declined_settled"),
                                           ("withdrawn", "withdrawn_settled")])
def test_a_decline_or_withdrawal_that_settled_is_closed_with_its_own_code(status, reason):
    assert retention.closure_reason(status) == reason
    assert retention.closure_note(reason) == f"Closed: {reason}"
    assert status in retention.SETTLED and status not in retention.STALE


def test_a_referral_closed_while_waiting_is_a_cancelled_task():
    timeline = [{"status": "submitted"}, {"status": "received"}, {"status": "closed"}]
    assert fhir_task.task_status("closed", timeline) == "cancelled"
    discharged = [{"status": "admitted"}, {"status": "discharged"}, {"status": "closed"}]
    assert fhir_task.task_status("closed", discharged) == "completed"


def _court(status, court_case_id="b"):
    return {"kind": "court_status", "court_case_id": court_case_id, "status": status}


OPENED, CLOSED = {"kind": "case_opened", "court_case_id": None, "status": "opened"}, \
    {"kind": "case_closed", "court_case_id": None, "status": "closed"}


@pytest.mark.parametrize("updates,held", [
    ([], False),
    ([OPENED], True),
    ([OPENED, CLOSED], False),
    ([CLOSED, OPENED], False),                       # the opening delivered late
    ([_court("investigation")], True),
    ([_court("filed"), _court("closed")], False),
    ([_court("closed"), _court("trial")], False),    # an older status delivered late
    ([OPENED, CLOSED, _court("appeal")], True),
    ([_court("closed"), _court("filed", "c")], True),  # another court case still open
])
def test_the_legal_hold_stands_while_a_legal_or_court_case_is_open(updates, held):
    assert retention.legal_hold(updates) is held


def test_the_shelter_counts_from_the_end_of_the_stay():
    end = NOW - timedelta(days=10)
    assert shelter_rules.ended_at({"status": "accepted"}, {"state": "discharged", "updated_at": end}) == end
    assert shelter_rules.ended_at({"status": "accepted"}, {"state": "admitted", "updated_at": end}) is None
    assert shelter_rules.ended_at({"status": "declined", "decided_at": end, "received_at": NOW}, None) == end
    assert shelter_rules.ended_at({"status": "received", "decided_at": None, "received_at": end}, None) is None
    assert shelter_rules.matter_change("legal.court_status_changed",
                                       {"court_case_id": "b", "status": "closed",
                                        "changed_at": NOW}) == ("b", "court_case", False, NOW)
    assert shelter_rules.matter_change("legal.hearing_scheduled", {}) is None
    assert shelter_rules.legal_hold([{"open": False}, {"open": True}]) is True


def test_a_legal_case_closes_once_and_not_over_an_open_court_case():
    legal_rules.check_close("open", 0)
    with pytest.raises(Conflict) as refused:
        legal_rules.check_close("open", 1)
    assert refused.value.field == "court_cases"
    with pytest.raises(Conflict):
        legal_rules.check_close("closed", 0)
    assert legal_rules.charges_without_text('[{"statute": "other", "description": "x"}]') == \
        '[{"statute": "other", "description": null}]'
    assert legal_rules.charges_without_text("not json") == "[]"


def test_a_closed_legal_case_is_a_legal_entry_on_the_timeline():
    from services.referral.domain import referral as rules
    update = rules.legal_update("legal.case_closed", {"reference": "x", "case_id": "a" * 32,
                                                      "closed_at": NOW}, NOW)
    assert update == {"at": NOW, "kind": "case_closed", "status": "closed"}
    entry = rules.legal_timeline_entry(update)
    assert (entry["status"], entry["note"], entry["kind"]) == ("legal_case_closed", "Legal case closed", "legal")
