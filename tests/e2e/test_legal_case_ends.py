"""A legal case reaches its ends (issue 21 part 1; docs/decisions/0050), over real processes and
HTTP on SQLite and on PostgreSQL: closed with a coded reason and refused a second time; reopened
with a coded reason, the referral service's legal timeline (the source of its legal hold)
showing the reopening; the lawyer reassigned with history; and a court case's closing cancelling
its hearings still ahead, so that the shelter's accompaniment task of one becomes not needed.
Bad input answers 4xx naming the field and changes nothing; the events carry codes only.

One network per database (own vhost); the legal service sends reminders at once for a hearing
within 72 hours (``REFNET_REMINDER_POLL_SECONDS`` = 0.3), which opens the shelter's task.
"""

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from refnet.harness.polling import poll
from tests.e2e.conftest import CANONICAL, ON_BOTH_DATABASES, network_on, submit
from tests.e2e.conftest import ok as _ok, refused as _refused

COURT = "erbil-criminal-court"
NOTE = "Strategy: Darya-Testperson will testify about the recruiter"
UTC = timezone.utc


@pytest.fixture(scope="module", params=ON_BOTH_DATABASES)
def net(request, tmp_path_factory):
    yield from network_on(request.param, tmp_path_factory, "legal-ends",
                          {"REFNET_REMINDER_POLL_SECONDS": "0.3"}, tap_key="legal.#")


def _case(net, tokens, lawyer="lawyer.one"):
    """An accepted referral (the shelter's resident) with a legal case and a note."""
    police, shelter, legal = tokens["police"], tokens["shelter"], tokens["legal"]
    reference = submit(net, police).json()["reference"]
    net.wait_status(reference, "received", police)
    _ok(net.api("POST", f"/referrals/{reference}/decision", shelter, json={"decision": "accept"}))
    net.wait_status(reference, "bed_held", police)
    poll(lambda: reference in [e["reference"] for e in net.api("GET", "/legal/eligible", legal).json()],
         "eligibility")
    case_id = _ok(net.api("POST", "/legal/cases", legal, json={"reference": reference,
                                                                "lawyer": lawyer}), 201)["case_id"]
    _ok(net.api("POST", f"/legal/cases/{case_id}/notes", legal, json={"text": NOTE}), 201)
    return reference, case_id


def _court_case(net, legal, case_id):
    return _ok(net.api("POST", f"/legal/cases/{case_id}/court-cases", legal, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "victim",
        "charges": [{"statute": "law-6-2018"}]}), 201)["court_case_id"]


def _legal_statuses(net, reference, police):
    timeline = net.api("GET", f"/referrals/{reference}/status", police).json()["timeline"]
    return [e["status"] for e in timeline if e.get("kind") == "legal"]


@pytest.fixture
def tokens(net):
    return {"police": net.token("police", agency=f"tip-unit-{uuid.uuid4().hex[:8]}"),
            "shelter": net.token("shelter"), "legal": net.token("legal", user="lawyer.lead"),
            "court": net.token("court", agency=COURT)}


