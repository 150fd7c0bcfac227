"""Key rotation covers every encrypted column of every service, over real processes on SQLite
and PostgreSQL: text is written through the API into each column a service declares encrypted
(``tables.ENCRYPTED``), `refnet rotate-keys` runs with a new key first, the services restart
holding only the new key, and everything reads back through the API. Read straight from the
databases meanwhile: every declared column holds something, nothing of the planted text is
there in clear, and no Fernet token sits in a column no service declared.
"""

import importlib
import subprocess
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text

from refnet import demo
from refnet.harness.network import BIN, ROOT
from refnet.harness.polling import poll
from services.common.db import Database
from services.common.sealing import FileCipher
from tests.e2e.conftest import CANONICAL, ON_BOTH_DATABASES, SERVICES, network_on
from tests.e2e.conftest import ok as _ok

FACILITY = demo.FACILITY["id"]
MARK = "Velmorant"  # in every planted text, and nowhere else
NAME = f"{MARK} Issa"
GOALS = f"{MARK} goals: see my daughter"
CARE_NOTE = f"{MARK} care note: the recruiter kept her phone"
SUMMARY = f"{MARK} screening: sleeps badly"
LEGAL_NOTE = f"{MARK} legal note: keep the contract"
TOPIC = f"{MARK} topic: rights of a witness"
CHARGE = f"{MARK} charge: forced labour"
PURPOSE = f"{MARK} purpose: testimony"
OUTCOME_NOTE = f"{MARK} outcome: adjourned"
AUTHORITY = f"{MARK} embassy"
EMPLOYER = f"{MARK} Recruiting Co"
SETTLEMENT = f"{MARK} settlement: wages paid"
GUARDIAN = f"{MARK} guardian"
CONTACT = {"email": f"{MARK}.cm@rotation.test", "phone": "+9647709876543"}  # a person's own, sealed
COURT = "erbil-criminal-court"
# the documents (issue 21): a file name and a content on each owner, both sealed
ATTACHMENTS = {"referral": "identity_scan", "plan": "medical_report", "legal": "power_of_attorney"}


def attachment_name(owner: str) -> str:
    return f"{MARK} {owner} document.pdf"


def attachment_content(owner: str) -> bytes:
    return f"%PDF-1.4\n% {MARK} {owner}: the survivor's document\n%%EOF\n".encode()


@pytest.fixture(scope="module", params=ON_BOTH_DATABASES)
def net(request, tmp_path_factory):
    yield from network_on(request.param, tmp_path_factory, "rotation")


