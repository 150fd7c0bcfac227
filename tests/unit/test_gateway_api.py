"""The HTTP gateway through Flask's test client, with fakes in place of RabbitMQ: the RPC pool
and the intake publisher are injected through ``create_app`` overrides."""

import base64
from unittest.mock import ANY
import json
import time

import jwt
import kombu.exceptions
import pytest
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from openapi_spec_validator import validate

from gateway import api, tokens
from gateway.errors import PROBLEM
from services.common import errors as se
from services.contracts.references import is_reference, reference_for_key

from .conftest import OTHER_SECRET, REF, REFERENCE_SECRET, TOKEN_SECRET

SUBMIT = "/api/v1/referrals"
STATUS = f"/api/v1/referrals/{REF}/status"
DECISION = f"/api/v1/referrals/{REF}/decision"


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    assert response.headers["Content-Type"].startswith(PROBLEM)
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["type"].startswith("https://") and problem["title"] and problem["code"]
    if field is not None:
        named = {problem.get("field")} | {e["field"] for e in problem.get("errors", [])}
        assert field in named, problem
    return problem


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims():
    now = int(time.time())
    return {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "sub": "officer-1", "role": "police",
            "agency": "erbil-police", "iat": now, "exp": now + 600}


# --- authentication --------------------------------------------------------------------------------

BAD_AUTH = {
    "no header": None,
    "basic scheme": "Basic b2ZmaWNlcjpzZWNyZXQ=",
    "bearer without token": "Bearer ",
    "garbage token": "Bearer not-a-jwt",
    "expired": lambda: "Bearer " + tokens.issue_token(TOKEN_SECRET, user="u", role="police",
                                                      agency="erbil-police", ttl=-60),
    "another secret": lambda: "Bearer " + tokens.issue_token(OTHER_SECRET, user="u", role="police",
                                                             agency="erbil-police"),
    "alg none": lambda: f"Bearer {b64({'alg': 'none', 'typ': 'JWT'})}.{b64(_claims())}.",
    "unknown role claim": lambda: "Bearer " + jwt.encode({**_claims(), "role": "janitor"},
                                                         TOKEN_SECRET, algorithm="HS256"),
}


@pytest.mark.parametrize("case", BAD_AUTH)
@pytest.mark.parametrize("method,path", [("GET", STATUS), ("POST", SUBMIT), ("GET", "/api/v1/shelters/availability")])
def test_unauthenticated_requests_get_401(client, rpc, intake, body, case, method, path):
    header = BAD_AUTH[case]
    header = header() if callable(header) else header
    headers = {"Authorization": header} if header is not None else {}
    response = client.open(path, method=method, headers=headers, json=body if method == "POST" else None)
    problem = assert_problem(response, 401, field="Authorization")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert problem["code"] in ("unauthenticated", "invalid-token")
    assert rpc.calls == [] and intake.submissions == []


def test_garbage_token_is_reported_as_invalid_token(client):
    response = client.get(STATUS, headers={"Authorization": "Bearer not-a-jwt"})
    assert assert_problem(response, 401)["code"] == "invalid-token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_valid_token_passes_the_identity_to_the_service(client, rpc, auth):
    rpc.responses[("referral", "get_status")] = {"reference": REF, "status": "received", "timeline": []}
    response = client.get(STATUS, headers=auth("police", agency="erbil-police", user="officer-7"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "received"
    assert rpc.calls == [("referral", "get_status", {
        "caller": {"user": "officer-7", "role": "police", "agency": "erbil-police", "correlation_id": ANY}, "reference": REF})]


# --- roles ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role,method,path,payload", [
    ("police", "POST", DECISION, {"decision": "accept"}),
    ("legal", "POST", DECISION, {"decision": "accept"}),
    ("shelter", "POST", SUBMIT, None),
    ("legal", "POST", SUBMIT, None),
    ("court", "GET", "/api/v1/referrals", None),
    ("analyst", "GET", f"/api/v1/referrals/{REF}/status", None),
    ("police", "GET", f"/api/v1/referrals/{REF}", None),          # the file is for shelter staff
    ("shelter", "POST", f"/api/v1/referrals/{REF}/withdraw", {}),
    ("police", "GET", "/api/v1/shelter/incoming", None),
    ("police", "PUT", "/api/v1/shelters/erbil-1/capacity", {"population_group": "women", "capacity": 3}),
    ("shelter", "GET", "/api/v1/legal/eligible", None),
])
def test_role_not_allowed_gets_403_and_reaches_no_service(client, rpc, intake, auth, body, role,
                                                         method, path, payload):
    response = client.open(path, method=method, headers=auth(role),
                           json=body if payload is None and method == "POST" else payload)
    problem = assert_problem(response, 403)
    assert role in problem["detail"]
    assert rpc.calls == [] and intake.submissions == []


