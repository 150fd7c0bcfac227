"""Gateway rows of the care-plan endpoints with a fake RPC pool: every plan, item, note,
screening and milestone endpoint refuses police and legal tokens (and every other role but
shelter) before any service is called; bodies are validated naming the field; service refusals
come back as problem+json with their field."""

from unittest.mock import ANY

import pytest

from gateway import api
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound

CARE_ENDPOINTS = [e for e in api.ENDPOINTS if e.path.startswith(("/shelter/plans", "/shelter/milestones"))
                  and "/attachments" not in e.path]  # documents: test_attachments_gateway.py
BODIES = {
    "update_plan": {"goals": "Go home and open a tailoring shop", "psychologist": "psy.one"},
    "add_plan_item": {"service": "cash_assistance", "owner": "cm.one",
                      "cash": {"purpose": "repatriation", "amount": 450, "currency": "USD"}},
    "update_plan_item": {"status": "done"},
    "add_care_note": {"text": "Met her sister today"},
    "record_screening": {"outcome": "no_concerns"},
    "refer_plan_item_to_partner": {"partner_agency": "iom-erbil", "service": "return_reintegration"},
    "set_languages": {"languages": ["ti", "ar"], "interpreter_needed": True},
    "set_interpreter": {"language": "ti", "status": "booked"},
    "set_case_data": {"methods_of_control": ["DebtBondage"], "country_of_origin": "ET"},
}
PARAMS = {"<plan_id>": "12", "<item_id>": "3", "<milestone>": "legal_rights_briefing",
          "<occasion>": "psychological_screening"}


def _path(endpoint) -> str:
    path = endpoint.path
    for name, value in PARAMS.items():
        path = path.replace(name, value)
    return "/api/v1" + path


def _call(client, endpoint, headers):
    body = BODIES.get(endpoint.name) if endpoint.body is not None else None
    return client.open(_path(endpoint), method=endpoint.method, headers=headers, json=body)


def test_every_care_endpoint_is_covered():
    assert {e.name for e in CARE_ENDPOINTS} == {
        "list_plans", "get_plan", "update_plan", "add_plan_item", "update_plan_item",
        "approve_plan_item", "refer_plan_item", "list_care_notes", "add_care_note",
        "get_screening", "record_screening", "complete_milestone", "list_milestones",
        "refer_plan_item_to_partner", "set_languages", "set_interpreter", "set_case_data",
        "get_plan_overview"}
    assert all(e.roles == ("shelter",) for e in CARE_ENDPOINTS)
    assert set(BODIES) == {e.name for e in CARE_ENDPOINTS if e.body is not None}


@pytest.mark.parametrize("role", ["police", "legal"])
@pytest.mark.parametrize("endpoint", CARE_ENDPOINTS, ids=[e.name for e in CARE_ENDPOINTS])
def test_police_and_legal_tokens_get_403_on_every_care_endpoint(client, rpc, auth, endpoint, role):
    response = _call(client, endpoint, auth(role))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert rpc.calls == []


@pytest.mark.parametrize("role", ["court", "admin", "analyst", "partner"])
@pytest.mark.parametrize("endpoint", CARE_ENDPOINTS, ids=[e.name for e in CARE_ENDPOINTS])
def test_no_other_role_reaches_care_data(client, rpc, auth, endpoint, role):
    assert _call(client, endpoint, auth(role)).status_code == 403
    assert rpc.calls == []


@pytest.mark.parametrize("endpoint", CARE_ENDPOINTS, ids=[e.name for e in CARE_ENDPOINTS])
def test_shelter_staff_reach_the_shelter_service(client, rpc, auth, endpoint):
    response = _call(client, endpoint, auth("shelter", user="cm.one"))
    assert response.status_code == endpoint.status, response.get_data(as_text=True)
    ((service, method, kwargs),) = rpc.calls
    assert service == "shelter" and kwargs["caller"] == {"user": "cm.one", "role": "shelter",
                                                         "agency": "shelter-agency",
                                                         "correlation_id": ANY}
    if "<plan_id>" in endpoint.path:
        assert kwargs["plan_id"] == 12
    if "<item_id>" in endpoint.path:
        assert kwargs["item_id"] == 3


def test_the_overdue_list_passes_state_facility_and_case_manager(client, rpc, auth):
    rpc.responses[("shelter", "list_milestones")] = {"state": "overdue", "as_of": "x", "count": 0,
                                                     "groups": []}
    response = client.get("/api/v1/shelter/milestones?state=overdue&facility=erbil-shelter"
                          "&case_manager=cm.one", headers=auth("shelter"))
    assert response.status_code == 200
    kwargs = rpc.calls[0][2]
    assert (kwargs["state"], kwargs["facility"], kwargs["case_manager"]) == \
        ("overdue", "erbil-shelter", "cm.one")
    bad = client.get("/api/v1/shelter/milestones?state=late", headers=auth("shelter"))
    assert bad.status_code == 422 and bad.get_json()["field"] == "state"


