"""Placement rules: hold deadlines, free beds, waitlist order, admission and discharge checks,
out-of-service beds, staff reordering. No I/O."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import DISCHARGE_OUTCOMES
from services.shelter.domain import beds, fields
from services.shelter.domain import placement as rules
from services.shelter.domain.placement import WaitlistEntry

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def entry(ref, beds=1, urgency="urgent", minutes=0, priority=0):
    return WaitlistEntry(ref, beds, urgency, T0 + timedelta(minutes=minutes), priority)


def test_default_hold_is_48_hours():
    assert rules.hold_deadline(T0) == T0 + timedelta(hours=48)
    assert rules.hold_deadline(T0, timedelta(seconds=2)) == T0 + timedelta(seconds=2)
    with pytest.raises(ValueError):
        rules.hold_deadline(T0, timedelta(0))


@pytest.mark.parametrize("capacity,occupied,held,oos,free", [
    (10, 0, 0, 0, 10), (10, 3, 2, 1, 4), (10, 5, 3, 2, 0), (3, 2, 2, 0, -1)])
def test_free_beds_counts_out_of_service(capacity, occupied, held, oos, free):
    assert beds.free_beds(capacity, occupied, held, oos) == free
    assert beds.available(capacity, occupied, held, oos) == max(0, free)


def test_waitlist_order_is_priority_then_urgency_then_longest_wait():
    entries = [entry("routine-early", urgency="routine", minutes=0),
               entry("urgent-late", urgency="urgent", minutes=30),
               entry("urgent-early", urgency="urgent", minutes=10),
               entry("emergency", urgency="emergency", minutes=50)]
    assert [e.reference for e in rules.ordered(entries)] == [
        "emergency", "urgent-early", "urgent-late", "routine-early"]
    moved = entries[:3] + [entry("emergency", urgency="emergency", minutes=50),
                           entry("promoted", urgency="routine", minutes=60, priority=1)]
    assert rules.ordered(moved)[0].reference == "promoted"
    demoted = [entry("a", priority=-1), entry("b", minutes=5)]
    assert [e.reference for e in rules.ordered(demoted)] == ["b", "a"]


def test_next_in_line_takes_the_first_that_fits():
    family = entry("family", beds=3, urgency="emergency")
    single = entry("single", beds=1, minutes=5)
    assert rules.next_in_line([family, single], 3).reference == "family"
    assert rules.next_in_line([family, single], 1).reference == "single"  # family keeps its place
    assert rules.next_in_line([family], 2) is None
    assert rules.next_in_line([single], 0) is None
    assert rules.next_in_line([], 5) is None


def test_admission_from_a_hold_or_direct():
    assert rules.check_admission("accepted", "held", "f1", "f1") == "from_hold"
    assert rules.check_admission("accepted", None, None, "f1") == "direct"
    assert rules.check_admission("accepted", "waitlisted", None, "f1") == "direct"
    assert rules.check_admission("accepted", "expired", "f1", "f1") == "direct"


@pytest.mark.parametrize("decision", ["declined", "withdrawn", "received"])
def test_only_an_accepted_referral_is_admitted(decision):
    with pytest.raises(Conflict) as info:
        rules.check_admission(decision, None, None, "f1")
    assert decision in info.value.detail and info.value.field == "reference"


@pytest.mark.parametrize("state,field", [("admitted", "reference"), ("discharged", "reference")])
def test_no_second_admission(state, field):
    with pytest.raises(Conflict) as info:
        rules.check_admission("accepted", state, "f1", "f1")
    assert info.value.field == field


def test_a_hold_elsewhere_is_named():
    with pytest.raises(Conflict) as info:
        rules.check_admission("accepted", "held", "other-shelter", "f1")
    assert "other-shelter" in info.value.detail and info.value.field == "facility"


@pytest.mark.parametrize("outcome", DISCHARGE_OUTCOMES)
def test_discharge_outcomes(outcome):
    rules.check_discharge("admitted", outcome)


@pytest.mark.parametrize("outcome", ["vanished", "", None, "self-exit", "Repatriated"])
def test_unknown_discharge_outcome(outcome):
    with pytest.raises(InvalidInput) as info:
        rules.check_discharge("admitted", outcome)
    assert info.value.field == "outcome"


@pytest.mark.parametrize("state", ["held", "discharged", None])
def test_only_an_admitted_resident_is_discharged(state):
    with pytest.raises(Conflict):
        rules.check_discharge(state, "other")


def test_outcome_is_checked_before_the_state():
    with pytest.raises(InvalidInput):
        rules.check_discharge("discharged", "vanished")


@pytest.mark.parametrize("value", ["cm.one", "intake.demo", "A-1@x"])
def test_staff_ids(value):
    assert fields.check_staff_id(value) == value


@pytest.mark.parametrize("value", ["", "Jane Doe", "x" * 101, None, 7])
def test_a_case_manager_is_a_staff_id_not_a_name(value):
    with pytest.raises(InvalidInput) as info:
        fields.check_staff_id(value)
    assert info.value.field == "case_manager"


def test_reordering_needs_a_reason_and_a_bounded_priority():
    rules.check_priority(3, "court hearing close by")
    with pytest.raises(InvalidInput) as info:
        rules.check_priority(3, "  ")
    assert info.value.field == "reason"
    for bad in (101, -101, True, "1", 1.5):
        with pytest.raises(InvalidInput) as info:
            rules.check_priority(bad, "why")
        assert info.value.field == "priority"


def test_out_of_service_rules():
    rules.check_out_of_service(2, 10, 5, 3, "leak", T0.date())
    rules.check_out_of_service(0, 10, 10, 0, None, None)  # returning beds needs no reason
    with pytest.raises(Conflict) as info:
        rules.check_out_of_service(3, 10, 5, 3, "leak", T0.date())
    assert info.value.field == "beds" and "only 2 of the 10" in info.value.detail
    for args, field in (((-1, 10, 0, 0, "x", T0.date()), "beds"),
                        ((1, 10, 0, 0, "", T0.date()), "reason"),
                        ((1, 10, 0, 0, "leak", None), "expected_return")):
        with pytest.raises(InvalidInput) as info:
            rules.check_out_of_service(*args)
        assert info.value.field == field


def test_capacity_cannot_drop_below_beds_out_of_service():
    beds.check_capacity("women", 5, 2, 1, 2)
    with pytest.raises(Conflict) as info:
        beds.check_capacity("women", 4, 2, 1, 2)
    assert "out of service" in info.value.detail and info.value.field == "capacity"
