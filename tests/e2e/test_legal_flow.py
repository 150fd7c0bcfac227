"""Legal representation end to end, over real processes and HTTP: a case is opened, a court case
filed, a hearing scheduled; the referring police see the court status and the hearing date; the
shelter sees the hearing and then, when the legal service's clock reaches 72 hours before it,
the reminder as an accompaniment task; a court records the outcome. Then every legal endpoint
with every role.

The network here is the module's own (own vhost), because the legal service runs with a test
clock: ``REFNET_TEST_CLOCK_OFFSET_FILE`` names a file of seconds the legal service adds to its
reminder clock at every tick (``REFNET_REMINDER_POLL_SECONDS`` = 0.3), so the test moves time
forward by writing that file. Everything is polled with deadlines; nothing is timed.
"""

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import icalendar
import kombu
import kombu.exceptions
import pytest

from tests.e2e.conftest import CANONICAL, Tap, submit
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network
from refnet.harness.polling import poll

UTC = timezone.utc
COURT = "erbil-criminal-court"
NOTE = "Strategy: ask for testimony by video link; employer's lawyer is aggressive"


@pytest.fixture(scope="module")
def legal_net(tmp_path_factory):
    name, uri = create_vhost("refnet-e2e-legal")
    workdir = tmp_path_factory.mktemp("legal-network")
    clock_file = workdir / "clock-offset"
    clock_file.write_text("0")
    connection = kombu.Connection(uri)
    exchange = kombu.Exchange("refnet.events", type="topic", durable=True)
    queue = kombu.Queue(f"tap-{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="legal.#",
                        durable=False, auto_delete=False)
    queue(connection.channel()).declare()
    net = Network(workdir, uri, extra_env={"REFNET_TEST_CLOCK_OFFSET_FILE": str(clock_file),
                                           "REFNET_REMINDER_POLL_SECONDS": "0.3"})
    net.clock_file = clock_file
    net.tap = Tap(connection, queue)
    try:
        net.prepare()
        net.start()
        net.wait_ready()
        net.seed_facility()
        yield net
    finally:
        net.stop()
        try:  # deleting the vhost takes the queue too; a broker restarted meanwhile must not
            queue(connection.channel()).delete()  # leave the vhost behind
        except (OSError, KeyError, kombu.exceptions.OperationalError):
            pass
        connection.release()
        delete_vhost(name)


def _accepted_referral(net, police, shelter) -> str:
    reference = submit(net, police).json()["reference"]
    net.wait_status(reference, "received", police)
    r = net.api("POST", f"/referrals/{reference}/decision", shelter, json={"decision": "accept"})
    assert r.status_code == 200, r.text
    net.wait_status(reference, "bed_held", police)  # accepting holds a bed
    lawyer = net.token("legal")
    poll(lambda: reference in [e["reference"] for e in net.api("GET", "/legal/eligible", lawyer).json()],
         "eligibility")
    return reference


def _baghdad(dt: datetime) -> str:
    return (dt + timedelta(hours=3)).replace(tzinfo=None).isoformat(timespec="seconds")


