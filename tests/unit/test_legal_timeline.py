"""The legal parts of other services' rules, without I/O: the referral timeline's legal entries
and who sees them, the shelter's accompaniment view."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.caller import Caller
from services.referral.domain import referral as rules
from services.shelter.domain import accompaniment

UTC = timezone.utc
T = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
REFERRAL = {"referring_agency": "erbil-tip-unit", "share_status_with_referrer": True,
            "share_with_legal": True}


@pytest.mark.parametrize("caller,referral,sees", [
    (Caller("s", "shelter", "erbil-shelter"), REFERRAL, True),
    (Caller("p", "police", "erbil-tip-unit"), REFERRAL, True),
    (Caller("p", "police", "erbil-tip-unit"), {**REFERRAL, "share_status_with_referrer": False}, False),
    (Caller("p", "police", "duhok-tip-unit"), REFERRAL, False),
    (Caller("l", "legal", "erbil-legal-aid"), REFERRAL, True),
    (Caller("l", "legal", "erbil-legal-aid"), {**REFERRAL, "share_with_legal": False}, False),
    (Caller("c", "court", "erbil-criminal-court"), REFERRAL, False),
    (Caller("a", "admin", "refnet-admin"), REFERRAL, False),
    (Caller("a", "analyst", "refnet-analytics"), REFERRAL, False),
])
def test_who_sees_legal_updates_on_the_timeline(caller, referral, sees):
    assert rules.may_see_legal_updates(caller, referral) is sees


def _updates():
    scheduled = {"reference": "RN-X", "court_case_id": "b" * 32, "hearing_id": "c" * 32,
                 "court": "erbil-criminal-court", "starts_at": datetime(2026, 12, 10, 6, 30, tzinfo=UTC),
                 "time_zone": "Asia/Baghdad", "attendance_required": True, "postponed_from": None,
                 "scheduled_at": T + timedelta(minutes=2)}
    return [
        rules.legal_update("legal.court_status_changed", {
            "court_case_id": "b" * 32, "court": "erbil-criminal-court", "status": "filed",
            "verdict": None, "changed_at": T + timedelta(minutes=1)}, T),
        rules.legal_update("legal.hearing_scheduled", scheduled, T),
        rules.legal_update("legal.hearing_outcome", {
            "court_case_id": "b" * 32, "hearing_id": "c" * 32, "court": "erbil-criminal-court",
            "outcome": "held", "recorded_at": T + timedelta(minutes=3)}, T),
    ]


def test_legal_entries_carry_court_status_and_the_local_hearing_time():
    entries = [rules.legal_timeline_entry(u) for u in _updates()]
    assert [e["status"] for e in entries] == ["court_filed", "hearing_scheduled", "hearing_held"]
    assert entries[1]["hearing_at"] == "2026-12-10T06:30:00Z"
    assert "2026-12-10 09:30 (Asia/Baghdad)" in entries[1]["note"]
    assert all(e["kind"] == "legal" and e["agency"] == "erbil-criminal-court" for e in entries)


def test_the_timeline_merges_in_time_order():
    lifecycle = [{"at": "2026-12-01T07:00:00Z", "status": "submitted"},
                 {"at": "2026-12-01T08:02:30.5Z", "status": "admitted"}]
    legal = [rules.legal_timeline_entry(u) for u in _updates()]
    merged = rules.merge_timeline(lifecycle, legal)
    assert [e["status"] for e in merged] == ["submitted", "court_filed", "hearing_scheduled",
                                             "admitted", "hearing_held"]


def test_summary_has_the_latest_court_status_and_hearing_status():
    summary = rules.legal_summary(_updates())
    assert summary["court_cases"] == [{"court_case_id": "b" * 32, "court": "erbil-criminal-court",
                                       "status": "filed", "verdict": None,
                                       "changed_at": "2026-12-01T08:01:00Z"}]
    [hearing] = summary["hearings"]
    assert hearing["status"] == "held" and hearing["starts_at_local"] == "2026-12-10T09:30:00+03:00"


@pytest.mark.parametrize("status,resident", [(None, False), ("received", False), ("declined", False),
                                             ("withdrawn", False), ("accepted", True), ("admitted", True)])
def test_residents_are_referrals_the_shelter_accepted(status, resident):
    assert accompaniment.is_resident(status) is resident


def test_accompaniment_view_shows_the_task_once_reminded():
    row = {"hearing_id": "c" * 32, "reference": "RN-X", "court": "erbil-criminal-court",
           "starts_at": datetime(2026, 12, 10, 6, 30), "time_zone": "Asia/Baghdad",
           "attendance_required": True, "status": "scheduled", "task_status": "none",
           "reminder_due_at": None, "reminded_at": None}
    assert accompaniment.hearing_view(row)["accompaniment"] is None
    reminded = {**row, "task_status": "assigned", "reminder_due_at": datetime(2026, 12, 7, 6, 30),
                "reminded_at": datetime(2026, 12, 7, 6, 30, 5), "task_id": "d" * 32,
                "assignee": "staff.two"}
    view = accompaniment.hearing_view(reminded)
    assert view["accompaniment"] == {"task": "accompany_to_court", "status": "assigned",
                                     "reminded_at": "2026-12-07T06:30:05Z", "due_at": "2026-12-07T06:30:00Z",
                                     "task_id": "d" * 32, "assignee": "staff.two"}
    assert view["starts_at_local"] == "2026-12-10T09:30:00+03:00"
    assert accompaniment.is_upcoming(row, datetime(2026, 12, 1, tzinfo=UTC))
    assert not accompaniment.is_upcoming(row, datetime(2026, 12, 11, tzinfo=UTC))
