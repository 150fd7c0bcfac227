"""Interpreters (issue 21), over real processes on SQLite and PostgreSQL: shelter staff record
a resident's languages and that she needs an interpreter, which requests one for the
psychological screening and the rights briefing, and book them; the legal team books one for a
hearing, which the court sees on the hearing and a postponement carries to the new time. Bad
input is a 4xx naming the field and changes nothing.
"""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from refnet import demo
from tests.e2e.conftest import ON_BOTH_DATABASES, network_on, submit
from tests.e2e.conftest import ok as _ok, refused as _refused
from tests.e2e.test_legal_flow import COURT, _accepted_referral, _baghdad

FACILITY = demo.FACILITY["id"]


@pytest.fixture(scope="module", params=ON_BOTH_DATABASES)
def net(request, tmp_path_factory):
    yield from network_on(request.param, tmp_path_factory, "interpreters")


def test_the_shelter_plans_an_interpreter_for_the_screening_and_the_rights_briefing(net):
    police = net.token("police", agency=f"tip-int-{uuid.uuid4().hex[:6]}")
    shelter = net.token("shelter")
    reference = submit(net, police).json()["reference"]
    net.wait_status(reference, "received", police)
    _ok(net.api("POST", f"/referrals/{reference}/decision", shelter, json={"decision": "accept"}))
    net.wait_status(reference, "bed_held", police)
    plan_id = _ok(net.api("POST", f"/shelters/{FACILITY}/admissions", shelter,
                          json={"reference": reference, "case_manager": "cm.one"}), 201)["plan_id"]
    plan_path = f"/shelter/plans/{plan_id}"

    for body, field in (({"languages": ["Tigrinya"], "interpreter_needed": True}, "languages.0"),
                        ({"languages": [], "interpreter_needed": True}, "languages"),
                        ({"languages": ["ti"]}, "interpreter_needed")):
        _refused(net.api("PUT", f"{plan_path}/languages", shelter, json=body), 422, field)
    assert net.api("PUT", f"{plan_path}/languages", police,
                   json={"languages": ["ti"], "interpreter_needed": True}).status_code == 403
    unchanged = _ok(net.api("GET", plan_path, shelter))
    assert unchanged["languages"] == [] and unchanged["interpreters"] == []

    plan = _ok(net.api("PUT", f"{plan_path}/languages", shelter,
                       json={"languages": ["ti", "ar"], "interpreter_needed": True}))
    assert plan["languages"] == ["ti", "ar"] and plan["interpreter_needed"] is True
    assert {(b["occasion"], b["language"], b["status"]) for b in plan["interpreters"]} == {
        ("psychological_screening", "ti", "requested"), ("legal_rights_briefing", "ti", "requested")}

    screening = f"{plan_path}/interpreters/psychological_screening"
    _refused(net.api("PUT", f"{plan_path}/interpreters/hearing", shelter,
                     json={"language": "ti", "status": "booked"}), 404, "occasion")
    _refused(net.api("PUT", screening, shelter, json={"language": "ti", "status": "confirmed"}),
             422, "status")
    _refused(net.api("PUT", screening, shelter, json={"language": "ti", "status": "done"}),
             409, "status")  # requested, never booked: not done
    booked = _ok(net.api("PUT", screening, shelter, json={"language": "ti", "status": "booked"}))
    assert booked["status"] == "booked" and booked["occasion"] == "psychological_screening"
    _ok(net.api("PUT", screening, shelter, json={"language": "ti", "status": "done"}))
    _refused(net.api("PUT", screening, shelter, json={"language": "ar", "status": "booked"}),
             409, "status")  # done is final

    # no longer needed: the open booking is called off, the one done stays done
    plan = _ok(net.api("PUT", f"{plan_path}/languages", shelter,
                       json={"languages": ["ti", "ar"], "interpreter_needed": False}))
    assert {(b["occasion"], b["status"]) for b in plan["interpreters"]} == {
        ("psychological_screening", "done"), ("legal_rights_briefing", "not_needed")}


def test_the_legal_team_books_a_hearing_interpreter_the_court_sees_and_a_postponement_carries(net):
    agency = f"tip-int-{uuid.uuid4().hex[:6]}"
    police, shelter, lawyer = net.token("police", agency=agency), net.token("shelter"), net.token("legal")
    court = net.token("court", agency=COURT)
    reference = _accepted_referral(net, police, shelter)
    case_id = _ok(net.api("POST", "/legal/cases", lawyer,
                          json={"reference": reference, "lawyer": "lawyer.demo"}), 201)["case_id"]
    court_case_id = _ok(net.api("POST", f"/legal/cases/{case_id}/court-cases", lawyer, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "victim",
        "charges": [{"statute": "law-6-2018"}]}), 201)["court_case_id"]
    starts = datetime.now(timezone.utc) + timedelta(days=20)
    hearing = _ok(net.api("POST", f"/court-cases/{court_case_id}/hearings", lawyer, json={
        "starts_at": _baghdad(starts), "time_zone": "Asia/Baghdad", "purpose": "Testimony",
        "attendance_required": True}), 201)
    assert hearing["interpreter"] is None
    path = f"/hearings/{hearing['hearing_id']}/interpreter"

    _refused(net.api("PUT", path, lawyer, json={"language": "Tigrinya", "status": "requested"}),
             422, "language")
    assert net.api("PUT", path, court, json={"language": "ti", "status": "requested"}).status_code == 403
    assert net.api("PUT", f"/hearings/{uuid.uuid4().hex}/interpreter", lawyer,
                   json={"language": "ti", "status": "requested"}).status_code == 404
    booked = _ok(net.api("PUT", path, lawyer, json={"language": "ti", "status": "booked"}))
    assert booked["interpreter"] == {"language": "ti", "status": "booked"}

    day = _baghdad(starts)[:10]
    [seen] = [h for h in _ok(net.api("GET", f"/hearings?from={day}&to={day}", court))
              if h["hearing_id"] == hearing["hearing_id"]]
    assert seen["interpreter"] == {"language": "ti", "status": "booked"}
    [resident] = [h for h in _ok(net.api("GET", f"/hearings?from={day}&to={day}", shelter))
                  if h["hearing_id"] == hearing["hearing_id"]]
    assert "interpreter" not in resident  # the shelter's slice: date, court, attendance

    moved = _ok(net.api("POST", f"/hearings/{hearing['hearing_id']}/outcome", court, json={
        "outcome": "postponed", "new_starts_at": _baghdad(starts + timedelta(days=7)),
        "time_zone": "Asia/Baghdad"}))
    assert moved["next_hearing"]["interpreter"] == {"language": "ti", "status": "requested"}
    _refused(net.api("PUT", path, lawyer, json={"language": "ti", "status": "done"}), 409,
             "hearing_id")  # the postponed hearing's booking is over
