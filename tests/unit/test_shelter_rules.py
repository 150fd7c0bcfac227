"""Shelter rules: bed arithmetic, capacity changes, the decision on an incoming referral."""

from datetime import date

import pytest

from services.common.errors import Conflict, InvalidInput
from services.legal.domain.eligibility import eligible_on_acceptance
from services.shelter.domain import beds, fields, intake


@pytest.mark.parametrize("capacity,occupied,held,expected", [
    (10, 0, 0, 10), (10, 3, 2, 5), (10, 10, 0, 0), (10, 6, 4, 0), (0, 0, 0, 0),
    (5, 7, 1, 0),   # over-occupied (capacity lowered elsewhere): never reported below zero
])
def test_available(capacity, occupied, held, expected):
    assert beds.available(capacity, occupied, held) == expected


@pytest.mark.parametrize("capacity,occupied,held", [(0, 0, 0), (5, 3, 2), (20, 3, 2)])
def test_capacity_at_or_above_use_is_accepted(capacity, occupied, held):
    assert beds.check_capacity("women", capacity, occupied, held) is None


def test_negative_capacity_is_invalid_input():
    with pytest.raises(InvalidInput) as info:
        beds.check_capacity("women", -1, 0, 0)
    assert info.value.field == "capacity"
    assert not isinstance(info.value, Conflict)


@pytest.mark.parametrize("capacity,occupied,held", [(4, 3, 2), (0, 1, 0), (2, 0, 3)])
def test_capacity_below_beds_in_use_is_a_conflict(capacity, occupied, held):
    with pytest.raises(Conflict) as info:
        beds.check_capacity("men", capacity, occupied, held)
    assert info.value.field == "capacity"
    assert f"capacity {capacity}" in info.value.detail
    assert f"{occupied + held} beds" in info.value.detail


@pytest.mark.parametrize("group", ["elderly", "Women", "", "children "])
def test_unknown_population_group(group):
    with pytest.raises(InvalidInput) as info:
        beds.check_capacity(group, 5, 0, 0)
    assert info.value.field == "population_group"


def test_unknown_group_is_reported_before_capacity_problems():
    with pytest.raises(InvalidInput) as info:
        beds.check_capacity("elderly", -3, 9, 9)
    assert info.value.field == "population_group"


# --- decisions ------------------------------------------------------------------------------------

def test_accept():
    assert intake.decide("received", "accept", None) == "accepted"


def test_an_accept_takes_no_reason_code():
    with pytest.raises(InvalidInput) as info:
        intake.decide("received", "accept", "duplicate")
    assert info.value.field == "reason_code"


def test_decline_with_reason_code():
    assert intake.decide("received", "decline", "no_bed_in_group") == "declined"


@pytest.mark.parametrize("reason_code", [None, "", "no bed for a family", "returned_home"])
def test_decline_without_a_known_reason_code(reason_code):
    with pytest.raises(InvalidInput) as info:
        intake.decide("received", "decline", reason_code)
    assert info.value.field == "reason_code"


@pytest.mark.parametrize("status", ["accepted", "declined", "withdrawn"])
@pytest.mark.parametrize("decision,reason_code", [("accept", None), ("decline", "duplicate")])
def test_deciding_a_referral_that_is_not_received_is_a_conflict(status, decision, reason_code):
    with pytest.raises(Conflict) as info:
        intake.decide(status, decision, reason_code)
    assert info.value.field == "decision"
    assert status in info.value.detail


# --- screening before the decision ----------------------------------------------------------------

@pytest.mark.parametrize("decision,reason_code,expected", [
    ("accept", None, "accepted"), ("decline", "needs_beyond_capacity", "declined")])
def test_a_referral_being_screened_is_decided_as_a_received_one(decision, reason_code, expected):
    assert intake.decide("screening", decision, reason_code) == expected
    intake.check_open("screening", "refer_on")  # and may be referred on: no error


def test_only_a_received_referral_starts_screening():
    intake.check_may_screen("received")
    for status in ("screening", "accepted", "declined", "withdrawn", "closed"):
        with pytest.raises(Conflict) as info:
            intake.check_may_screen(status)
        assert info.value.field == "reference" and status in info.value.detail


