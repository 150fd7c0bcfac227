"""Consent to share the file with a provider, per agency (docs/decisions/0040): the rule
without I/O."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.caller import Caller
from services.common.errors import InvalidInput
from services.referral.domain import file_consent
from services.referral.domain import referral as rules

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
A, B = "shelter-a", "shelter-b"


def staff(agency, role="shelter"):
    return Caller(user="cm.1", role=role, agency=agency)


def given(until=None):
    return {"granted": True, "until": until, "withdrawn_at": None}


def withdrawn():
    return {"granted": False, "until": None, "withdrawn_at": NOW}


def record(**consents):
    return {"reference": "RN-ABCD-EFGH-IJKL-MNOP", "file_consents": consents}


@pytest.mark.parametrize("consent,requested,expected", [
    ({"given": True}, None, ("*",)),                          # to the network: every provider offered it
    ({"given": True}, A, (A,)),                               # addressed: that provider
    ({"given": True, "share_file_with": [B]}, A, (B,)),       # the police's list wins
    ({"given": True, "share_file_with": []}, None, ()),       # nobody: summary for all
    ({"given": True, "share_file_with": [A, B, A]}, None, (A, B)),
])
def test_initial_agencies(consent, requested, expected):
    assert file_consent.initial_agencies(consent, requested) == expected


def test_consent_to_a_only_lets_a_read_the_file_and_b_the_summary():
    r = record(**{A: given()})
    assert rules.file_access(staff(A), r, NOW) == "file"
    assert rules.file_access(staff(B), r, NOW) == "summary"
    assert rules.may_read_file(staff(A), r, NOW) and not rules.may_read_file(staff(B), r, NOW)


def test_a_withdrawal_for_one_agency_overrides_the_network_consent():
    r = record(**{"*": given(), A: withdrawn()})
    assert rules.file_access(staff(A), r, NOW) == "summary"
    assert rules.file_access(staff(B), r, NOW) == "file"


def test_consent_past_its_end_date_no_longer_shares_the_file():
    r = record(**{A: given(until=NOW - timedelta(seconds=1))})
    assert rules.file_access(staff(A), r, NOW) == "summary"
    assert rules.file_access(staff(A), record(**{A: given(until=NOW + timedelta(days=1))}), NOW) == "file"


@pytest.mark.parametrize("role", ["police", "legal", "court", "admin", "analyst", "partner"])
def test_other_roles_get_neither_file_nor_summary(role):
    assert rules.file_access(staff(A, role), record(**{"*": given()}), NOW) is None


def test_no_consent_recorded_is_no_file():
    assert rules.file_access(staff(A), record(), NOW) == "summary"
    assert rules.file_access(staff(A), None, NOW) is None


def test_a_file_consent_names_an_agency():
    assert file_consent.check_agency(A) == A
    for bad in (None, "", "*", "Bad Agency"):
        with pytest.raises(InvalidInput) as exc:
            file_consent.check_agency(bad)
        assert exc.value.field == "agency"


def test_provider_is_a_consent_audience_for_shelter_staff():
    rules.check_consent_change(staff(A), "provider", True, "placement", None, NOW)
    with pytest.raises(InvalidInput):
        rules.check_consent_change(staff(A), "the_press", True, "x", None, NOW)


def test_states_show_each_agency_and_the_network():
    states = file_consent.states({"*": given(), A: withdrawn()}, NOW)
    assert [(s["agency"], s["share"]) for s in states] == [("*", True), (A, False)]
    assert states[1]["withdrawn_at"] == "2026-12-05T12:00:00Z"