@pytest.mark.parametrize("role", ["police", "shelter", "legal", "court", "admin", "analyst"])
def test_availability_is_open_to_every_role(client, rpc, auth, role):
    rpc.responses[("shelter", "availability")] = [{"facility": "erbil-1", "available": 2}]
    response = client.get("/api/v1/shelters/availability", headers=auth(role))
    assert response.status_code == 200
    body = response.get_json()
    assert body["facilities"] == [{"facility": "erbil-1", "available": 2}]
    assert body["as_of"].endswith("Z")


# --- submission ------------------------------------------------------------------------------------

def test_submission_is_accepted_with_202(client, intake, auth, body):
    response = client.post(SUBMIT, json=body, headers={**auth("police", agency="erbil-police",
                                                              user="officer-7"),
                                                       "X-Request-ID": "req-0123456789"})
    assert response.status_code == 202
    answer = response.get_json()
    reference = answer["reference"]
    assert is_reference(reference)
    assert answer["status"] == "submitted"
    assert answer["status_url"] == f"/api/v1/referrals/{reference}/status"
    assert response.headers["Location"].endswith(answer["status_url"])
    assert response.headers["X-Request-ID"] == "req-0123456789"
    assert intake.submissions == [{"body": body, "reference": reference, "agency": "erbil-police",
                                   "user": "officer-7", "correlation_id": "req-0123456789"}]


def test_submission_with_idempotency_key_uses_the_keyed_reference(client, intake, auth, body):
    headers = {**auth("police", agency="erbil-police"), "Idempotency-Key": "case-2026-0042"}
    first = client.post(SUBMIT, json=body, headers=headers).get_json()["reference"]
    second = client.post(SUBMIT, json=body, headers=headers).get_json()["reference"]
    assert first == second == reference_for_key(REFERENCE_SECRET.encode(), "erbil-police", "case-2026-0042")
    assert intake.references == [("erbil-police", "case-2026-0042")] * 2


def test_an_idempotency_key_reused_with_another_body_is_422_and_nothing_is_sent(client, intake, auth,
                                                                               body):
    """The second referral would be dropped by the referral service long after a 202: the
    client learns it now. The same key with the same body (in another key order) is a retry."""
    headers = {**auth("police", agency="erbil-police"), "Idempotency-Key": "case-2026-0043"}
    assert client.post(SUBMIT, json=body, headers=headers).status_code == 202
    other = json.loads(json.dumps(body))
    other["survivor"]["birth_year"] += 1
    problem = assert_problem(client.post(SUBMIT, json=other, headers=headers), 422,
                             field="Idempotency-Key")
    assert problem["code"] == "idempotency-key-reused"
    assert [s["body"] for s in intake.submissions] == [body]
    reordered = dict(reversed(list(body.items())))
    assert client.post(SUBMIT, json=reordered, headers=headers).status_code == 202
    assert len(intake.submissions) == 2
    # the same key of another agency is another reference: no clash
    elsewhere = {**auth("police", agency="duhok-police"), "Idempotency-Key": "case-2026-0043"}
    assert client.post(SUBMIT, json=other, headers=elsewhere).status_code == 202


