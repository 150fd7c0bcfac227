"""The legal endpoints of the gateway with a fake RPC pool: roles, bodies, the calendar feed."""

from datetime import datetime

import icalendar
import pytest

from gateway import api
from services.common.errors import IllegalTransition, InvalidInput, NotFound

ROLES = ("police", "shelter", "legal", "court", "admin", "analyst")
ID = "a" * 32
LEGAL_ENDPOINTS = [e for e in api.ENDPOINTS
                   if e.path.startswith(("/legal", "/court-cases", "/hearings", "/shelter/hearings"))
                   and "/attachments" not in e.path]  # documents: test_attachments_gateway.py
BODIES = {
    "open_case": {"reference": "RN-ABCD-EFGH-IJKL-MNOP", "lawyer": "lawyer.one"},
    "add_session": {"held_on": "2026-12-01", "topic": "Rights in court"},
    "add_note": {"text": "Strategy: ask for closed hearing"},
    "file_court_case": {"court": "erbil-criminal-court", "case_number": "12/2026",
                        "charges": [{"statute": "law-6-2018"}], "standing": "victim"},
    "change_court_status": {"status": "filed"},
    "schedule_hearing": {"starts_at": "2026-12-10T09:30", "purpose": "Testimony",
                         "attendance_required": True},
    "record_outcome": {"outcome": "held"},
    "request_document": {"kind": "passport", "authority": "Embassy"},
    "change_document_status": {"status": "submitted"},
    "open_dispute": {"employer": "Agency X", "claims": ["unpaid_wages"]},
    "update_dispute": {"status": "mediation"},
    "close_legal_case": {"reason_code": "proceedings_concluded"},
    "reopen_legal_case": {"reason_code": "appeal_lodged"},
    "reassign_lawyer": {"lawyer": "lawyer.two", "reason_code": "caseload"},
    "set_hearing_interpreter": {"language": "ti", "status": "requested"},
}


def _path(endpoint):
    return "/api/v1" + (endpoint.path.replace("<case_id>", ID).replace("<court_case_id>", ID)
                        .replace("<hearing_id>", ID).replace("<document_id>", ID)
                        .replace("<dispute_id>", ID))