def test_a_case_is_closed_and_reopened_with_reasons_and_the_hold_follows(net, tokens):
    police, legal = tokens["police"], tokens["legal"]
    reference, case_id = _case(net, tokens)
    path = f"/legal/cases/{case_id}"
    court_case_id = _court_case(net, legal, case_id)

    # not while its court case is open; not without a reason, or with one that is no closure's
    for body, status, field in (({"reason_code": "proceedings_concluded"}, 409, "court_cases"),
                                ({}, 422, "reason_code"),
                                ({"reason_code": "appeal_lodged"}, 422, "reason_code")):
        before = _ok(net.api("GET", path, legal))
        _refused(net.api("POST", f"{path}/close", legal, json=body), status, field)
        assert _ok(net.api("GET", path, legal)) == before
    moved = _ok(net.api("POST", f"/court-cases/{court_case_id}/status", legal,
                        json={"status": "closed"}))
    assert moved["hearings_cancelled"] == 0  # it had none

    closed = _ok(net.api("POST", f"{path}/close", legal, json={"reason_code": "survivor_declined_help"}))
    assert (closed["status"], closed["closure_reason"]) == ("closed", "survivor_declined_help")
    assert closed["closed_at"] and closed["status_history"][-1]["reason_code"] == "survivor_declined_help"

    # closing it twice: 409 naming the status, nothing changed
    before = _ok(net.api("GET", path, legal))
    _refused(net.api("POST", f"{path}/close", legal, json={"reason_code": "lost_contact"}), 409, "status")
    assert _ok(net.api("GET", path, legal)) == before
    poll(lambda: _legal_statuses(net, reference, police)[-1:] == ["legal_case_closed"],
         "the closing on the referral's legal timeline")

    # reopening: a known reason only; then open again, the closing cleared, the history kept
    _refused(net.api("POST", f"{path}/reopen", legal, json={"reason_code": "lost_contact"}), 422,
             "reason_code")
    assert _ok(net.api("GET", path, legal)) == before
    reopened = _ok(net.api("POST", f"{path}/reopen", legal, json={"reason_code": "appeal_lodged"}))
    assert (reopened["status"], reopened["closed_at"], reopened["closure_reason"]) == ("open", None, None)
    assert [(h["from"], h["to"], h["reason_code"], h["by"]) for h in reopened["status_history"]] == [
        (None, "open", None, "lawyer.lead"),
        ("open", "closed", "survivor_declined_help", "lawyer.lead"),
        ("closed", "open", "appeal_lodged", "lawyer.lead")]
    detail = _ok(net.api("GET", path, legal))
    assert detail["status_history"] == reopened["status_history"] and detail["notes"]
    before = detail
    _refused(net.api("POST", f"{path}/reopen", legal, json={"reason_code": "new_evidence"}), 409, "status")
    assert _ok(net.api("GET", path, legal)) == before

    # the referral service holds the file again: its legal timeline (the hold's source) has the
    # reopening after the closing, for the police while the survivor lets them see status
    poll(lambda: _legal_statuses(net, reference, police)[-2:] == ["legal_case_closed",
                                                                  "legal_case_reopened"],
         "the reopening on the referral's legal timeline")

    # the events carry codes: v2 of the closing says why, the reopening too; no note, no name
    events = [m for m in net.tap.drain() if m["payload"].get("reference") == reference]
    [closing] = [m for m in events if m["type"] == "legal.case_closed"]
    assert (closing["version"], closing["payload"]["reason_code"]) == (2, "survivor_declined_help")
    [reopening] = [m for m in events if m["type"] == "legal.case_reopened"]
    assert (reopening["version"], reopening["payload"]["reason_code"]) == (1, "appeal_lodged")
    assert set(reopening["payload"]) == {"reference", "case_id", "reopened_at", "reason_code"}
    text = json.dumps(events)
    for secret in (NOTE, "Darya", CANONICAL["survivor"]["name"], CANONICAL["survivor"]["phone"]):
        assert secret not in text

    # each change and each refusal is in the legal service's audit trail, by the lawyer
    trail = _ok(net.api("GET", "/audit", net.token("admin"),
                        params={"service": "legal", "object": f"legal_case:{case_id}"}))
    done = [(e["action"], e["outcome"], e["actor"]) for e in trail]
    assert {("legal_case.close", "ok", "lawyer.lead"), ("legal_case.reopen", "ok", "lawyer.lead"),
            ("legal_case.close", "refused", "lawyer.lead"),
            ("legal_case.reopen", "refused", "lawyer.lead")} <= set(done), done
    # and no process logged the note or the survivor's name or phone
    logs = net.all_logs()
    for secret in (NOTE, "Darya", CANONICAL["survivor"]["name"], CANONICAL["survivor"]["phone"]):
        assert secret not in logs