def write_every_encrypted_column(net) -> dict:
    """Through the API, text in each column a service encrypts; the ids to read it back."""
    police = net.token("police", agency=f"tip-rotation-{uuid.uuid4().hex[:6]}")
    intake, cm, psy = (net.token("shelter", user=u) for u in ("intake.one", "cm.one", "psy.one"))
    lawyer, court = net.token("legal", user="lawyer.one"), net.token("court", agency=COURT)
    body = {**CANONICAL, "survivor": {**CANONICAL["survivor"], "name": NAME}}
    reference = _ok(net.api("POST", "/referrals", police, json=body), 202)["reference"]
    net.wait_status(reference, "received", police)
    _ok(net.api("POST", f"/referrals/{reference}/decision", intake, json={"decision": "accept"}))
    net.wait_status(reference, "bed_held", police)
    plan_id = _ok(net.api("POST", f"/shelters/{FACILITY}/admissions", intake,
                          json={"reference": reference, "case_manager": "cm.one"}), 201)["plan_id"]
    _ok(net.api("PUT", f"/shelter/plans/{plan_id}", cm, json={"psychologist": "psy.one", "goals": GOALS}))
    _ok(net.api("POST", f"/shelter/plans/{plan_id}/notes", cm, json={"text": CARE_NOTE}), 201)
    _ok(net.api("PUT", f"/shelter/plans/{plan_id}/screening", psy,
                json={"outcome": "support_recommended", "summary": SUMMARY}))

    poll(lambda: reference in [e["reference"] for e in _ok(net.api("GET", "/legal/eligible", lawyer))],
         "eligibility")
    case_id = _ok(net.api("POST", "/legal/cases", lawyer,
                          json={"reference": reference, "lawyer": "lawyer.one"}), 201)["case_id"]
    _ok(net.api("POST", f"/legal/cases/{case_id}/notes", lawyer, json={"text": LEGAL_NOTE}), 201)
    _ok(net.api("POST", f"/legal/cases/{case_id}/sessions", lawyer,
                json={"held_on": "2026-11-30", "topic": TOPIC}), 201)
    court_case_id = _ok(net.api("POST", f"/legal/cases/{case_id}/court-cases", lawyer, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "victim",
        "charges": [{"statute": "other", "description": CHARGE}]}), 201)["court_case_id"]
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    local = (starts + timedelta(hours=3)).replace(tzinfo=None).isoformat(timespec="seconds")
    hearing_id = _ok(net.api("POST", f"/court-cases/{court_case_id}/hearings", lawyer, json={
        "starts_at": local, "purpose": PURPOSE, "attendance_required": True}), 201)["hearing_id"]
    _ok(net.api("POST", f"/hearings/{hearing_id}/outcome", court,
                json={"outcome": "held", "note": OUTCOME_NOTE}))
    _ok(net.api("POST", f"/legal/cases/{case_id}/documents", lawyer,
                json={"kind": "passport", "authority": AUTHORITY}), 201)
    dispute_id = _ok(net.api("POST", f"/legal/cases/{case_id}/labour-disputes", lawyer,
                             json={"employer": EMPLOYER, "claims": ["unpaid_wages"]}), 201)["dispute_id"]
    _ok(net.api("POST", f"/legal/labour-disputes/{dispute_id}", lawyer,
                json={"status": "settled", "outcome": SETTLEMENT}))
    minor_body = {**body, "survivor": {**{k: v for k, v in body["survivor"].items()
                                          if k != "birth_year"}, "age": 16},
                  "consent": {**body["consent"], "basis": "best_interest"}}
    minor = _ok(net.api("POST", "/referrals", police, json=minor_body), 202)["reference"]
    net.wait_status(minor, "received", police)
    _ok(net.api("PUT", f"/referrals/{minor}/guardian", intake,
                json={"name": GUARDIAN, "relationship": "relative"}))
    attachment_paths = {"referral": f"/referrals/{reference}/attachments",
                        "plan": f"/shelter/plans/{plan_id}/attachments",
                        "legal": f"/legal/cases/{case_id}/attachments"}
    attachments = {}
    for owner, token in (("referral", police), ("plan", intake), ("legal", lawyer)):
        added = _ok(net.api("POST", attachment_paths[owner], token, files=[
            ("kind", (None, ATTACHMENTS[owner])),
            ("file", (attachment_name(owner), attachment_content(owner), "application/pdf"))]), 201)
        attachments[owner] = f"{attachment_paths[owner]}/{added['attachment_id']}"
    _ok(net.api("PUT", "/me/preferences", cm, json={
        "language": "en", **CONTACT, "time_zone": "Asia/Baghdad", "quiet_hours": None,
        "digest": {"enabled": False, "hour": 8}, "moments": {"milestone_overdue": ["email", "sms"]}}))
    return {"reference": reference, "minor": minor, "plan_id": plan_id, "case_id": case_id,
            "court_case_id": court_case_id, "attachments": attachments,
            "tokens": {"intake": intake, "cm": cm, "lawyer": lawyer, "court": court}}