@pytest.mark.parametrize("reason_code", [None, "", "no_bed_in_group", "Age check please"])
def test_screening_starts_with_a_known_reason_code(reason_code):
    with pytest.raises(InvalidInput) as info:
        intake.check_screening_reason(reason_code)
    assert info.value.field == "reason_code"
    assert intake.check_screening_reason("age_assessment") is None


@pytest.mark.parametrize("decision", ["approve", "ACCEPT", "", "accepted"])
def test_unknown_decision(decision):
    with pytest.raises(InvalidInput) as info:
        intake.decide("received", decision, "other")
    assert info.value.field == "decision"


@pytest.mark.parametrize("reason_code", [None, "", "   "])
def test_a_decline_without_reason_code_is_refused_before_the_referral_is_read(reason_code):
    """The service checks the decision as asked before it reads the referral: a decline with no
    reason code is invalid input naming ``reason_code`` (the gateway answers 422)."""
    with pytest.raises(InvalidInput) as info:
        intake.check_decision("decline", reason_code)
    assert info.value.field == "reason_code"
    assert intake.check_decision("decline", "safety_risk_to_residents") is None
    assert intake.check_decision("accept", None) is None


def test_incoming_status_filter():
    for status in (None, *intake.INCOMING_STATUSES):
        assert intake.check_status_filter(status) is None
    with pytest.raises(InvalidInput) as info:
        intake.check_status_filter("lost")
    assert info.value.field == "status"


@pytest.mark.parametrize("capacity,field_error", [(True, "capacity"), ("3", "capacity"), (-1, "capacity")])
def test_a_capacity_request_is_a_whole_number_not_negative(capacity, field_error):
    with pytest.raises(InvalidInput) as info:
        beds.check_capacity_input("women", capacity)
    assert info.value.field == field_error
    with pytest.raises(InvalidInput) as info:
        beds.check_capacity_input("elders", 3)
    assert info.value.field == "population_group"
    assert beds.check_capacity_input("women", 0) is None


@pytest.mark.parametrize("facility", ["", "a" * 65, "erbil shelter", "erbil_1"])
def test_facility_ids(facility):
    with pytest.raises(InvalidInput) as info:
        beds.check_facility_id(facility)
    assert info.value.field == "facility"
    assert beds.check_facility_id("erbil-1") is None


@pytest.mark.parametrize("value,expected", [(3, 3), ("12", 12)])
def test_whole_numbers(value, expected):
    assert fields.check_whole_number(value, "plan") == expected


@pytest.mark.parametrize("value", [True, None, "seven", 2.5j])
def test_not_whole_numbers(value):
    with pytest.raises(InvalidInput) as info:
        fields.check_whole_number(value, "plan")
    assert info.value.field == "plan"


@pytest.mark.parametrize("consent,expected", [(True, True), (False, False)])
def test_legal_eligibility_follows_consent(consent, expected):
    assert eligible_on_acceptance(consent) is expected


# --- a minor survivor's best interests --------------------------------------------------------------

def test_a_minors_placement_waits_for_a_determination_recommending_it():
    with pytest.raises(Conflict) as info:
        intake.check_placement_allowed("accept", True, None)
    assert info.value.field == "best_interests"
    with pytest.raises(Conflict) as info:
        intake.check_placement_allowed("accept", True, "family_tracing_first")
    assert info.value.field == "best_interests" and "family_tracing_first" in info.value.detail
    intake.check_placement_allowed("accept", True, "placement_recommended")
    intake.check_placement_allowed("decline", True, None)      # a decline never waits
    intake.check_placement_allowed("refer_on", True, None)
    intake.check_placement_allowed("accept", False, None)      # an adult's does not
    intake.check_placement_allowed("accept", None, None)       # learnt before v3: not known


def test_a_determination_has_a_known_outcome_a_past_day_and_a_minors_undecided_referral():
    today = date(2026, 12, 6)
    intake.check_best_interests("placement_recommended", today, today)
    with pytest.raises(InvalidInput) as info:
        intake.check_best_interests("placed", today, today)
    assert info.value.field == "outcome"
    with pytest.raises(InvalidInput) as info:
        intake.check_best_interests("placement_recommended", date(2026, 12, 7), today)
    assert info.value.field == "assessed_on"
    intake.check_determinable("screening", True)
    for status, minor in (("received", False), ("received", None), ("accepted", True)):
        with pytest.raises(Conflict) as info:
            intake.check_determinable(status, minor)
        assert info.value.field == "reference"
