"""The rules of one shelter service hosting many providers (docs/decisions/0038): whose a new
facility is, which facility closes, which transfer is allowed, when the plan goes along, and
that a shelter identity acts only on its own provider's objects. No I/O."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.caller import Caller
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.shelter.domain import providers as rules
from services.shelter.domain.visibility import provider_scope, require_provider

A = Caller(user="staff.a", role="shelter", agency="ngo-a")
B = Caller(user="staff.b", role="shelter", agency="gov-b")
ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
POLICE = Caller(user="officer.one", role="police", agency="erbil-police")
NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)


def test_a_shelter_identity_acts_only_on_its_own_providers_objects():
    require_provider(A, "ngo-a", "facility")
    for provider in ("gov-b", None):
        with pytest.raises(NotFound) as refused:
            require_provider(A, provider, "plan")
        assert refused.value.field == "plan"
    require_provider(ADMIN, "gov-b", "facility")  # admins keep what they may do
    assert (provider_scope(A), provider_scope(ADMIN), provider_scope(POLICE)) == ("ngo-a", None, None)


def test_staff_register_their_own_facilities_and_an_admin_names_the_provider():
    assert rules.check_registration(A, "a-1", "  House A ", None) == ("a-1", "House A", "ngo-a")
    assert rules.check_registration(A, "a-1", "House A", "ngo-a")[2] == "ngo-a"
    assert rules.check_registration(ADMIN, "b-1", "House B", "gov-b")[2] == "gov-b"
    cases = [(A, "a-1", "x", "gov-b", Forbidden, "provider"),
             (ADMIN, "b-1", "x", None, InvalidInput, "provider"),
             (ADMIN, "b-1", "x", "Gov B!", InvalidInput, "provider"),
             (ADMIN, "bad id!", "x", "gov-b", InvalidInput, "facility"),
             (A, "a-1", " ", None, InvalidInput, "name"),
             (A, "a-1", "x" * 201, None, InvalidInput, "name"),
             (POLICE, "p-1", "x", None, Forbidden, None)]
    for caller, facility, name, provider, error, field in cases:
        with pytest.raises(error) as refused:
            rules.check_registration(caller, facility, name, provider)
        assert refused.value.field == field, (facility, name, provider)


def test_a_facility_closes_once_and_only_empty():
    rules.check_closable(None, 0)
    for closed_at, in_use in ((NOW, 0), (None, 2)):
        with pytest.raises(Conflict) as refused:
            rules.check_closable(closed_at, in_use)
        assert refused.value.field == "facility"
    with pytest.raises(Conflict):
        rules.check_open(NOW)


def test_a_transfer_moves_an_admitted_resident_to_another_providers_open_facility_of_her_group():
    rules.check_transfer("admitted", "ngo-a", "women", "gov-b", True, None)
    cases = [("held", "gov-b", True, None, Conflict, "reference"),
             ("admitted", "ngo-a", True, None, InvalidInput, "to_facility"),  # same provider
             ("admitted", "gov-b", False, None, InvalidInput, "to_facility"),  # no beds of group
             ("admitted", "gov-b", True, NOW, Conflict, "to_facility")]       # closed
    for state, to_provider, has_group, closed_at, error, field in cases:
        with pytest.raises(error) as refused:
            rules.check_transfer(state, "ngo-a", "women", to_provider, has_group, closed_at)
        assert refused.value.field == field


def test_the_plan_goes_along_only_with_a_standing_consent():
    assert rules.plan_goes_along(True, None, NOW)
    assert rules.plan_goes_along(True, NOW + timedelta(days=1), NOW)
    assert not rules.plan_goes_along(True, NOW - timedelta(seconds=1), NOW)
    assert not rules.plan_goes_along(False, None, NOW)
    assert not rules.plan_goes_along(None, None, NOW)