def test_submissions_without_key_get_distinct_references(client, intake, auth, body):
    a = client.post(SUBMIT, json=body, headers=auth("police")).get_json()["reference"]
    b = client.post(SUBMIT, json=body, headers=auth("police")).get_json()["reference"]
    assert a != b
    assert intake.references == [("police-agency", None)] * 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 201, "tab\there"])
def test_invalid_idempotency_key(client, intake, auth, body, key):
    response = client.post(SUBMIT, json=body, headers={**auth("police"), "Idempotency-Key": key})
    problem = assert_problem(response, 400, field="Idempotency-Key")
    assert "Idempotency-Key" in problem["detail"]
    assert intake.submissions == [] and intake.references == []


def test_longest_idempotency_key_is_accepted(client, intake, auth, body):
    response = client.post(SUBMIT, json=body, headers={**auth("police"), "Idempotency-Key": "k" * 200})
    assert response.status_code == 202
    assert len(intake.submissions) == 1


def test_malformed_json(client, intake, auth):
    response = client.post(SUBMIT, data='{"survivor": {', content_type="application/json",
                           headers=auth("police"))
    problem = assert_problem(response, 400, field="body")
    assert problem["code"] == "malformed-json"
    assert intake.submissions == []


@pytest.mark.parametrize("data", ["[" * 64 * 1024, "[" * 32 * 1024 + "]" * 32 * 1024,
                                  '{"a":' * 10000 + "1" + "}" * 10000],
                         ids=["unclosed", "closed", "objects"])
def test_deeply_nested_json_is_400_not_a_server_error(client, intake, auth, data):
    """A body within the size limit whose nesting is deeper than the parser goes."""
    response = client.post(SUBMIT, data=data, content_type="application/json", headers=auth("police"))
    problem = assert_problem(response, 400, field="body")
    assert problem["code"] == "malformed-json"
    assert intake.submissions == []


def test_body_that_is_not_json_is_415(client, intake, auth, body):
    response = client.post(SUBMIT, data=json.dumps(body), content_type="text/plain", headers=auth("police"))
    assert_problem(response, 415, field="body")
    assert intake.submissions == []


@pytest.mark.parametrize("payload", [[1, 2], "text", 42])
def test_json_body_that_is_not_an_object_is_422(client, intake, auth, payload):
    response = client.post(SUBMIT, json=payload, headers=auth("police"))
    assert_problem(response, 422, field="body")
    assert intake.submissions == []


@pytest.mark.parametrize("mutate,field", [
    (lambda b: b.pop("urgency"), "urgency"),
    (lambda b: b["survivor"].pop("nationality"), "survivor.nationality"),
    (lambda b: b["consent"].pop("basis"), "consent.basis"),
    (lambda b: b.update(children="two"), "children"),
    (lambda b: b["survivor"].update(birth_year="1998-01-01"), "survivor.birth_year"),
    (lambda b: b.update(needs=["shelter", 7]), "needs.1"),
    (lambda b: b.update(hair_colour="brown"), "hair_colour"),
    (lambda b: b["officer"].update(rank="captain"), "officer.rank"),
    (lambda b: b["survivor"].update(phone="0750 123 4567"), "survivor.phone"),
    (lambda b: b["survivor"].update(nationality="XX"), "survivor.nationality"),
    (lambda b: b["consent"].update(given=False), "consent.given"),
    (lambda b: b.update(identified_on="2999-01-01"), "identified_on"),
])
def test_invalid_submission_is_422_naming_the_field(client, intake, auth, body, mutate, field):
    mutate(body)
    response = client.post(SUBMIT, json=body, headers=auth("police"))
    problem = assert_problem(response, 422, field=field)
    assert problem["code"] == "invalid-input"
    assert field in problem["detail"]
    assert intake.submissions == [] and intake.references == []


