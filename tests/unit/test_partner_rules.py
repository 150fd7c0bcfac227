"""Partner referrals without I/O (docs/decisions/0040): the status loop, the codes each step
takes, who sees a referral; and the gateway's rows with a fake RPC pool."""

import pytest

from services.common.caller import Caller
from services.common.errors import IllegalTransition, InvalidInput, NotFound
from services.contracts.vocabulary import (PARTNER_DECLINE_REASONS, PARTNER_OUTCOMES,
                                           PARTNER_REFERRAL_STATUSES, ROLES)
from services.shelter.domain import partners as rules

REFERRAL = {"partner_referral_id": "a" * 32, "reference": "RN-ABCD-EFGH-IJKL-MNOP",
            "agency": "erbil-shelter", "partner_agency": "iom-erbil", "service": "travel_document",
            "status": "sent", "reason_code": None, "outcome_code": None,
            "sent_at": "2026-12-05T10:00:00Z", "updated_at": "2026-12-05T10:00:00Z",
            "plan_id": 4, "item_id": 9}


def test_the_loop_covers_every_status_and_ends_in_declined_or_done():
    assert set(rules.TRANSITIONS) == set(PARTNER_REFERRAL_STATUSES) and "partner" in ROLES
    assert rules.check_answer("sent", "accepted") == {"status": "accepted", "reason_code": None,
                                                      "outcome_code": None}
    assert rules.check_answer("accepted", "done", outcome_code="service_delivered")["status"] == "done"
    assert rules.check_answer("sent", "declined", reason_code="no_capacity")["reason_code"] == "no_capacity"
    assert rules.check_answer("accepted", "declined", reason_code="other")["status"] == "declined"


@pytest.mark.parametrize("current,status,codes", [
    ("sent", "done", {"outcome_code": "service_delivered"}),    # done before accepted
    ("declined", "accepted", {}),
    ("done", "declined", {"reason_code": "other"}),
    ("accepted", "accepted", {}),
])
def test_moves_outside_the_loop_are_refused_naming_status(current, status, codes):
    with pytest.raises(IllegalTransition) as exc:
        rules.check_answer(current, status, **codes)
    assert exc.value.field == "status"


@pytest.mark.parametrize("status,codes,field", [
    ("sent", {}, "status"),                                    # a partner does not send
    ("finished", {}, "status"),
    ("declined", {}, "reason_code"),                           # a decline needs its code
    ("declined", {"reason_code": "too_busy"}, "reason_code"),
    ("done", {}, "outcome_code"),
    ("done", {"outcome_code": "great"}, "outcome_code"),
    ("accepted", {"reason_code": "other"}, "reason_code"),
    ("accepted", {"outcome_code": "other"}, "outcome_code"),
])
def test_bad_answers_name_their_field(status, codes, field):
    with pytest.raises(InvalidInput) as exc:
        rules.check_answer("sent", status, **codes)
    assert exc.value.field == field


def test_every_code_is_accepted_where_it_belongs():
    for code in PARTNER_DECLINE_REASONS:
        rules.check_answer("sent", "declined", reason_code=code)
    for code in PARTNER_OUTCOMES:
        rules.check_answer("accepted", "done", outcome_code=code)


@pytest.mark.parametrize("service,agency,field", [
    ("haircut", "iom-erbil", "service"), ("travel_document", "IOM Erbil", "partner_agency"),
    ("travel_document", None, "partner_agency"), ("mhpss", "erbil-shelter", "partner_agency")])
def test_a_new_referral_names_a_partner_service_and_another_agency(service, agency, field):
    with pytest.raises(InvalidInput) as exc:
        rules.check_new(service, agency, "erbil-shelter")
    assert exc.value.field == field
    rules.check_new("travel_document", "embassy-np", "erbil-shelter")


def test_only_open_items_without_an_open_referral_are_referred():
    rules.check_item_referable("planned", False)
    rules.check_item_referable("in_progress", False)
    for status, open_ in (("done", False), ("cancelled", False), ("planned", True)):
        with pytest.raises(IllegalTransition) as exc:
            rules.check_item_referable(status, open_)
        assert exc.value.field == "item"