def test_the_lawyer_is_reassigned_with_history_and_bad_input_changes_nothing(net, tokens):
    legal = tokens["legal"]
    _, case_id = _case(net, tokens, lawyer="lawyer.one")
    path = f"/legal/cases/{case_id}"
    before = _ok(net.api("GET", path, legal))
    for body, status, field in (
            ({"lawyer": "lawyer.one", "reason_code": "caseload"}, 409, "lawyer"),  # the same
            ({"lawyer": "Jane Doe", "reason_code": "caseload"}, 422, "lawyer"),    # a name
            ({"lawyer": "lawyer.two", "reason_code": "holiday"}, 422, "reason_code"),
            ({"lawyer": "lawyer.two"}, 422, "reason_code")):
        _refused(net.api("POST", f"{path}/lawyer", legal, json=body), status, field)
        assert _ok(net.api("GET", path, legal)) == before
    assert net.api("POST", f"/legal/cases/{'f' * 32}/lawyer", legal,
                   json={"lawyer": "lawyer.two", "reason_code": "leave"}).status_code == 404
    assert net.api("POST", f"{path}/lawyer", tokens["police"],
                   json={"lawyer": "lawyer.two", "reason_code": "leave"}).status_code == 403

    moved = _ok(net.api("POST", f"{path}/lawyer", legal,
                        json={"lawyer": "lawyer.two", "reason_code": "conflict_of_interest"}))
    assert moved["lawyer"] == "lawyer.two"
    history = [(h["from"], h["to"], h["reason_code"], h["by"]) for h in moved["lawyer_history"]]
    assert history == [(None, "lawyer.one", None, "lawyer.lead"),
                       ("lawyer.one", "lawyer.two", "conflict_of_interest", "lawyer.lead")]
    detail = _ok(net.api("GET", path, legal))
    assert detail["lawyer"] == "lawyer.two" and detail["lawyer_history"] == moved["lawyer_history"]

    # a closed case is not handed on (reopen it first)
    _ok(net.api("POST", f"{path}/close", legal, json={"reason_code": "transferred_to_other_counsel"}))
    before = _ok(net.api("GET", path, legal))
    _refused(net.api("POST", f"{path}/lawyer", legal,
                     json={"lawyer": "lawyer.three", "reason_code": "leave"}), 409, "status")
    assert _ok(net.api("GET", path, legal)) == before


def _baghdad(dt: datetime) -> str:
    return (dt + timedelta(hours=3)).replace(tzinfo=None).isoformat(timespec="seconds")


def test_a_court_case_closed_cancels_its_hearings_ahead_and_the_shelters_task(net, tokens):
    police, shelter, legal, court = (tokens[r] for r in ("police", "shelter", "legal", "court"))
    reference, case_id = _case(net, tokens)
    court_case_id = _court_case(net, legal, case_id)
    now = datetime.now(UTC).replace(microsecond=0)
    soon, later = (_ok(net.api("POST", f"/court-cases/{court_case_id}/hearings", court, json={
        "starts_at": _baghdad(now + delta), "purpose": "Testimony", "attendance_required": True}),
        201)["hearing_id"] for delta in (timedelta(days=2), timedelta(days=20)))

    # the hearing within 72 hours is reminded at once: the shelter's accompaniment task opens
    def task(status):
        listed = _ok(net.api("GET", "/tasks", shelter, params={"status": status}))["items"]
        return [t for t in listed if t["reference"] == reference and t["kind"] == "accompaniment"]
    (opened,) = poll(lambda: task("to_arrange"), "the accompaniment task", timeout=60)

    moved = _ok(net.api("POST", f"/court-cases/{court_case_id}/status", court, json={"status": "closed"}))
    assert (moved["status"], moved["hearings_cancelled"]) == ("closed", 2)
    hearings = {h["hearing_id"]: h["status"]
                for h in _ok(net.api("GET", f"/court-cases/{court_case_id}", court))["hearings"]}
    assert hearings == {soon: "cancelled", later: "cancelled"}

    # the shelter's task is not needed any more; the police timeline shows both cancelled
    (dropped,) = poll(lambda: task("not_needed"), "the task not needed", timeout=60)
    assert dropped["id"] == opened["id"]
    poll(lambda: _legal_statuses(net, reference, police).count("hearing_cancelled") == 2,
         "the cancellations on the referral's legal timeline")
    # and its legal case may close now
    _ok(net.api("POST", f"/legal/cases/{case_id}/close", legal, json={"reason_code": "no_legal_remedy"}))