def test_a_hearing_reaches_police_and_shelter_and_the_court_records_the_outcome(legal_net):
    net = legal_net
    agency = f"tip-unit-{uuid.uuid4().hex[:8]}"
    police, shelter, lawyer = net.token("police", agency=agency), net.token("shelter"), net.token("legal")
    court, other_court = net.token("court", agency=COURT), net.token("court", agency="duhok-criminal-court")
    reference = _accepted_referral(net, police, shelter)

    case = net.api("POST", "/legal/cases", lawyer, json={"reference": reference, "lawyer": "lawyer.demo"})
    assert case.status_code == 201, case.text
    case_id = case.json()["case_id"]
    assert net.api("POST", f"/legal/cases/{case_id}/notes", lawyer, json={"text": NOTE}).status_code == 201
    filed = net.api("POST", f"/legal/cases/{case_id}/court-cases", lawyer, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "victim",
        "charges": [{"statute": "law-6-2018"}]})
    assert filed.status_code == 201, filed.text
    court_case_id = filed.json()["court_case_id"]

    # bad input: a verdict before filing, an unknown zone, an unknown court case; nothing changes
    verdict = net.api("POST", f"/court-cases/{court_case_id}/status", court,
                      json={"status": "verdict", "verdict": "convicted"})
    assert verdict.status_code == 409 and verdict.json()["code"] == "illegal-transition"
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    zone = net.api("POST", f"/court-cases/{court_case_id}/hearings", court, json={
        "starts_at": _baghdad(starts), "time_zone": "Asia/Erbil-Nowhere", "purpose": "Testimony",
        "attendance_required": True})
    assert zone.status_code == 422 and zone.json()["field"] == "time_zone"
    assert "application/problem+json" in zone.headers["Content-Type"]
    unknown = net.api("POST", f"/court-cases/{'f' * 32}/status", lawyer, json={"status": "filed"})
    assert unknown.status_code == 404
    detail = net.api("GET", f"/court-cases/{court_case_id}", court).json()
    assert detail["status"] == "investigation" and detail["hearings"] == []

    assert net.api("POST", f"/court-cases/{court_case_id}/status", court,
                   json={"status": "filed"}).status_code == 200
    hearing = net.api("POST", f"/court-cases/{court_case_id}/hearings", court, json={
        "starts_at": _baghdad(starts), "time_zone": "Asia/Baghdad",
        "purpose": "Testimony of the survivor", "attendance_required": True})
    assert hearing.status_code == 201, hearing.text
    hearing = hearing.json()
    hearing_id = hearing["hearing_id"]
    assert hearing["starts_at"] == starts.isoformat().replace("+00:00", "Z")
    assert hearing["local_time"] == (starts + timedelta(hours=3)).strftime("%H:%M")

    # the referring police see the court status and the hearing date on the referral's status
    def police_sees():
        status = net.api("GET", f"/referrals/{reference}/status", police).json()
        statuses = [e["status"] for e in status["timeline"]]
        return status if {"court_filed", "hearing_scheduled"} <= set(statuses) else None
    status = poll(police_sees, "court status and hearing on the police timeline")
    assert status["status"] == "bed_held"
    assert status["legal"]["court_cases"][0]["status"] == "filed"
    assert status["legal"]["hearings"][0]["starts_at"] == hearing["starts_at"]
    assert NOTE not in json.dumps(status)
    another_unit = net.token("police", agency="another-unit")
    assert net.api("GET", f"/referrals/{reference}/status", another_unit).status_code == 404

    # the shelter sees the hearing (date, time, court, attendance), no task yet
    def shelter_hearing():
        rows = net.api("GET", "/shelter/hearings", shelter).json()
        return next((h for h in rows if h["hearing_id"] == hearing_id), None)
    seen = poll(shelter_hearing, "the hearing at the shelter")
    assert seen["accompaniment"] is None and seen["attendance_required"] is True
    assert seen["court"] == COURT and seen["starts_at"] == hearing["starts_at"]

    # move the legal service's clock to 72 hours before the hearing (plus a little)
    due = starts - timedelta(hours=72)
    net.clock_file.write_text(str((due - datetime.now(UTC)).total_seconds() + 2))
    reminded = poll(lambda: (shelter_hearing() or {}).get("accompaniment"), "the reminder at the shelter")
    assert reminded["status"] == "to_arrange" and reminded["task"] == "accompany_to_court"
    assert reminded["due_at"] == due.isoformat().replace("+00:00", "Z")
    assert datetime.fromisoformat(reminded["reminded_at"]) >= due  # not before it was due

    # a court of another place gets nothing; the hearing's court records the outcome
    assert net.api("POST", f"/hearings/{hearing_id}/outcome", other_court,
                   json={"outcome": "held"}).status_code == 404
    held = net.api("POST", f"/hearings/{hearing_id}/outcome", court,
                   json={"outcome": "held", "note": "Survivor testified"})
    assert held.status_code == 200 and held.json()["status"] == "held"
    poll(lambda: "hearing_held" in [e["status"] for e in net.api(
        "GET", f"/referrals/{reference}/status", police).json()["timeline"]], "the outcome on the timeline")

    # the reminder went out once; legal events carry no notes, names or purposes
    events = [m for m in net.tap.drain() if m["payload"].get("reference") == reference]
    assert [m["payload"]["hearing_id"] for m in events if m["type"] == "legal.hearing_reminder"] == [hearing_id]
    assert {m["type"] for m in events} >= {"legal.case_opened", "legal.court_status_changed",
                                           "legal.hearing_scheduled", "legal.hearing_reminder",
                                           "legal.hearing_outcome"}
    # v2 names the case's lawyer (a user id, whom the notify service tells) in its own field;
    # the hearing reminder also the provider with the accompaniment duty
    lawyers = {m["payload"].pop("lawyer", None) for m in events
               if m["type"] in ("legal.court_status_changed", "legal.hearing_reminder")}
    assert lawyers == {"lawyer.demo"}
    text = json.dumps(events)
    for secret in (NOTE, "Testimony", "Survivor testified", "lawyer.demo",
                   CANONICAL["survivor"]["name"], CANONICAL["survivor"]["phone"]):
        assert secret not in text

    # the iCalendar feed of the legal team holds the hearing
    feed = net.api("GET", "/hearings/calendar.ics", lawyer)
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    uids = [str(e["uid"]) for e in calendar.walk("VEVENT")]
    assert f"{hearing_id}@refnet" in uids