@pytest.mark.parametrize("who", [
    Caller(user="u", role="partner", agency="embassy-np"),      # another partner agency
    Caller(user="u", role="shelter", agency="iom-erbil"),       # the right agency, wrong role
    Caller(user="u", role="admin", agency="iom-erbil")])
def test_anyone_but_the_partner_agencys_users_gets_not_found(who):
    with pytest.raises(NotFound) as exc:
        rules.require_partner_of(who, REFERRAL, REFERRAL["partner_referral_id"])
    assert exc.value.field == "partner_referral"
    with pytest.raises(NotFound):
        rules.require_partner_of(who, None, "x")


def test_the_partner_view_holds_status_codes_and_dates_only():
    me = Caller(user="u", role="partner", agency="iom-erbil")
    view = rules.partner_view(rules.require_partner_of(me, REFERRAL, "x"))
    assert set(view) == {"partner_referral_id", "reference", "agency", "partner_agency",
                         "service", "status", "reason_code", "outcome_code", "sent_at",
                         "updated_at"}


# --- the gateway's rows ----------------------------------------------------------------------------

ID = "b" * 32


@pytest.mark.parametrize("role", [r for r in ROLES if r != "partner"])
def test_only_partners_reach_the_partner_endpoints(client, rpc, auth, role):
    assert client.get("/api/v1/partner-referrals", headers=auth(role)).status_code == 403
    assert client.post(f"/api/v1/partner-referrals/{ID}/status", headers=auth(role),
                       json={"status": "accepted"}).status_code == 403
    assert rpc.calls == []


def test_partners_are_refused_the_networks_own_endpoints(client, rpc, auth):
    for path in ("/api/v1/shelters/availability", "/api/v1/referrals", "/api/v1/shelter/plans",
                 "/api/v1/shelters/erbil-shelter/hsds"):
        assert client.get(path, headers=auth("partner")).status_code == 403, path
    assert rpc.calls == []


@pytest.mark.parametrize("body,field", [
    ({"status": "declined"}, "reason_code"),
    ({"status": "declined", "reason_code": "too_busy"}, "reason_code"),
    ({"status": "done"}, "outcome_code"),
    ({"status": "accepted", "outcome_code": "service_delivered"}, "outcome_code"),
    ({"status": "sent"}, "status"),
])
def test_bad_answers_are_refused_before_any_call(client, rpc, auth, body, field):
    response = client.post(f"/api/v1/partner-referrals/{ID}/status", headers=auth("partner"),
                           json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in response.get_data(as_text=True)
    assert rpc.calls == []


def test_an_answer_reaches_the_shelter_service(client, rpc, auth):
    rpc.responses[("shelter", "answer_partner_referral")] = {**rules.partner_view(REFERRAL),
                                                             "status": "accepted"}
    response = client.post(f"/api/v1/partner-referrals/{ID}/status",
                           headers=auth("partner", agency="iom-erbil"), json={"status": "accepted"})
    assert response.status_code == 200, response.get_data(as_text=True)
    ((service, method, kwargs),) = rpc.calls
    assert (service, method, kwargs["partner_referral_id"], kwargs["status"]) == (
        "shelter", "answer_partner_referral", ID, "accepted")


@pytest.mark.parametrize("body,field", [
    ({"partner_agency": "iom-erbil", "service": "haircut"}, "service"),
    ({"partner_agency": "IOM Erbil", "service": "mhpss"}, "partner_agency"),
    ({"service": "mhpss"}, "partner_agency"),
])
def test_bad_partner_referrals_name_the_field(client, rpc, auth, body, field):
    response = client.post("/api/v1/shelter/plans/4/items/9/partner-referral",
                           headers=auth("shelter"), json=body)
    assert response.status_code == 422 and field in response.get_data(as_text=True)
    assert rpc.calls == []
