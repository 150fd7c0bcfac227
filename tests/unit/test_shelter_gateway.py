"""Gateway rows of the shelter-capacity endpoints, with a fake RPC pool: roles, validation,
problem+json from service errors, and what reaches the service."""

import pytest

from services.common.errors import Conflict, InvalidInput

FACILITY = "erbil-shelter"
REF = "RN-ABCD-EFGH-IJKL-MNOP"


@pytest.mark.parametrize("method,path,body", [
    ("GET", f"/api/v1/shelters/{FACILITY}/board", None),
    ("GET", f"/api/v1/shelters/{FACILITY}/census", None),
    ("GET", "/api/v1/shelter/waitlist", None),
    ("PUT", f"/api/v1/shelter/waitlist/{REF}/priority", {"priority": 1, "reason": "x"}),
    ("POST", f"/api/v1/shelters/{FACILITY}/admissions", {"reference": REF, "case_manager": "cm.one"}),
    ("POST", f"/api/v1/shelters/{FACILITY}/admissions/7/discharge", {"outcome": "other"}),
])
@pytest.mark.parametrize("role", ["police", "legal", "court", "analyst"])
def test_staff_endpoints_refuse_other_roles(client, auth, rpc, method, path, body, role):
    answer = client.open(path, method=method, json=body, headers=auth(role))
    assert answer.status_code == 403
    assert rpc.calls == []


@pytest.mark.parametrize("role", ["police", "shelter", "legal", "court", "admin", "analyst"])
def test_availability_and_hsds_for_every_signed_in_role(client, auth, rpc, role):
    rpc.responses[("shelter", "hsds_service")] = {"id": "x", "name": "y", "status": "active", "capacities": []}
    assert client.get("/api/v1/shelters/availability", headers=auth(role)).status_code == 200
    assert client.get(f"/api/v1/shelters/{FACILITY}/hsds", headers=auth(role)).status_code == 200