def test_error_messages_do_not_echo_personal_data(client, auth, body):
    body["survivor"]["phone"] = "Amina's phone"
    response = client.post(SUBMIT, json=body, headers=auth("police"))
    assert_problem(response, 422, field="survivor.phone")
    assert "Amina" not in response.get_data(as_text=True)


def test_oversized_body_is_413(client, intake, auth, body):
    body["circumstances"] = "x" * (64 * 1024)
    response = client.post(SUBMIT, json=body, headers=auth("police"))
    assert_problem(response, 413, field="body")
    assert intake.submissions == []


def test_body_just_under_the_limit_is_read(client, intake, auth, body):
    """Control for the 413 test: a large body under 64 KiB is parsed (and then validated)."""
    body["circumstances"] = "x" * 60000
    response = client.post(SUBMIT, json=body, headers=auth("police"))
    assert_problem(response, 422, field="circumstances")   # too long for the field, not the gateway


@pytest.mark.parametrize("exc,status", [
    (kombu.exceptions.OperationalError("connection refused"), 503),
    (ConnectionRefusedError(111, "refused"), 503),
])
def test_broker_away_at_submission_is_503(client, intake, auth, body, exc, status):
    intake.fail_with = exc
    response = client.post(SUBMIT, json=body, headers=auth("police"))
    assert_problem(response, status)
    assert response.headers["Retry-After"] == "5"


# --- service errors through the gateway --------------------------------------------------------------

SERVICE_CASES = [
    (se.NotFound("no referral", field="reference"), 404, "not-found"),
    (se.Forbidden("role may not"), 403, "forbidden"),
    (se.IllegalTransition("a referral that is closed cannot become withdrawn", field="status"), 409,
     "illegal-transition"),
    (se.Conflict("duplicate"), 409, "conflict"),
    (se.InvalidInput("unknown status", field="status"), 422, "invalid-input"),
    (RpcTimeout(5), 503, "service-timeout"),
    (UnknownService("referral"), 503, "service-unavailable"),
    (RemoteError("KeyError", "boom"), 502, "service-error"),
    (se.CallerRefused("the caller's signature does not verify", field="caller"), 502,
     "caller-refused"),
    (RuntimeError("bug with Amina K. inside"), 500, "internal-error"),
]


@pytest.mark.parametrize("exc,status,code", SERVICE_CASES, ids=[type(c[0]).__name__ for c in SERVICE_CASES])
def test_service_exceptions_map_to_http(client, rpc, auth, exc, status, code):
    rpc.responses[("referral", "get_status")] = exc
    response = client.get(STATUS, headers={**auth("police"), "X-Request-ID": "req-abcdef12"})
    problem = assert_problem(response, status)
    assert problem["code"] == code
    assert problem["correlation_id"] == "req-abcdef12"
    assert ("Retry-After" in response.headers) == (status == 503)
    if status == 503:
        assert response.headers["Retry-After"] == "5"
    assert "Amina" not in response.get_data(as_text=True)


def test_withdraw_illegal_transition_is_409(client, rpc, auth):
    rpc.responses[("referral", "withdraw")] = se.IllegalTransition(
        "a referral that is admitted cannot become withdrawn", field="status")
    response = client.post(f"/api/v1/referrals/{REF}/withdraw",
                           json={"reason_code": "other", "reason": "changed mind"},
                           headers=auth("police"))
    problem = assert_problem(response, 409, field="status")
    assert problem["code"] == "illegal-transition"
    assert "admitted" in problem["detail"]


# --- decisions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"decision": "decline"},
    {"decision": "decline", "reason": "no family room"},  # a note alone: the API before codes
    {"decision": "decline", "reason_code": "no room"},
    {"decision": "decline", "reason_code": ""},
    {"decision": "accept", "reason_code": "duplicate"},
])
def test_a_decline_without_a_known_reason_code_is_422_naming_reason_code(client, rpc, auth, body):
    response = client.post(DECISION, json=body, headers=auth("shelter"))
    assert_problem(response, 422, field="reason_code")
    assert rpc.calls == []


