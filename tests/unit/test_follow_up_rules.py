"""Follow-up after discharge (issue 21, docs/decisions/0051): the schedule and its setting, a
contact's validation, when the follow-up ends, retention from its end, the report's counts and
their suppression for the public. Rules only, no I/O."""

from collections import namedtuple
from datetime import date, datetime, timedelta, timezone

import pytest

from gateway.reports.figures import build_summary
from services.common.errors import Conflict, InvalidInput
from services.common.period import Period
from services.common.settings import SettingsError
from services.contracts.vocabulary import FOLLOW_UP_OUTCOMES
from services.shelter.domain import follow_up as rules
from services.shelter.domain import report as report_rules
from services.shelter.domain import retention as shelter_retention
from services.shelter.settings import SETTINGS
from tests.support.disclosure_audit import pinned_cells

from .test_report_figures import LEGAL, REFERRAL, SHELTER

DISCHARGED = date(2026, 1, 31)
TODAY = date(2026, 3, 15)


def test_the_default_schedule_is_one_three_six_and_twelve_calendar_months_on():
    assert rules.schedule(DISCHARGED, "reintegrated") == [
        (1, date(2026, 2, 28)), (3, date(2026, 4, 30)), (6, date(2026, 7, 31)),
        (12, date(2027, 1, 31))]  # the 31st falls on a shorter month's last day
    assert rules.schedule(date(2024, 1, 29), "self_exit", (1,)) == [(1, date(2024, 2, 29))]
    assert rules.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


@pytest.mark.parametrize("outcome", ["repatriated", "reintegrated", "self_exit", "other"])
def test_every_discharge_but_a_transfer_is_followed_up(outcome):
    assert [m for m, _ in rules.schedule(DISCHARGED, outcome, (2, 5))] == [2, 5]


def test_a_resident_transferred_to_another_provider_gets_no_schedule():
    assert rules.schedule(DISCHARGED, "transferred") == []


def _months_setting():
    (setting,) = [s for s in SETTINGS if s.env == "REFNET_FOLLOW_UP_MONTHS"]
    return setting


@pytest.mark.parametrize("text,months", [("1,3,6,12", (1, 3, 6, 12)), (" 2 , 4 ", (2, 4)),
                                         ("120", (120,))])
def test_the_schedule_setting_reads_increasing_whole_months(text, months):
    assert _months_setting().read({"REFNET_FOLLOW_UP_MONTHS": text}, {}) == months
    assert _months_setting().read({}, {}) == rules.DEFAULT_MONTHS


@pytest.mark.parametrize("text", ["3,1", "1,1", "0,3", "1,3,121", "one", "1;3", "1,,3", "-1"])
def test_a_bad_schedule_setting_stops_the_service_naming_it(text):
    with pytest.raises(SettingsError) as info:
        _months_setting().read({"REFNET_FOLLOW_UP_MONTHS": text}, {})
    assert "REFNET_FOLLOW_UP_MONTHS" in str(info.value)


@pytest.mark.parametrize("outcome", FOLLOW_UP_OUTCOMES)
def test_a_contact_takes_an_outcome_code_and_a_day(outcome):
    assert rules.check_contact(outcome, "2026-02-01") == date(2026, 2, 1)


@pytest.mark.parametrize("outcome,day,field", [
    ("doing_fine", "2026-02-01", "outcome"), (None, "2026-02-01", "outcome"),
    ("reached_safe", None, "contacted_on"), ("reached_safe", "01/02/2026", "contacted_on"),
    ("reached_safe", "2026-02-30", "contacted_on")])
def test_a_malformed_contact_is_refused_naming_the_field(outcome, day, field):
    with pytest.raises(InvalidInput) as info:
        rules.check_contact(outcome, day)
    assert info.value.field == field


def test_a_contact_is_made_between_the_discharge_and_today_and_recorded_once():
    rules.check_record("scheduled", DISCHARGED, DISCHARGED, TODAY)
    rules.check_record("scheduled", TODAY, DISCHARGED, TODAY)
    for day in (DISCHARGED - timedelta(days=1), TODAY + timedelta(days=1)):
        with pytest.raises(InvalidInput) as info:
            rules.check_record("scheduled", day, DISCHARGED, TODAY)
        assert info.value.field == "contacted_on"
    for status in ("recorded", "cancelled"):
        with pytest.raises(Conflict) as info:
            rules.check_record(status, TODAY, DISCHARGED, TODAY)
        assert info.value.field == "outcome"


