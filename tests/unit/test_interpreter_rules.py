"""Interpreters (issue 21): the booking lifecycle every service shares, the shelter's languages
and first-week bookings, and a hearing's booking (across a postponement)."""

import pytest

from services.common.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from services.contracts import interpreters as contract
from services.legal.domain import hearings as hearing_rules
from services.shelter.domain import interpreters as shelter_rules


@pytest.mark.parametrize("current,new", [(None, "requested"), (None, "booked"),
                                         ("requested", "booked"), ("booked", "done"),
                                         ("booked", "requested"), ("not_needed", "requested"),
                                         ("requested", "not_needed")])
def test_a_booking_moves_as_its_lifecycle_allows(current, new):
    assert contract.transition_problem(current, new) is None


@pytest.mark.parametrize("current,new", [("done", "booked"), ("done", "done"),
                                         ("requested", "done"), ("not_needed", "booked"),
                                         ("requested", "requested"), (None, "done")])
def test_a_booking_refuses_what_its_lifecycle_does_not_allow(current, new):
    problem = contract.transition_problem(current, new)
    assert problem is not None and new in problem


@pytest.mark.parametrize("language", ["am", "ti", "kmr", None, "AM", "amharic", "a", "", 7])
def test_a_language_is_an_iso_639_code(language):
    valid = isinstance(language, str) and language in ("am", "ti", "kmr")
    assert (contract.language_problem(language) is None) is valid


def test_languages_are_one_to_five_distinct_codes_and_the_field_is_named():
    assert shelter_rules.check_languages(["ti", "ar"]) == ["ti", "ar"]
    for bad, field in (([], "languages"), (["am"] * 2, "languages"), ("am", "languages"),
                       (["am", "Arabic"], "languages.1"), (["a", "b", "c", "d", "e", "f"], "languages")):
        with pytest.raises(InvalidInput) as info:
            shelter_rules.check_languages(bad)
        assert info.value.field == field
    with pytest.raises(InvalidInput) as info:
        shelter_rules.check_needed("yes")
    assert info.value.field == "interpreter_needed"


def test_an_interpreter_needed_is_requested_for_each_occasion_not_booked_yet():
    assert shelter_rules.planned(["ti", "ar"], True, {}) == {
        "psychological_screening": "ti", "legal_rights_briefing": "ti"}
    assert shelter_rules.planned(["ti"], True, {"psychological_screening": "done"}) == {
        "legal_rights_briefing": "ti"}
    assert shelter_rules.planned(["ti"], False, {}) == {}


def test_no_interpreter_needed_calls_off_the_open_bookings_only():
    bookings = {"psychological_screening": "done", "legal_rights_briefing": "booked"}
    assert shelter_rules.called_off(False, bookings) == ["legal_rights_briefing"]
    assert shelter_rules.called_off(True, bookings) == []


def test_an_unknown_occasion_is_no_resource_and_a_bad_booking_names_its_field():
    with pytest.raises(NotFound) as info:
        shelter_rules.check_occasion("hearing")
    assert info.value.field == "occasion"
    with pytest.raises(InvalidInput) as info:
        shelter_rules.check_booking("Tigrinya", "booked")
    assert info.value.field == "language"
    with pytest.raises(InvalidInput) as info:
        shelter_rules.check_booking("ti", "confirmed")
    assert info.value.field == "status"
    with pytest.raises(Conflict) as info:
        shelter_rules.check_transition("done", "booked")
    assert info.value.field == "status"


def test_a_hearing_takes_a_booking_while_scheduled_or_held_only():
    hearing_rules.check_interpreter("scheduled", None, "ti", "requested")
    hearing_rules.check_interpreter("held", "booked", "ti", "done")
    for status in ("postponed", "cancelled"):
        with pytest.raises(IllegalTransition) as info:
            hearing_rules.check_interpreter(status, "booked", "ti", "done")
        assert info.value.field == "hearing_id"
    with pytest.raises(IllegalTransition) as info:
        hearing_rules.check_interpreter("held", "done", "ti", "booked")
    assert info.value.field == "status"
    with pytest.raises(InvalidInput) as info:
        hearing_rules.check_interpreter("scheduled", None, "ti", "maybe")
    assert info.value.field == "status"


def test_a_postponed_hearings_interpreter_is_asked_for_again_for_the_new_time():
    assert hearing_rules.interpreter_after_postponement("ti", "booked") == ("ti", "requested")
    assert hearing_rules.interpreter_after_postponement("ti", "not_needed") == ("ti", "not_needed")
    assert hearing_rules.interpreter_after_postponement(None, None) == (None, None)