# --- every legal endpoint with every role ---------------------------------------------------------

ROLES = ("police", "shelter", "legal", "court", "other_court", "admin", "analyst")


@pytest.fixture(scope="module")
def world(legal_net):
    """One referral with a legal case, a note, a court case, a hearing, a document, a dispute."""
    net = legal_net
    agency = f"tip-unit-{uuid.uuid4().hex[:8]}"
    tokens = {"police": net.token("police", agency=agency), "shelter": net.token("shelter"),
              "legal": net.token("legal"), "court": net.token("court", agency=COURT),
              "other_court": net.token("court", agency="duhok-criminal-court"),
              "admin": net.token("admin"), "analyst": net.token("analyst")}
    reference = _accepted_referral(net, tokens["police"], tokens["shelter"])
    lawyer = tokens["legal"]
    case_id = net.api("POST", "/legal/cases", lawyer, json={"reference": reference, "lawyer": "l1"}).json()["case_id"]
    net.api("POST", f"/legal/cases/{case_id}/notes", lawyer, json={"text": NOTE})
    court_case_id = net.api("POST", f"/legal/cases/{case_id}/court-cases", lawyer, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "witness",
        "charges": [{"statute": "law-6-2018"}]}).json()["court_case_id"]
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    hearing_id = net.api("POST", f"/court-cases/{court_case_id}/hearings", lawyer, json={
        "starts_at": _baghdad(starts), "purpose": "First hearing",
        "attendance_required": False}).json()["hearing_id"]
    document_id = net.api("POST", f"/legal/cases/{case_id}/documents", lawyer, json={
        "kind": "travel_document", "authority": "Directorate of Residence"}).json()["document_id"]
    dispute_id = net.api("POST", f"/legal/cases/{case_id}/labour-disputes", lawyer, json={
        "employer": "Recruiting Co", "claims": ["contract_breach"]}).json()["dispute_id"]
    poll(lambda: any(h["hearing_id"] == hearing_id for h in
                     net.api("GET", "/shelter/hearings", tokens["shelter"]).json()), "shelter hearing")
    return {"tokens": tokens, "reference": reference, "case_id": case_id,
            "court_case_id": court_case_id, "hearing_id": hearing_id, "document_id": document_id,
            "dispute_id": dispute_id}