def test_every_legal_endpoint_is_in_the_table():
    assert {e.name for e in LEGAL_ENDPOINTS} >= set(BODIES) | {
        "list_cases", "get_case", "list_court_cases", "get_court_case", "list_hearings",
        "hearings_ics", "shelter_hearings"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", LEGAL_ENDPOINTS, ids=[e.name for e in LEGAL_ENDPOINTS])
def test_each_role_reaches_only_its_endpoints(client, rpc, auth, endpoint, role):
    rpc.responses[("legal", "list_hearings")] = []
    response = client.open(_path(endpoint), method=endpoint.method, headers=auth(role),
                           json=BODIES.get(endpoint.name) if endpoint.method in ("POST", "PUT") else None)
    if role in endpoint.roles:
        assert response.status_code in (200, 201), (response.status_code, response.get_data(as_text=True))
        assert len(rpc.calls) == 1 and rpc.calls[0][2]["caller"]["role"] == role
    else:
        assert response.status_code == 403
        assert rpc.calls == []


def test_hearing_body_defaults_to_the_baghdad_zone(client, rpc, auth):
    client.post(f"/api/v1/court-cases/{ID}/hearings", headers=auth("court"),
                json=BODIES["schedule_hearing"])
    assert rpc.calls[0][2]["time_zone"] == "Asia/Baghdad"
    assert rpc.calls[0][2]["starts_at"] == "2026-12-10T09:30"


def test_service_errors_reach_the_client_with_their_field(client, rpc, auth):
    rpc.responses[("legal", "schedule_hearing")] = InvalidInput("unknown time zone Mars/Base", field="time_zone")
    response = client.post(f"/api/v1/court-cases/{ID}/hearings", headers=auth("legal"),
                           json={**BODIES["schedule_hearing"], "time_zone": "Mars/Base"})
    assert response.status_code == 422 and response.get_json()["field"] == "time_zone"
    rpc.responses[("legal", "change_court_status")] = IllegalTransition("no", field="status")
    response = client.post(f"/api/v1/court-cases/{ID}/status", headers=auth("court"),
                           json={"status": "verdict", "verdict": "convicted"})
    assert response.status_code == 409 and response.get_json()["code"] == "illegal-transition"
    rpc.responses[("legal", "get_court_case")] = NotFound("no court case", field="court_case_id")
    assert client.get(f"/api/v1/court-cases/{ID}", headers=auth("court")).status_code == 404


@pytest.mark.parametrize("name,body,field", [
    ("file_court_case", {**BODIES["file_court_case"], "standing": "bystander"}, "standing"),
    ("file_court_case", {**BODIES["file_court_case"], "charges": [{"statute": "law-99"}]}, "charges.0.statute"),
    ("change_court_status", {"status": "verdict", "verdict": "guilty"}, "verdict"),
    ("schedule_hearing", {"purpose": "x", "attendance_required": True}, "starts_at"),
    ("record_outcome", {"outcome": "adjourned"}, "outcome"),
    ("open_case", {"reference": "RN-ABCD-EFGH-IJKL-MNOP"}, "lawyer"),
    ("open_dispute", {"employer": "X", "claims": ["theft"]}, "claims.0"),
    ("close_legal_case", {}, "reason_code"),                       # a closure says why
    ("close_legal_case", {"reason_code": "appeal_lodged"}, "reason_code"),  # a reopening's code
    ("reopen_legal_case", {"reason_code": "bored"}, "reason_code"),
    ("reopen_legal_case", {}, "reason_code"),
    ("reassign_lawyer", {"lawyer": "Jane Doe", "reason_code": "leave"}, "lawyer"),  # a name
    ("open_case", {"reference": "RN-ABCD-EFGH-IJKL-MNOP", "lawyer": "Jane Doe"}, "lawyer"),
    ("add_session", {"held_on": "2026-12-01", "topic": "Rights", "lawyer": "Jane Doe"}, "lawyer"),
    ("reassign_lawyer", {"lawyer": "lawyer.two", "reason_code": "holiday"}, "reason_code"),
    ("reassign_lawyer", {"reason_code": "leave"}, "lawyer"),
])
def test_bad_bodies_are_422_naming_the_field_and_reach_no_service(client, rpc, auth, name, body, field):
    endpoint = next(e for e in api.ENDPOINTS if e.name == name)
    response = client.post(_path(endpoint), headers=auth("legal"), json=body)
    assert response.status_code == 422
    problem = response.get_json()
    assert field in [e["field"] for e in problem["errors"]]
    assert rpc.calls == []


def test_hearings_query_passes_days(client, rpc, auth):
    rpc.responses[("legal", "list_hearings")] = []
    client.get("/api/v1/hearings?from=2026-12-01&to=2026-12-31", headers=auth("police"))
    assert rpc.calls[0][2]["from_date"] == "2026-12-01" and rpc.calls[0][2]["to_date"] == "2026-12-31"
    response = client.get("/api/v1/hearings?from=yesterday", headers=auth("police"))
    assert response.status_code == 422 and response.get_json()["field"] == "from"


def test_the_calendar_feed_parses_and_holds_the_hearings(client, rpc, auth):
    rpc.responses[("legal", "list_hearings")] = [
        {"hearing_id": "c" * 32, "reference": "RN-ABCD-EFGH-IJKL-MNOP", "court": "erbil-criminal-court",
         "case_number": "12/2026", "starts_at": "2026-12-10T06:30:00Z", "time_zone": "Asia/Baghdad",
         "purpose": "Testimony", "attendance_required": True, "status": "scheduled"},
        {"hearing_id": "d" * 32, "reference": "RN-ABCD-EFGH-IJKL-MNOP", "court": "erbil-criminal-court",
         "case_number": "12/2026", "starts_at": "2026-12-03T07:00:00Z", "time_zone": "Asia/Baghdad",
         "purpose": "First hearing", "attendance_required": False, "status": "postponed"},
    ]
    response = client.get("/api/v1/hearings/calendar.ics", headers=auth("legal"))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.get_data())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{'c' * 32}@refnet", f"{'d' * 32}@refnet"}
    first = events[f"{'c' * 32}@refnet"]
    start = first.decoded("dtstart")
    assert start.isoformat() == "2026-12-10T09:30:00+03:00" and str(start.tzinfo) == "Asia/Baghdad"
    assert "erbil-criminal-court" in str(first["summary"])
    assert str(events[f"{'d' * 32}@refnet"]["status"]) == "CANCELLED"
    assert calendar.walk("VTIMEZONE")
    assert datetime.fromisoformat("2026-12-10T06:30:00+00:00") == start


def test_the_calendar_is_for_the_legal_team_only(client, rpc, auth):
    for role in ("police", "shelter", "court", "admin", "analyst"):
        assert client.get("/api/v1/hearings/calendar.ics", headers=auth(role)).status_code == 403
    assert rpc.calls == []


def test_closing_a_legal_case_over_an_open_court_case_is_409_naming_the_field(client, rpc, auth):
    from services.common.errors import Conflict
    rpc.responses[("legal", "close_case")] = Conflict("court case open", field="court_cases")
    body = BODIES["close_legal_case"]
    response = client.post(f"/api/v1/legal/cases/{ID}/close", headers=auth("legal"), json=body)
    assert response.status_code == 409 and response.json["field"] == "court_cases"
    assert response.content_type.startswith("application/problem+json")
    assert rpc.calls[0][1:] == ("close_case", {**rpc.calls[0][2], "case_id": ID,
                                               "reason_code": "proceedings_concluded"})
    rpc.responses[("legal", "close_case")] = NotFound("no legal case", field="case_id")
    assert client.post("/api/v1/legal/cases/nope/close", headers=auth("legal"),
                       json=body).status_code == 404


@pytest.mark.parametrize("name,error,status,field", [
    ("close_case", "closed", 409, "status"),          # closing a closed case
    ("reopen_case", "open", 409, "status"),           # reopening an open (or anonymised) one
    ("reassign_lawyer", "same", 409, "lawyer"),       # to the lawyer it already has
])
def test_the_legal_case_ends_refusals_reach_the_client_with_their_field(client, rpc, auth, name,
                                                                         error, status, field):
    from services.common.errors import Conflict
    rpc.responses[("legal", name)] = Conflict(error, field=field)
    endpoint = {"close_case": "close_legal_case", "reopen_case": "reopen_legal_case",
                "reassign_lawyer": "reassign_lawyer"}[name]
    path = _path(next(e for e in api.ENDPOINTS if e.name == endpoint))
    response = client.post(path, headers=auth("legal"), json=BODIES[endpoint])
    assert (response.status_code, response.json["field"]) == (status, field)
    assert response.content_type.startswith("application/problem+json")