def test_decline_with_empty_note_is_422_naming_reason(client, rpc, auth):
    response = client.post(DECISION, json={"decision": "decline", "reason_code": "duplicate",
                                           "reason": ""}, headers=auth("shelter"))
    assert_problem(response, 422, field="reason")
    assert rpc.calls == []


@pytest.mark.parametrize("body", [{}, {"reason": "changed mind"}, {"reason_code": "bored"},
                                  {"reason_code": "no_bed_in_group"}])
def test_a_withdrawal_without_a_known_reason_code_is_422_naming_reason_code(client, rpc, auth,
                                                                            body):
    response = client.post(f"/api/v1/referrals/{REF}/withdraw", json=body, headers=auth("police"))
    assert_problem(response, 422, field="reason_code")
    assert rpc.calls == []


def test_decline_with_reason_reaches_the_shelter_service(client, rpc, auth):
    rpc.responses[("shelter", "decide")] = lambda **kw: {"reference": kw["reference"], "status": "declined",
                                                         "decided_at": "2026-11-20T10:00:00Z"}
    response = client.post(DECISION, json={"decision": "decline", "reason_code": "outside_mandate",
                                           "reason": "no family room"},
                           headers={**auth("shelter", agency="erbil-shelter", user="staff-1"),
                                    "X-Request-ID": "req-decline-1"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "declined"
    assert rpc.calls == [("shelter", "decide", {
        "caller": {"user": "staff-1", "role": "shelter", "agency": "erbil-shelter", "correlation_id": ANY},
        "reference": REF, "decision": "decline", "reason_code": "outside_mandate",
        "reason": "no family room", "correlation_id": "req-decline-1"})]


@pytest.mark.parametrize("payload,field", [({"decision": "maybe"}, "decision"), ({}, "decision"),
                                           ({"decision": "accept", "note": "x"}, "note")])
def test_bad_decision_body(client, rpc, auth, payload, field):
    response = client.post(DECISION, json=payload, headers=auth("shelter"))
    assert_problem(response, 422, field=field)
    assert rpc.calls == []


@pytest.mark.parametrize("body,field", [
    ({"decision": "refer_on", "reason": "language"}, "to"),
    ({"decision": "refer_on", "to": "provider-b"}, "reason"),
    ({"decision": "refer_on", "to": "provider-b", "reason": "whim"}, "reason"),
    ({"decision": "refer_on", "to": "provider-b", "reason": "language",
      "reason_code": "duplicate"}, "reason_code"),
    ({"decision": "accept", "to": "provider-b"}, "to"),
])
def test_a_refer_on_names_a_provider_and_a_coded_reason(client, rpc, auth, body, field):
    response = client.post(DECISION, json=body, headers=auth("shelter"))
    assert_problem(response, 422, field=field)
    assert rpc.calls == []


def test_a_refer_on_reaches_the_shelter_service_with_to_and_the_code(client, rpc, auth):
    rpc.responses[("shelter", "decide")] = lambda **kw: {
        "reference": kw["reference"], "status": "referred_on",
        "decided_at": "2026-11-20T10:00:00Z", "held_by": kw["to"]}
    response = client.post(DECISION, json={"decision": "refer_on", "to": "provider-b",
                                           "reason": "closer_to_family"},
                           headers={**auth("shelter", agency="erbil-shelter", user="staff-1"),
                                    "X-Request-ID": "req-refer-1"})
    assert response.status_code == 200
    assert response.get_json()["held_by"] == "provider-b"
    assert rpc.calls == [("shelter", "decide", {
        "caller": {"user": "staff-1", "role": "shelter", "agency": "erbil-shelter", "correlation_id": ANY},
        "reference": REF, "decision": "refer_on", "to": "provider-b",
        "reason_code": "closer_to_family", "correlation_id": "req-refer-1"})]


def test_the_unplaced_list_is_for_admins(client, rpc, auth):
    rpc.responses[("referral", "list_unplaced")] = {"items": [], "next_cursor": None}
    assert client.get("/api/v1/referrals/unplaced", headers=auth("admin")).status_code == 200
    for role in ("police", "shelter", "legal", "court", "analyst"):
        assert client.get("/api/v1/referrals/unplaced", headers=auth(role)).status_code == 403


def test_capacity_must_be_a_strict_integer(client, rpc, auth):
    response = client.put("/api/v1/shelters/erbil-1/capacity",
                          json={"population_group": "women", "capacity": "12"}, headers=auth("shelter"))
    assert_problem(response, 422, field="capacity")
    assert rpc.calls == []


def test_capacity_conflict_is_409(client, rpc, auth):
    rpc.responses[("shelter", "set_capacity")] = se.Conflict("capacity 1 is below the 3 beds", field="capacity")
    response = client.put("/api/v1/shelters/erbil-1/capacity",
                          json={"population_group": "women", "capacity": 1}, headers=auth("admin"))
    assert assert_problem(response, 409, field="capacity")["code"] == "conflict"
    assert rpc.calls[0][2]["facility"] == "erbil-1"


# --- queries --------------------------------------------------------------------------------------

def test_list_referrals_passes_validated_query(client, rpc, auth):
    rpc.responses[("referral", "list_referrals")] = {"items": [], "next_cursor": None}
    response = client.get("/api/v1/referrals?status=accepted&limit=10", headers=auth("legal"))
    assert response.status_code == 200
    assert rpc.calls[0][2] == {"caller": {"user": "legal-user", "role": "legal", "agency": "legal-agency", "correlation_id": ANY},
                               "status": "accepted", "limit": 10}


@pytest.mark.parametrize("query,field", [("status=bogus", "status"), ("limit=0", "limit"),
                                         ("limit=ten", "limit"), ("sort=asc", "sort")])
def test_list_referrals_bad_query_is_422(client, rpc, auth, query, field):
    response = client.get(f"/api/v1/referrals?{query}", headers=auth("police"))
    assert_problem(response, 422, field=field)
    assert rpc.calls == []


def test_incoming_all_means_no_status_filter(client, rpc, auth):
    rpc.responses[("shelter", "list_incoming")] = {"items": [], "next_cursor": None}
    assert client.get("/api/v1/shelter/incoming?status=all", headers=auth("shelter")).status_code == 200
    assert client.get("/api/v1/shelter/incoming", headers=auth("shelter")).status_code == 200
    assert [c[2]["status"] for c in rpc.calls] == [None, "received"]


# --- every error is problem+json ---------------------------------------------------------------------

def test_every_error_response_is_problem_json(client, rpc, auth, body):
    rpc.responses[("referral", "get_status")] = se.NotFound("no referral", field="reference")
    responses = [
        client.get(STATUS),                                                        # 401
        client.post(SUBMIT, json=body, headers=auth("shelter")),                   # 403
        client.get(STATUS, headers=auth("police")),                                # 404 from service
        client.get("/api/v1/nowhere", headers=auth("police")),                     # 404 route
        client.delete(SUBMIT, headers=auth("police")),                             # 405
        client.post(SUBMIT, data="{", content_type="application/json", headers=auth("police")),  # 400
        client.post(SUBMIT, data="x", content_type="text/plain", headers=auth("police")),        # 415
        client.post(SUBMIT, json={}, headers=auth("police")),                      # 422
    ]
    assert [r.status_code for r in responses] == [401, 403, 404, 404, 405, 400, 415, 422]
    for response in responses:
        assert response.mimetype == PROBLEM
        assert response.get_json()["status"] == response.status_code


def test_request_id_is_generated_when_missing_or_malformed(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32 and generated != client.get("/healthz").headers["X-Request-ID"]
    bad = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert bad != "bad id with spaces" and len(bad) == 32


# --- health and OpenAPI ----------------------------------------------------------------------------

def test_healthz_needs_no_token(client, rpc):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert rpc.calls == []


def test_responses_are_not_cached(client):
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"


def test_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)   # raises on an invalid OpenAPI document
    assert spec["openapi"].startswith("3.")


def _openapi_path(path: str) -> str:
    import re
    return "/api/v1" + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path)


@pytest.mark.parametrize("endpoint", api.ENDPOINTS, ids=[e.name for e in api.ENDPOINTS])
def test_openapi_has_an_operation_for_every_endpoint(client, endpoint):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"][_openapi_path(endpoint.path)][endpoint.method.lower()]
    assert operation["operationId"] == endpoint.name
    assert str(endpoint.status) in operation["responses"]
    for code in endpoint.errors:
        assert PROBLEM in operation["responses"][str(code)]["content"]
    if endpoint.upload:  # the form's fields and the file part
        body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert "file" in body["required"] and body["properties"]["file"]["format"] == "binary"
    elif endpoint.body is not None:
        assert "application/json" in operation["requestBody"]["content"]


@pytest.mark.parametrize("endpoint", [e for e in api.ENDPOINTS if e.body is not None],
                         ids=[e.name for e in api.ENDPOINTS if e.body is not None])
def test_every_operation_with_a_body_documents_413_and_415(client, endpoint):
    """Any body may be too large or not JSON: the gateway answers those before the view."""
    spec = client.get("/api/v1/openapi.json").get_json()
    responses = spec["paths"][_openapi_path(endpoint.path)][endpoint.method.lower()]["responses"]
    assert {"413", "415"} <= set(responses)


def test_an_anonymised_referral_file_is_as_its_schema_says(client, rpc, auth):
    """What the referral service answers for a file retention emptied (submission null,
    anonymised true) passes the documented response schema, as schemathesis checks it."""
    from openapi_schema_validator import OAS30Validator, OAS31Validator
    rpc.responses[("referral", "get_file")] = {
        "reference": REF, "status": "closed", "referring_agency": "erbil-police",
        "submitted_at": "2026-01-02T03:04:05Z", "population_group": "women", "beds_needed": 1,
        "submission": None, "anonymised": True}
    response = client.get(f"/api/v1/referrals/{REF}", headers=auth("shelter"))
    assert response.status_code == 200
    spec = client.get("/api/v1/openapi.json").get_json()
    content = spec["paths"]["/api/v1/referrals/{reference}"]["get"]["responses"]["200"]["content"]
    schema = {**content["application/json"]["schema"], "components": spec["components"]}
    validator = OAS31Validator if spec["openapi"].startswith("3.1") else OAS30Validator
    errors = [e.message for e in validator(schema).iter_errors(response.get_json())]
    assert errors == []


def test_openapi_operations_match_the_routes(app):
    """Every documented API operation is a real route, and every API route is documented."""
    spec = openapi_spec(app)
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops
                  if p.startswith("/api/v1/") and p != "/api/v1/openapi.json"}
    routed = {(m, _openapi_path(r.rule[len("/api/v1"):])) for r in app.url_map.iter_rules()
              for m in r.methods - {"HEAD", "OPTIONS"}
              if r.rule.startswith("/api/v1/") and r.rule != "/api/v1/openapi.json"}
    assert documented == routed
    assert len(documented) == len(api.ENDPOINTS)


def test_openapi_documents_the_submission_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    survivor = next(s for name, s in schemas.items() if name.startswith("Survivor"))
    assert {"name", "sex", "nationality"} <= set(survivor["required"])
    assert survivor.get("additionalProperties") is False


def openapi_spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()