def test_admission_is_validated_and_passed_on(client, auth, rpc):
    rpc.responses[("shelter", "admit")] = lambda **kw: {"admission_id": 3, "reference": kw["reference"]}
    bad = client.post(f"/api/v1/shelters/{FACILITY}/admissions", headers=auth("shelter"),
                      json={"reference": REF, "case_manager": "Jane Doe"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "case_manager"
    ok = client.post(f"/api/v1/shelters/{FACILITY}/admissions", headers=auth("shelter"),
                     json={"reference": REF, "case_manager": "cm.one"})
    assert ok.status_code == 201
    service, method, kwargs = rpc.calls[-1]
    assert (service, method, kwargs["facility"], kwargs["reference"], kwargs["case_manager"]) == \
        ("shelter", "admit", FACILITY, REF, "cm.one")


def test_discharge_outcome_and_id_are_checked_before_the_service(client, auth, rpc):
    bad = client.post(f"/api/v1/shelters/{FACILITY}/admissions/7/discharge", headers=auth("shelter"),
                      json={"outcome": "vanished"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "outcome"
    not_an_id = client.post(f"/api/v1/shelters/{FACILITY}/admissions/seven/discharge",
                            headers=auth("shelter"), json={"outcome": "other"})
    assert not_an_id.status_code == 404
    assert rpc.calls == []


def test_service_refusals_become_problems_naming_the_field(client, auth, rpc):
    rpc.responses[("shelter", "admit")] = Conflict("a referral that is declined cannot be admitted",
                                                   field="reference")
    rpc.responses[("shelter", "set_out_of_service")] = InvalidInput("needs a reason", field="reason")
    answer = client.post(f"/api/v1/shelters/{FACILITY}/admissions", headers=auth("shelter"),
                         json={"reference": REF, "case_manager": "cm.one"})
    assert answer.status_code == 409 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["field"] == "reference" and "declined" in answer.get_json()["detail"]
    answer = client.put(f"/api/v1/shelters/{FACILITY}/out-of-service", headers=auth("shelter"),
                        json={"population_group": "women", "beds": 1, "expected_return": "2030-01-01"})
    assert answer.status_code == 422 and answer.get_json()["field"] == "reason"
    assert rpc.calls[-1][2]["expected_return"] == "2030-01-01"


def test_negative_capacity_is_refused_by_the_gateway(client, auth, rpc):
    answer = client.put(f"/api/v1/shelters/{FACILITY}/capacity", headers=auth("admin"),
                        json={"population_group": "women", "capacity": -1})
    assert answer.status_code == 422 and answer.get_json()["field"] == "capacity"
    assert rpc.calls == []


def test_openapi_documents_the_new_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/shelters/{facility}/board", "/api/v1/shelters/{facility}/admissions",
                 "/api/v1/shelters/{facility}/admissions/{admission_id}/discharge",
                 "/api/v1/shelter/waitlist", "/api/v1/shelters/{facility}/hsds",
                 "/api/v1/shelters/{facility}/out-of-service", "/api/v1/shelters/{facility}/census"):
        assert any(p.endswith(path.removeprefix("/api/v1")) for p in paths), path


# --- facilities of a provider and transfers (docs/decisions/0038) ------------------------------

@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/v1/shelters/facilities", None),
    ("POST", "/api/v1/shelters/facilities", {"facility": "f-1", "name": "F"}),
    ("PATCH", f"/api/v1/shelters/facilities/{FACILITY}", {"name": "F"}),
    ("POST", f"/api/v1/shelters/facilities/{FACILITY}/close", None),
    ("PUT", f"/api/v1/shelters/facilities/{FACILITY}/manager", {"manager": "fm.one"}),
    ("POST", f"/api/v1/residents/{REF}/transfer", {"to_facility": "b", "case_manager": "cm.b"}),
])
@pytest.mark.parametrize("role", ["police", "legal", "court", "analyst"])
def test_facility_and_transfer_endpoints_refuse_other_roles(client, auth, rpc, method, path, body,
                                                            role):
    assert client.open(path, method=method, json=body, headers=auth(role)).status_code == 403
    assert rpc.calls == []


def test_facility_and_transfer_bodies_are_checked_before_the_service(client, auth, rpc):
    for path, body, field in [
            ("/api/v1/shelters/facilities", {"facility": "bad id!", "name": "x"}, "facility"),
            ("/api/v1/shelters/facilities", {"facility": "f-1", "name": ""}, "name"),
            ("/api/v1/shelters/facilities", {"facility": "f-1", "name": "x", "provider": "Not Id"},
             "provider"),
            (f"/api/v1/residents/{REF}/transfer", {"case_manager": "cm.b"}, "to_facility"),
            (f"/api/v1/residents/{REF}/transfer", {"to_facility": "b", "case_manager": "Jane Doe"},
             "case_manager"),
            ("/api/v1/shelters/facilities", {"facility": "f-1", "name": "x",
                                             "manager": "Jane Doe"}, "manager")]:
        bad = client.post(path, headers=auth("admin"), json=body)
        assert (bad.status_code, bad.get_json()["field"]) == (422, field), body
    for body in ({"manager": "Jane Doe"}, {"manager": 7}, {"manager": "x", "name": "y"}):
        bad = client.put(f"/api/v1/shelters/facilities/{FACILITY}/manager", headers=auth("shelter"),
                         json=body)
        assert bad.status_code == 422, body
        assert bad.get_json()["field"] in ("manager", "name"), body
    assert rpc.calls == []


def test_a_facility_manager_is_named_or_cleared_through_the_service(client, auth, rpc):
    rpc.responses[("shelter", "set_facility_manager")] = lambda **kw: {
        "facility": kw["facility"], "name": "House", "provider": "erbil-shelter",
        "manager": kw["manager"], "status": "open", "created_at": "2026-05-01T09:00:00Z",
        "closed_at": None}
    named = client.put(f"/api/v1/shelters/facilities/{FACILITY}/manager", headers=auth("shelter"),
                       json={"manager": "fm.one"})
    assert (named.status_code, named.get_json()["manager"]) == (200, "fm.one")
    cleared = client.put(f"/api/v1/shelters/facilities/{FACILITY}/manager",
                         headers=auth("shelter"), json={"manager": None})
    assert (cleared.status_code, cleared.get_json()["manager"]) == (200, None)
    assert [(m, k["manager"]) for _s, m, k in rpc.calls] == [
        ("set_facility_manager", "fm.one"), ("set_facility_manager", None)]


@pytest.mark.parametrize("provider, why", [("nowhere", "No such"), ("closed-shelter", "inactive"),
                                           ("erbil-court", "shelter_provider")])
def test_an_admin_names_an_active_shelter_provider_of_the_directory(client, auth, rpc, directory,
                                                                   provider, why):
    directory.missing.add("nowhere")
    directory.add("closed-shelter", kind="shelter_provider", active=False)
    directory.add("erbil-court", kind="court")
    refused = client.post("/api/v1/shelters/facilities", headers=auth("admin"),
                          json={"facility": "f-1", "name": "House", "provider": provider})
    assert (refused.status_code, refused.get_json()["field"]) == (422, "provider"), refused.text
    assert why in refused.get_json()["detail"]
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert rpc.calls == []


def test_a_facility_is_not_registered_when_the_directory_cannot_say(client, auth, rpc,
                                                                    directory, monkeypatch):
    from gateway.directory import UNSURE
    monkeypatch.setattr(directory, "lookup", lambda agency: UNSURE)
    refused = client.post("/api/v1/shelters/facilities", headers=auth("admin"),
                          json={"facility": "f-1", "name": "House", "provider": "gov-b"})
    assert (refused.status_code, refused.get_json()["field"]) == (503, "provider")
    assert rpc.calls == []


def test_facility_calls_reach_the_service_and_its_refusals_name_the_field(client, auth, rpc,
                                                                           directory):
    directory.add("gov-b", kind="shelter_provider")
    rpc.responses[("shelter", "register_facility")] = lambda **kw: {
        "facility": kw["facility"], "name": kw["name"], "provider": kw["provider"],
        "status": "open", "created_at": "2026-05-01T09:00:00Z", "closed_at": None}
    made = client.post("/api/v1/shelters/facilities", headers=auth("admin"),
                       json={"facility": "gov-1", "name": "Gov house", "provider": "gov-b"})
    assert made.status_code == 201 and made.get_json()["provider"] == "gov-b"
    rpc.responses[("shelter", "close_facility")] = Conflict("2 bed(s) are occupied",
                                                            field="facility")
    refused = client.post(f"/api/v1/shelters/facilities/{FACILITY}/close", headers=auth("shelter"))
    assert (refused.status_code, refused.get_json()["field"]) == (409, "facility")
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    rpc.responses[("shelter", "transfer_resident")] = InvalidInput("same provider",
                                                                   field="to_facility")
    refused = client.post(f"/api/v1/residents/{REF}/transfer", headers=auth("shelter"),
                          json={"to_facility": "b", "case_manager": "cm.b"})
    assert (refused.status_code, refused.get_json()["field"]) == (422, "to_facility")
    assert [m for _s, m, _k in rpc.calls] == ["register_facility", "close_facility",
                                              "transfer_resident"]