@pytest.mark.parametrize("name,body,field", [
    ("add_plan_item", {"service": "massage", "owner": "cm.one"}, "service"),
    ("add_plan_item", {"service": "health_care", "owner": "Jane Doe"}, "owner"),
    ("add_plan_item", {"service": "cash_assistance", "owner": "cm.one",
                       "cash": {"purpose": "repatriation", "amount": "450", "currency": "USD"}},
     "cash.amount"),
    ("add_plan_item", {"service": "cash_assistance", "owner": "cm.one",
                       "cash": {"purpose": "holiday", "amount": 1, "currency": "USD"}}, "cash.purpose"),
    ("update_plan_item", {"status": "paused"}, "status"),
    ("update_plan", {"psychologist": "Dr. Who"}, "psychologist"),
    ("add_care_note", {"text": ""}, "text"),
    ("record_screening", {"outcome": "fine"}, "outcome"),
])
def test_bad_bodies_are_422_naming_the_field_and_reach_no_service(client, rpc, auth, name, body, field):
    endpoint = next(e for e in CARE_ENDPOINTS if e.name == name)
    response = client.open(_path(endpoint), method=endpoint.method, headers=auth("shelter"), json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert rpc.calls == []


def test_a_plan_id_that_is_not_a_number_is_404(client, rpc, auth):
    assert client.get("/api/v1/shelter/plans/abc", headers=auth("shelter")).status_code == 404
    assert client.get("/api/v1/shelter/plans/12/notes/../x", headers=auth("shelter")).status_code == 404
    assert rpc.calls == []


@pytest.mark.parametrize("method,path,answer,status,field", [
    ("PUT", "/shelter/plans/12/items/3", Conflict("cash assistance is paid only after a second "
                                                  "staff member approved it", field="approval"), 409, "approval"),
    ("POST", "/shelter/plans/12/items/3/approval", Forbidden("the requester cannot approve",
                                                             field="approval"), 403, "approval"),
    ("GET", "/shelter/plans/12/screening", Forbidden("only the plan's case manager and psychologist",
                                                     field="plan"), 403, "plan"),
    ("GET", "/shelter/plans/12", NotFound("no plan 12", field="plan"), 404, "plan"),
    ("POST", "/shelter/plans/12/milestones/haircut/done", InvalidInput("unknown", field="milestone"),
     422, "milestone"),
])
def test_service_refusals_are_problems_naming_the_field(client, rpc, auth, method, path, answer,
                                                        status, field):
    for key in (("shelter", "update_plan_item"), ("shelter", "approve_plan_item"),
                ("shelter", "get_screening"), ("shelter", "get_plan"),
                ("shelter", "complete_milestone")):
        rpc.responses[key] = answer
    body = {"status": "done"} if method == "PUT" else None
    response = client.open("/api/v1" + path, method=method, headers=auth("shelter"), json=body)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["field"] == field


def test_legal_referral_requests_are_for_the_legal_team(client, rpc, auth):
    rpc.responses[("legal", "list_referral_requests")] = []
    assert client.get("/api/v1/legal/referral-requests", headers=auth("legal")).status_code == 200
    for role in ("police", "shelter", "court", "admin", "analyst"):
        assert client.get("/api/v1/legal/referral-requests", headers=auth(role)).status_code == 403
    assert len(rpc.calls) == 1


@pytest.mark.parametrize("partner, why", [("nowhere", "No such"), ("closed-ngo", "inactive"),
                                          ("duhok-gov-shelter", "kind is not one of")])
def test_an_item_is_referred_only_to_an_active_partner_agency(client, rpc, auth, directory,
                                                             partner, why):
    directory.missing.add("nowhere")
    directory.add("closed-ngo", kind="international_org", active=False)
    directory.add("duhok-gov-shelter", kind="shelter_provider")
    refused = client.post("/api/v1/shelter/plans/12/items/3/partner-referral",
                          headers=auth("shelter"), json={"partner_agency": partner, "service": "mhpss"})
    assert (refused.status_code, refused.get_json()["field"]) == (422, "partner_agency"), refused.text
    assert why in refused.get_json()["detail"]
    assert rpc.calls == []


def test_an_item_referred_to_a_partner_agency_reaches_the_service(client, rpc, auth, directory):
    directory.add("intl-return-org", kind="international_org")
    rpc.responses[("shelter", "refer_plan_item_to_partner")] = {}
    made = client.post("/api/v1/shelter/plans/12/items/3/partner-referral", headers=auth("shelter"),
                       json={"partner_agency": "intl-return-org", "service": "mhpss"})
    assert made.status_code == 201, made.text
    assert [(m, k["partner_agency"]) for _s, m, k in rpc.calls] == [
        ("refer_plan_item_to_partner", "intl-return-org")]