def test_the_follow_up_ends_with_its_last_contact_or_a_re_referral():
    assert rules.ends_follow_up("reached_safe", 0) and rules.ends_follow_up("lost_contact", 0)
    assert not rules.ends_follow_up("lost_contact", 2)  # the next contact tries again
    assert not rules.ends_follow_up("needs_support", 1)
    assert rules.ends_follow_up("re_referred", 3)


def test_a_contact_is_overdue_after_its_due_day_and_listed_first():
    assert rules.state("scheduled", TODAY, TODAY) == "due"
    assert rules.state("scheduled", TODAY - timedelta(days=1), TODAY) == "overdue"
    assert rules.state("recorded", TODAY - timedelta(days=9), TODAY) == "recorded"
    rows = [{"state": s, "due_on": d, "follow_up_id": i} for i, (s, d) in enumerate(
        [("recorded", date(2026, 1, 1)), ("due", date(2026, 4, 1)), ("overdue", date(2026, 3, 1)),
         ("overdue", date(2026, 2, 1))])]
    assert [r["follow_up_id"] for r in sorted(rows, key=rules.sort_key)] == [3, 2, 1, 0]
    assert rules.check_list_state(None) == "all"
    with pytest.raises(InvalidInput) as info:
        rules.check_list_state("late")
    assert info.value.field == "state"


def test_a_discharged_stay_is_kept_while_its_follow_up_runs_and_counts_from_its_end():
    discharged = datetime(2026, 1, 31, 10, tzinfo=timezone.utc)
    ended = datetime(2027, 1, 31, 12, tzinfo=timezone.utc)
    incoming = {"status": "accepted", "decided_at": None, "received_at": None}
    placement = {"state": "discharged", "updated_at": discharged}
    assert shelter_retention.ended_at(incoming, placement) == discharged  # no schedule (before 0016)
    assert shelter_retention.ended_at(incoming, placement, {"ended_at": None}) is None
    assert shelter_retention.ended_at(incoming, placement, {"ended_at": ended}) == ended
    assert shelter_retention.ended_at(incoming, {"state": "admitted", "updated_at": discharged},
                                      {"ended_at": ended}) is None


Contact = namedtuple("Contact", "outcome contacted_on")


def test_the_report_counts_contacts_made_in_the_period_by_outcome():
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    contacts = [Contact("reached_safe", date(2026, 3, 1)), Contact("reached_safe", date(2026, 3, 31)),
                Contact("lost_contact", date(2026, 3, 9)), Contact("needs_support", date(2026, 4, 1)),
                Contact("re_referred", date(2026, 2, 28))]
    assert report_rules.follow_up_outcomes(contacts, period) == {
        "total": 3, "by_outcome": {"reached_safe": 2, "needs_support": 0, "re_referred": 0,
                                   "lost_contact": 1}}


def test_follow_up_outcomes_are_a_table_suppressed_for_the_public():
    shelter = {**SHELTER, "follow_ups": {"total": 60, "by_outcome": {
        "reached_safe": 40, "needs_support": 12, "re_referred": 5, "lost_contact": 3}}}
    internal = {t["name"]: t for t in build_summary(REFERRAL, shelter, LEGAL, "internal")["tables"]}
    assert internal["follow_up_outcomes"]["cells"] == [[40, 12, 5, 3]]
    public = {t["name"]: t for t in build_summary(REFERRAL, shelter, LEGAL, "public")["tables"]}
    table = public["follow_up_outcomes"]
    assert table["cells"][0][2] is None and table["cells"][0][3] is None  # 5 and 3: under 11
    assert pinned_cells(table) == []
    # a shelter service that does not count them yet: zeros, not an error
    older = {t["name"]: t for t in build_summary(REFERRAL, SHELTER, LEGAL, "internal")["tables"]}
    assert older["follow_up_outcomes"]["total"] == 0