def read_everything_back(net, w) -> None:
    t = w["tokens"]
    file = _ok(net.api("GET", f"/referrals/{w['reference']}", t["intake"]))
    assert file["submission"]["survivor"]["name"] == NAME
    assert _ok(net.api("GET", f"/referrals/{w['minor']}", t["intake"]))["guardian"]["name"] == GUARDIAN
    assert _ok(net.api("GET", f"/shelter/plans/{w['plan_id']}", t["cm"]))["goals"] == GOALS
    assert [n["text"] for n in _ok(net.api("GET", f"/shelter/plans/{w['plan_id']}/notes", t["cm"]))] == [CARE_NOTE]
    assert _ok(net.api("GET", f"/shelter/plans/{w['plan_id']}/screening", t["cm"]))["summary"] == SUMMARY
    case = _ok(net.api("GET", f"/legal/cases/{w['case_id']}", t["lawyer"]))
    assert [n["text"] for n in case["notes"]] == [LEGAL_NOTE]
    assert [s["topic"] for s in case["counselling_sessions"]] == [TOPIC]
    assert [c["charges"][0]["description"] for c in case["court_cases"]] == [CHARGE]
    assert [(h["purpose"], h["outcome_note"]) for h in case["hearings"]] == [(PURPOSE, OUTCOME_NOTE)]
    assert [d["authority"] for d in case["documents"]] == [AUTHORITY]
    assert [(d["employer"], d["outcome"]) for d in case["labour_disputes"]] == [(EMPLOYER, SETTLEMENT)]
    court_case = _ok(net.api("GET", f"/court-cases/{w['court_case_id']}", t["court"]))
    assert court_case["charges"][0]["description"] == CHARGE
    preferences = _ok(net.api("GET", "/me/preferences", t["cm"]))
    assert {key: preferences[key] for key in CONTACT} == CONTACT
    for owner, reader in (("referral", "intake"), ("plan", "cm"), ("legal", "lawyer")):
        path = w["attachments"][owner]
        listing = _ok(net.api("GET", path.rsplit("/", 1)[0], t[reader]))
        assert [a["file_name"] for a in listing] == [attachment_name(owner)]
        download = net.api("GET", path, t[reader])
        assert download.status_code == 200, download.text
        assert download.content == attachment_content(owner)


def _stored(value) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def stored_values(net) -> dict[tuple[str, str, str], list[str]]:
    """(service, table, column) -> every non-null value as stored, read straight from each
    service's database."""
    values = {}
    for service in SERVICES:
        db = Database(net.env[f"{service.upper()}_DATABASE_URL"])
        try:
            with db.engine.connect() as conn:
                for table in inspect(conn).get_table_names():
                    result = conn.execute(text(f'SELECT * FROM "{table}"'))
                    names = list(result.keys())
                    for row in result:
                        for name, value in zip(names, row):
                            if value is not None:
                                values.setdefault((service, table, name), []).append(_stored(value))
        finally:
            db.dispose()
    return values


def declared() -> set[tuple[str, str, str]]:
    return {(service, *label.split("."))
            for service in SERVICES
            for label in importlib.import_module(f"services.{service}.tables").ENCRYPTED.labels()}


def _is_token(value: str) -> bool:
    return value.startswith(("fernet:gAAAAA", "gAAAAA"))  # Fernet version byte 0x80


def test_rotate_remove_the_old_key_and_read_everything_back(net):
    old, new = net.secrets["REFNET_FILE_KEYS"], FileCipher.new_key()
    w = write_every_encrypted_column(net)

    before = stored_values(net)
    assert declared() <= set(before), f"no text written in {declared() - set(before)}"
    assert MARK not in repr(before)
    tokens_in = {column for column, values in before.items() if any(_is_token(v) for v in values)}
    assert tokens_in == declared()  # every token in a declared column, every declared column sealed

    rotated = subprocess.run([str(BIN / "refnet"), "rotate-keys"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, env={**net.env, "REFNET_FILE_KEYS": f"{new},{old}"})
    assert rotated.returncode == 0, rotated.stderr
    for service in SERVICES:
        assert f"{service}: re-encrypted" in rotated.stdout

    only_old = FileCipher(old)
    after = stored_values(net)
    for column in declared():
        for value in after[column]:
            token = value[len("fernet:"):] if value.startswith("fernet:") else value
            with pytest.raises(Exception):  # nothing left under the old key
                only_old.decrypt(token.encode("latin-1"))

    net.stop(*SERVICES)
    net.env["REFNET_FILE_KEYS"] = new  # the old key removed
    net.start(*SERVICES)
    for service in SERVICES:
        net.wait_consumers(f"rpc-{service}", 1)
    net.wait_ready()
    read_everything_back(net, w)