def _requests(w):
    """(endpoint name, method, path, body, {role: expected status}); unlisted roles get 403."""
    c, cc, h, d, x = w["case_id"], w["court_case_id"], w["hearing_id"], w["document_id"], w["dispute_id"]
    legal_only = {"legal": (200, 201)}
    court_too = {"legal": (200, 201, 409), "court": (200, 201, 409), "other_court": (404,)}
    readers = {"legal": (200,), "court": (200,), "other_court": (200,), "shelter": (200,), "police": (200,)}
    return [
        ("legal_eligible", "GET", "/legal/eligible", None, legal_only),
        ("list_cases", "GET", "/legal/cases", None, legal_only),
        ("get_case", "GET", f"/legal/cases/{c}", None, legal_only),
        ("add_session", "POST", f"/legal/cases/{c}/sessions", {"held_on": "2026-11-30", "topic": "Rights"}, legal_only),
        ("add_note", "POST", f"/legal/cases/{c}/notes", {"text": "another note"}, legal_only),
        # its court case is still open: the legal team may ask, and is told it cannot close yet
        ("close_legal_case", "POST", f"/legal/cases/{c}/close",
         {"reason_code": "proceedings_concluded"}, {"legal": (409,)}),
        # open already: not reopened; the same lawyer: not reassigned
        ("reopen_legal_case", "POST", f"/legal/cases/{c}/reopen", {"reason_code": "new_evidence"},
         {"legal": (409,)}),
        ("reassign_lawyer", "POST", f"/legal/cases/{c}/lawyer",
         {"lawyer": "l1", "reason_code": "caseload"}, {"legal": (409,)}),
        ("file_court_case", "POST", f"/legal/cases/{c}/court-cases",
         {"court": COURT, "case_number": uuid.uuid4().hex[:8], "standing": "victim",
          "charges": [{"statute": "other", "description": "Penal Code"}]}, {"legal": (201, 409)}),
        ("open_case", "POST", "/legal/cases", {"reference": w["reference"], "lawyer": "l2"}, {"legal": (409,)}),
        ("list_court_cases", "GET", "/court-cases", None, {"legal": (200,), "court": (200,), "other_court": (200,)}),
        ("get_court_case", "GET", f"/court-cases/{cc}", None, {"legal": (200,), "court": (200,), "other_court": (404,)}),
        ("change_court_status", "POST", f"/court-cases/{cc}/status", {"status": "filed"}, court_too),
        ("schedule_hearing", "POST", f"/court-cases/{cc}/hearings",
         {"starts_at": "2031-01-05T10:00", "purpose": "Witnesses", "attendance_required": False}, court_too),
        # before the outcome: a booking; after it (cancelled): no booking on it
        ("set_hearing_interpreter", "PUT", f"/hearings/{h}/interpreter",
         {"language": "ti", "status": "requested"}, {"legal": (200, 409)}),
        ("record_outcome", "POST", f"/hearings/{h}/outcome", {"outcome": "cancelled"}, court_too),
        ("list_hearings", "GET", "/hearings", None, readers),
        ("hearings_ics", "GET", "/hearings/calendar.ics", None, {"legal": (200,)}),
        ("request_document", "POST", f"/legal/cases/{c}/documents", {"kind": "passport", "authority": "Embassy"}, legal_only),
        ("change_document_status", "POST", f"/legal/documents/{d}/status", {"status": "submitted"}, {"legal": (200, 409)}),
        ("open_dispute", "POST", f"/legal/cases/{c}/labour-disputes", {"employer": "Co", "claims": ["unpaid_wages"]}, legal_only),
        ("update_dispute", "POST", f"/legal/labour-disputes/{x}", {"status": "mediation"}, legal_only),
        ("shelter_hearings", "GET", "/shelter/hearings", None, {"shelter": (200,)}),
        ("legal_referral_requests", "GET", "/legal/referral-requests", None, legal_only),
        # documents: a JSON body is no upload (refused before any call); no such document
        ("add_case_attachment", "POST", f"/legal/cases/{c}/attachments", {"kind": "court_summons"},
         {"legal": (415,)}),
        ("list_case_attachments", "GET", f"/legal/cases/{c}/attachments", None, legal_only),
        ("read_case_attachment", "GET", f"/legal/cases/{c}/attachments/{'0' * 32}", None,
         {"legal": (404,)}),
    ]


def test_every_legal_endpoint_with_every_role(legal_net, world):
    from gateway.api import ENDPOINTS
    requests_ = _requests(world)
    legal_names = {e.name for e in ENDPOINTS if e.path.startswith(("/legal", "/court-cases", "/hearings"))}
    assert legal_names | {"shelter_hearings"} == {r[0] for r in requests_}
    failures = []
    for role in ROLES:
        token = world["tokens"][role]
        for name, method, path, body, allowed in requests_:
            response = legal_net.api(method, path, token, json=body)
            expected = allowed.get(role, (403,))
            if response.status_code not in expected:
                failures.append((role, name, response.status_code, response.text[:200]))
            if role != "legal" and NOTE in response.text:
                failures.append((role, name, "legal note leaked"))
    assert failures == []


