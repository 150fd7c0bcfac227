"""A whole flow with a planted, distinctive survivor, for the privacy tests.

``build_world(net)`` submits a referral carrying ``PLANTED_NAME``/``PLANTED_PHONE``, has the
shelter read the file, search by name and accept it, admits the survivor, and has the legal team
open a case with a note, a court case, a hearing, a document request and a labour dispute. Every
wait is a poll with a deadline; nothing is timed.
"""

import copy
import time
import uuid
from datetime import datetime, timedelta, timezone

from refnet import demo
from tests.e2e.conftest import CANONICAL
from refnet.harness.polling import poll  # noqa: F401  (re-exported to test_privacy)

PLANTED_NAME = "Zilvarra Quennebotte"
PLANTED_PHONE = "+9647701357924"
PLANTED_STORY_PLACE = "Qalatkhanbeg"  # identified_place: circumstances, not for events or logs
NOTE = "Strategy note: employer intimidates witnesses"
PURPOSE = "Hearing on the trafficking charge"
COURT = "erbil-criminal-court"
OTHER_COURT = "duhok-criminal-court"


def planted_body() -> dict:
    body = copy.deepcopy(CANONICAL)
    body["survivor"].update(name=PLANTED_NAME, phone=PLANTED_PHONE)
    body["identified_place"] = PLANTED_STORY_PLACE
    return body


def accepted_referral(net, police, shelter, body=None) -> str:
    r = net.api("POST", "/referrals", police, json=body or CANONICAL)
    assert r.status_code == 202, r.text
    reference = r.json()["reference"]
    net.wait_status(reference, "received", police)
    r = net.api("POST", f"/referrals/{reference}/decision", shelter, json={"decision": "accept"})
    assert r.status_code == 200, r.text
    net.wait_status(reference, "bed_held", police)
    return reference


def build_world(net) -> dict:
    agency = f"tip-unit-{uuid.uuid4().hex[:8]}"
    tokens = {
        ("police", "own"): net.token("police", agency=agency, user="officer.own"),
        ("police", "other"): net.token("police", agency="another-unit", user="officer.other"),
        ("shelter", "own"): net.token("shelter", user="intake.own"),
        ("shelter", "other"): net.token("shelter", agency="another-shelter", user="intake.other"),
        ("legal", "own"): net.token("legal", user="lawyer.own"),
        ("legal", "other"): net.token("legal", agency="another-legal-aid", user="lawyer.other"),
        ("court", "own"): net.token("court", agency=COURT, user="clerk.own"),
        ("court", "other"): net.token("court", agency=OTHER_COURT, user="clerk.other"),
        ("admin", "own"): net.token("admin", user="admin.own"),
        ("admin", "other"): net.token("admin", agency="other-admin", user="admin.other"),
        ("analyst", "own"): net.token("analyst", user="analyst.own"),
        ("analyst", "other"): net.token("analyst", agency="other-analytics", user="analyst.other"),
        ("partner", "own"): net.token("partner", agency="iom-erbil", user="partner.own"),
        ("partner", "other"): net.token("partner", agency="embassy-np", user="partner.other"),
    }
    police, shelter, lawyer = tokens[("police", "own")], tokens[("shelter", "own")], tokens[("legal", "own")]
    r = net.api("POST", "/referrals", police, json=planted_body())
    assert r.status_code == 202, r.text
    reference = r.json()["reference"]
    net.wait_status(reference, "received", police)
    file = net.api("GET", f"/referrals/{reference}", shelter)
    assert file.status_code == 200 and file.json()["submission"]["survivor"]["name"] == PLANTED_NAME
    found = net.api("POST", "/referrals/search", shelter, json={"name": "  zilvarra   QUENNEBOTTE "})
    assert found.status_code == 200 and [h["reference"] for h in found.json()] == [reference], found.text
    assert net.api("POST", f"/referrals/{reference}/decision", shelter,
                   json={"decision": "accept"}).status_code == 200
    net.wait_status(reference, "bed_held", police)
    admitted = net.api("POST", f"/shelters/{demo.FACILITY['id']}/admissions", shelter,
                       json={"reference": reference, "case_manager": "staff.cm1"})
    assert admitted.status_code == 201, admitted.text
    admission_id = admitted.json()["admission_id"]
    plan_id = admitted.json()["plan_id"]
    item = net.api("POST", f"/shelter/plans/{plan_id}/items", shelter,
                   json={"service": "case_management", "owner": "staff.cm1"})
    assert item.status_code == 201, item.text
    poll(lambda: reference in [e["reference"] for e in net.api("GET", "/legal/eligible", lawyer).json()],
         "eligibility")
    case_id = net.api("POST", "/legal/cases", lawyer,
                      json={"reference": reference, "lawyer": "lawyer.own"}).json()["case_id"]
    assert net.api("POST", f"/legal/cases/{case_id}/notes", lawyer, json={"text": NOTE}).status_code == 201
    case_number = f"{uuid.uuid4().hex[:6]}/2026"
    court_case_id = net.api("POST", f"/legal/cases/{case_id}/court-cases", lawyer, json={
        "court": COURT, "case_number": case_number, "standing": "victim",
        "charges": [{"statute": "law-6-2018"}]}).json()["court_case_id"]
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    local = (starts + timedelta(hours=3)).replace(tzinfo=None).isoformat(timespec="seconds")
    hearing = net.api("POST", f"/court-cases/{court_case_id}/hearings", lawyer, json={
        "starts_at": local, "purpose": PURPOSE, "attendance_required": True})
    assert hearing.status_code == 201, hearing.text
    document_id = net.api("POST", f"/legal/cases/{case_id}/documents", lawyer, json={
        "kind": "travel_document", "authority": "Directorate of Residence"}).json()["document_id"]
    dispute_id = net.api("POST", f"/legal/cases/{case_id}/labour-disputes", lawyer, json={
        "employer": "Recruiting Co", "claims": ["contract_breach"]}).json()["dispute_id"]
    poll(lambda: "hearing_scheduled" in [e["status"] for e in net.api(
        "GET", f"/referrals/{reference}/status", police).json()["timeline"]], "hearing on the timeline")
    return {"tokens": tokens, "agency": agency, "reference": reference, "case_id": case_id,
            "court_case_id": court_case_id, "case_number": case_number,
            "hearing_id": hearing.json()["hearing_id"], "document_id": document_id,
            "dispute_id": dispute_id, "admission_id": admission_id, "plan_id": plan_id,
            "item_id": item.json()["item_id"]}
