"""Retention end to end, over real processes and HTTP, with time moved by the test clock
(``REFNET_TEST_CLOCK_OFFSET_FILE``, read by every process at every call; the sweeps tick every
0.3 s): a referral stuck in ``received`` is closed with a coded reason and later anonymised; a
referral with an open court case keeps its file until the court case and the legal case are
closed; the shelter's care notes and the legal notes go after their periods. Everything is
polled with deadlines; nothing is timed.
"""

import uuid

import pytest

from refnet import demo
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network
from refnet.harness.polling import poll
from tests.e2e.conftest import submit

DAY = 86400
COURT = "erbil-criminal-court"
FACILITY = demo.FACILITY["id"]
CARE_NOTE = "Retention-Testperson told her case manager where her passport is"
LEGAL_NOTE = "Retention-Testperson strategy: ask for testimony by video link"


@pytest.fixture(scope="module")
def retention_net(tmp_path_factory):
    name, uri = create_vhost("refnet-e2e-retention")
    workdir = tmp_path_factory.mktemp("retention-network")
    clock_file = workdir / "clock-offset"
    clock_file.write_text("0")
    sweep = "0.3"
    net = Network(workdir, uri, extra_env={
        "REFNET_TEST_CLOCK_OFFSET_FILE": str(clock_file),
        "REFNET_RETENTION_SWEEP_SECONDS": sweep, "REFNET_SHELTER_RETENTION_SWEEP_SECONDS": sweep,
        "REFNET_LEGAL_RETENTION_SWEEP_SECONDS": sweep, "REFNET_HOLD_SWEEP_SECONDS": sweep,
        "REFNET_STALE_REFERRAL_DAYS": "30", "REFNET_RETENTION_DAYS": "60",
        "REFNET_SHELTER_RETENTION_DAYS": "60", "REFNET_LEGAL_RETENTION_DAYS": "60"})
    net.clock_file = clock_file
    try:
        net.prepare()
        net.start()
        try:
            net.wait_ready()
            net.seed_facility()
            yield net
        finally:
            net.stop()
    finally:
        delete_vhost(name)


def _move_to(net, days: float) -> None:
    net.clock_file.write_text(str(days * DAY))


def _file(net, reference, shelter) -> dict:
    return net.api("GET", f"/referrals/{reference}", shelter).json()


def test_stale_referrals_close_and_a_court_case_holds_the_file(retention_net):
    net = retention_net
    police = net.token("police", agency=f"tip-ret-{uuid.uuid4().hex[:6]}")
    shelter, lawyer = net.token("shelter"), net.token("legal")

    stuck = submit(net, police).json()["reference"]  # received, never decided
    net.wait_status(stuck, "received", police)

    in_court = submit(net, police).json()["reference"]  # accepted, the person never arrives
    net.wait_status(in_court, "received", police)
    assert net.api("POST", f"/referrals/{in_court}/decision", shelter,
                   json={"decision": "accept"}).status_code == 200
    net.wait_status(in_court, "bed_held", police)
    poll(lambda: in_court in [e["reference"] for e in net.api("GET", "/legal/eligible", lawyer).json()],
         "eligibility")
    case_id = net.api("POST", "/legal/cases", lawyer,
                      json={"reference": in_court, "lawyer": "lawyer.demo"}).json()["case_id"]
    assert net.api("POST", f"/legal/cases/{case_id}/notes", lawyer,
                   json={"text": LEGAL_NOTE}).status_code == 201
    court_case_id = net.api("POST", f"/legal/cases/{case_id}/court-cases", lawyer, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "victim",
        "charges": [{"statute": "law-6-2018"}]}).json()["court_case_id"]

    resident = submit(net, police).json()["reference"]  # admitted, a case note, discharged
    net.wait_status(resident, "received", police)
    assert net.api("POST", f"/referrals/{resident}/decision", shelter,
                   json={"decision": "accept"}).status_code == 200
    net.wait_status(resident, "bed_held", police)
    admission = net.api("POST", f"/shelters/{FACILITY}/admissions", shelter,
                        json={"reference": resident, "case_manager": "cm.one"}).json()
    plan_id = admission["plan_id"]
    assert net.api("POST", f"/shelter/plans/{plan_id}/notes", shelter,
                   json={"text": CARE_NOTE}).status_code == 201
    # transferred: no follow-up keeps her stay (docs/decisions/0051), so it ended at discharge
    assert net.api("POST", f"/shelters/{FACILITY}/admissions/{admission['admission_id']}/discharge",
                   shelter, json={"outcome": "transferred"}).status_code == 200

    # 31 days on: the undecided referral is closed with its reason
    _move_to(net, 31)
    closed = net.wait_status(stuck, "closed", police, timeout=30)
    assert closed["timeline"][-1]["note"] == "Closed by retention: no_decision"
    assert _file(net, stuck, shelter)["anonymised"] is False

    # 62 days on: the referral whose person never came is closed too (straight from bed_held,
    # or from accepted once the hold's expiry moved it back: whichever sweep ran first); the
    # shelter's care note of the resident discharged 62 days ago is gone
    _move_to(net, 62)
    closed = net.wait_status(in_court, "closed", police, timeout=30)
    assert closed["timeline"][-1]["note"] == "Closed by retention: no_arrival"
    poll(lambda: net.api("GET", f"/shelter/plans/{plan_id}/notes", shelter).json() == [],
         "the shelter's retention", timeout=30)

    # 130 days on: both closed long enough; the stuck one is anonymised in the sweep that skips
    # the one whose court case is open (one pass sees both)
    _move_to(net, 130)
    poll(lambda: _file(net, stuck, shelter)["anonymised"], "anonymisation", timeout=30)
    assert _file(net, in_court, shelter)["anonymised"] is False

    # the legal case cannot close over an open court case; an unknown one is 404; nothing changes
    why = {"reason_code": "proceedings_concluded"}
    refused = net.api("POST", f"/legal/cases/{case_id}/close", lawyer, json=why)
    assert refused.status_code == 409 and refused.json()["field"] == "court_cases"
    assert "application/problem+json" in refused.headers["Content-Type"]
    assert net.api("POST", "/legal/cases/not-a-case/close", lawyer, json=why).status_code == 404
    assert net.api("POST", f"/legal/cases/{case_id}/close", net.token("police"),
                   json=why).status_code == 403
    assert net.api("GET", f"/legal/cases/{case_id}", lawyer).json()["status"] == "open"

    assert net.api("POST", f"/court-cases/{court_case_id}/status", lawyer,
                   json={"status": "closed"}).status_code == 200
    done = net.api("POST", f"/legal/cases/{case_id}/close", lawyer, json=why)
    assert done.status_code == 200, done.text
    poll(lambda: _file(net, in_court, shelter)["anonymised"], "anonymisation after the court",
         timeout=30)

    # 200 days on: 70 days after the legal case closed, its notes are gone too
    _move_to(net, 200)
    poll(lambda: net.api("GET", f"/legal/cases/{case_id}", lawyer).json()["notes"] == [],
         "the legal service's retention", timeout=30)