def test_each_role_gets_its_slice_of_hearings(legal_net, world):
    hearing_id = world["hearing_id"]

    def hearings(role):
        response = legal_net.api("GET", "/hearings", world["tokens"][role])
        return {h["hearing_id"]: h for h in response.json()}
    assert hearing_id in hearings("legal") and hearings("legal")[hearing_id]["purpose"]
    assert hearing_id in hearings("court") and "reference" not in hearings("court")[hearing_id]
    assert hearings("other_court") == {}
    police = hearings("police")
    assert set(police) <= set(hearings("legal")) and hearing_id in police
    assert "purpose" not in police[hearing_id]
    shelter = hearings("shelter")[hearing_id]
    assert set(shelter) == {"hearing_id", "reference", "court", "starts_at", "local_date",
                            "local_time", "time_zone", "starts_at_local", "attendance_required"}
    other_police = legal_net.token("police", agency="another-unit")
    assert legal_net.api("GET", "/hearings", other_police).json() == []
    court_cases = legal_net.api("GET", "/court-cases", world["tokens"]["other_court"]).json()
    assert court_cases == []


def test_withdrawn_legal_consent_closes_every_legal_path_to_an_old_id(legal_net):
    """A lawyer who kept the ids of a document, a dispute and a hearing gets the answer an
    unknown id gets once the survivor withdraws consent to legal help, and changes nothing;
    consent given again gives them back."""
    net = legal_net
    police, shelter, lawyer = net.token("police"), net.token("shelter"), net.token("legal")
    reference = _accepted_referral(net, police, shelter)
    case_id = net.api("POST", "/legal/cases", lawyer,
                      json={"reference": reference, "lawyer": "lawyer.demo"}).json()["case_id"]
    court_case_id = net.api("POST", f"/legal/cases/{case_id}/court-cases", lawyer, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "victim",
        "charges": [{"statute": "law-6-2018"}], "status": "filed"}).json()["court_case_id"]
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=60)
    hearing_id = net.api("POST", f"/court-cases/{court_case_id}/hearings", lawyer, json={
        "starts_at": _baghdad(starts), "time_zone": "Asia/Baghdad", "purpose": "Testimony",
        "attendance_required": True}).json()["hearing_id"]
    document_id = net.api("POST", f"/legal/cases/{case_id}/documents", lawyer, json={
        "kind": "passport", "authority": "Embassy of Ethiopia"}).json()["document_id"]
    dispute_id = net.api("POST", f"/legal/cases/{case_id}/labour-disputes", lawyer, json={
        "employer": "Gulf Manpower Recruiting", "claims": ["unpaid_wages"]}).json()["dispute_id"]

    writes = [("/legal/documents/{}/status", document_id, {"status": "submitted"}),
              ("/legal/labour-disputes/{}", dispute_id,
               {"status": "settled", "outcome": "Wages paid", "amount_recovered": 900}),
              ("/hearings/{}/outcome", hearing_id, {"outcome": "held", "note": "Testimony given"})]
    consent = {"audience": "legal_team", "share": False}
    assert net.api("POST", f"/referrals/{reference}/consent", shelter, json=consent).status_code == 200
    for path, record_id, body in writes:
        refused = net.api("POST", path.format(record_id), lawyer, json=body)
        unknown_id = uuid.uuid4().hex
        unknown = net.api("POST", path.format(unknown_id), lawyer, json=body)
        assert refused.status_code == unknown.status_code == 404, (path, refused.text)
        answers = [json.loads(r.text.replace(i, "<id>")) for r, i in ((refused, record_id),
                                                                      (unknown, unknown_id))]
        for answer in answers:
            answer.pop("correlation_id")  # each request's own
        assert answers[0] == answers[1]
        for secret in ("Embassy", "Gulf Manpower", "Testimony", reference, case_id):
            assert secret not in refused.text

    consent = {"audience": "legal_team", "share": True, "purpose": "representation at trial"}
    assert net.api("POST", f"/referrals/{reference}/consent", shelter, json=consent).status_code == 200
    detail = net.api("GET", f"/legal/cases/{case_id}", lawyer).json()
    assert [d["status"] for d in detail["documents"]] == ["requested"]       # nothing changed
    assert [d["status"] for d in detail["labour_disputes"]] == ["open"]
    assert [h["status"] for h in detail["hearings"]] == ["scheduled"]
    for path, record_id, body in writes:
        assert net.api("POST", path.format(record_id), lawyer, json=body).status_code == 200, path
