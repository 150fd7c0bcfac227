"""Privacy and security acceptance, over real processes on a fresh vhost.

* every endpoint x every role x own/other agency: the status code, and no forbidden field or
  value in the body;
* consent withdrawn by shelter staff holds at the very next read, per audience, and later
  events do not carry the referral to that audience;
* the audit trail records file reads and changes, admins query it, `refnet audit verify` names
  an edited or deleted entry and entries cut from the end;
* tokens: expired, badly signed, alg none and revoked tokens get 401; body and page limits;
* key rotation, retention;
* a planted name and phone are in no database file (SQLite) or dump (PostgreSQL), no broker
  message and no log after the whole flow.
"""

import json
import sqlite3
import subprocess
import uuid

import time

import jwt
import kombu
import kombu.exceptions
import pytest

from refnet import demo
from gateway.api import ENDPOINTS
from gateway.tokens import issue_token
from services.common.sealing import FileCipher
from tests.e2e.conftest import CANONICAL, Tap, record_consent
from tests.e2e.privacy_world import (COURT, NOTE, PLANTED_NAME, PLANTED_PHONE, PLANTED_STORY_PLACE,
                                     PURPOSE, accepted_referral, build_world, poll)
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import BIN, ROOT, Network

ROLES = ("police", "shelter", "legal", "court", "admin", "analyst", "partner")


class DurableTap(Tap):
    """A tap that survives a broker restart by someone else on this machine: a durable queue
    (events are persistent), and a fresh connection when the old one was reset."""

    def drain(self) -> list[dict]:
        for attempt in range(20):
            try:
                return super().drain()
            except (OSError, kombu.exceptions.OperationalError, KeyError, AttributeError):
                time.sleep(0.5)
                try:
                    self.connection.release()
                except Exception:  # noqa: BLE001 - it is broken already
                    pass
                self.connection = self.connection.clone()
        return super().drain()


def _tap(uri):
    connection = kombu.Connection(uri)
    exchange = kombu.Exchange("refnet.events", type="topic", durable=True)
    queue = kombu.Queue(f"tap-{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="#",
                        durable=True, auto_delete=False)
    queue(connection.channel()).declare()
    return connection, queue, DurableTap(connection, queue)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    name, uri = create_vhost("refnet-e2e-privacy")
    connection = queue = network = None
    try:
        connection, queue, tap = _tap(uri)
        network = Network(tmp_path_factory.mktemp("privacy-network"), uri)
        network.tap = tap
        network.prepare()
        network.start()
        network.wait_ready()
        network.seed_facility()
        yield network
    finally:
        if network is not None:
            network.stop()
        if connection is not None:
            tap.connection.release()
        delete_vhost(name)  # takes the tap queue with it


@pytest.fixture(scope="module")
def world(net):
    return build_world(net)


def refnet(net, *args, env=None):
    return subprocess.run([str(BIN / "refnet"), *args], env={**net.env, **(env or {})}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


# --- 1. every endpoint x every role x own/other agency ---------------------------------------------

INVALID = {"zz_not_a_field": 1}  # refused by every body schema (422) before anything changes


def _path(ep, w):
    values = {"reference": w["reference"], "facility": demo.FACILITY["id"], "case_id": w["case_id"],
              "court_case_id": w["court_case_id"], "hearing_id": w["hearing_id"],
              "document_id": w["document_id"], "dispute_id": w["dispute_id"],
              "admission_id": str(w["admission_id"]), "plan_id": str(w["plan_id"]),
              "item_id": str(w["item_id"]), "milestone": "plan_agreed",
              "occasion": "psychological_screening",
              "agency": demo.FACILITY["id"], "partner_referral_id": "0" * 32,
              "notification_id": "999999999", "follow_up_id": "999999999",
              "task_id": "0" * 32, "username": "no.such.user", "attachment_id": "0" * 32}
    path = ep.path
    for key, value in values.items():
        path = path.replace(f"<{key}>", value)
    assert "<" not in path, path
    return path


# (endpoint, role, relation) -> (expected status, body): object-level checks with a valid body
OBJECT_LEVEL = {
    ("referral_status", "police", "other"): (404, None),
    ("referral_fhir_task", "police", "other"): (404, None),   # the status rule
    ("withdraw", "police", "other"): (404, {"reason_code": "other", "reason": "not ours"}),
    ("get_court_case", "court", "other"): (404, None),
    ("change_court_status", "court", "other"): (404, {"status": "filed"}),
    ("schedule_hearing", "court", "other"): (404, {"starts_at": "2031-01-05T10:00", "purpose": "x",
                                                     "attendance_required": False}),
    ("record_outcome", "court", "other"): (404, {"outcome": "held"}),
}
# Care endpoints without a body act on the world's plan (a case-management item, the shelter
# user is not the plan's case manager): what each answers proves the role passed and the rule held.
for _relation in ("own", "other"):
    # the world's legal case has a court case still open: closing it is refused, unchanged
    OBJECT_LEVEL[("close_legal_case", "legal", _relation)] = (
        409, {"reason_code": "proceedings_concluded"})
OBJECT_LEVEL.update({
    ("approve_plan_item", "shelter", "own"): (409, None),   # only cash needs approval
    ("refer_plan_item", "shelter", "own"): (409, None),     # only legal items are referred
    ("get_screening", "shelter", "own"): (403, None),       # case manager/psychologist only
    ("complete_milestone", "shelter", "own"): (200, None),  # plan agreed: done (idempotent)
})
# A shelter identity of another agency is staff of no facility, file or plan here: 404 on
# each object (bodies that fail validation still get 422 first); the other lists and the figures
# hold its own provider's rows (none: 200, empty; docs/decisions/0038), the incoming list, the
# referral list and the search by name what its provider holds (none; decision 0039), and the
# hearings its own residents' (none).
OBJECT_LEVEL.update({(name, "shelter", "other"): (404, None) for name in (
    "capacity_history", "bed_board", "daily_census", "get_plan", "get_plan_overview",
    "list_care_notes", "get_screening", "referral_status", "referral_file", "referral_fhir_task",
    "get_consent", "approve_plan_item", "refer_plan_item", "complete_milestone", "close_facility")})
# marking read a notification in nobody's inbox: not found, for every role (its own inbox only)
OBJECT_LEVEL.update({("mark_inbox_read", role, relation): (404, None)
                     for role in ROLES for relation in ("own", "other")})
# disabling or enabling a web user nobody has: not found, nothing changed
OBJECT_LEVEL.update({(name, "admin", relation): (404, None)
                     for name in ("disable_web_user", "enable_web_user")
                     for relation in ("own", "other")})
# the world's facility has its resident: closing it is refused, nothing changed
OBJECT_LEVEL.update({("close_facility", role, relation): (409, None)
                     for role, relation in (("shelter", "own"), ("admin", "own"), ("admin", "other"))})
# documents (docs/decisions/0056): no document 000...0 exists; a plan's are its case manager's
# and psychologist's (the world's shelter user is neither); another shelter sees no referral or
# plan of this one
OBJECT_LEVEL.update({(name, role, relation): (404, None)
                     for name, role in (("read_referral_attachment", "shelter"),
                                        ("read_case_attachment", "legal"))
                     for relation in ("own", "other")})
OBJECT_LEVEL.update({(name, "shelter", "own"): (403, None)
                     for name in ("list_plan_attachments", "read_plan_attachment")})
OBJECT_LEVEL.update({(name, "shelter", "other"): (404, None)
                     for name in ("list_referral_attachments", "list_plan_attachments",
                                  "read_plan_attachment")})


def _expected(ep, role, relation):
    if role not in ep.roles:
        return 403, INVALID if ep.method != "GET" else None
    if ep.upload:  # a JSON body is no upload: refused before any call, nothing stored
        return 415, INVALID
    if (ep.name, role, relation) in OBJECT_LEVEL:
        return OBJECT_LEVEL[(ep.name, role, relation)]
    if ep.method == "GET":
        return 200, None
    return 422, INVALID  # allowed, and refused on the body: proves the role passes, changes nothing


def _forbidden(w, ep, role, relation, status):
    """Strings that must not appear in this role's answer."""
    out = set()
    if role != "shelter":
        out |= {PLANTED_NAME, PLANTED_PHONE, PLANTED_STORY_PLACE, '"submission"', "Officer Hawre"}
    if role != "legal":
        out |= {NOTE}
    if role in ("police", "shelter", "admin", "analyst", "partner"):
        out |= {PURPOSE, w["case_number"]}
    if status == 404:  # a 404 names what was asked for, nothing else
        return out
    if role in ("court", "partner") or (role in ("admin", "analyst") and ep.name != "audit_trail"):
        out |= {w["reference"]}
    if (role, relation) == ("police", "other"):
        out |= {w["reference"], w["court_case_id"]}
    if (role, relation) == ("court", "other"):
        out |= {w["court_case_id"], w["case_number"], w["hearing_id"]}
    if (role, relation) == ("shelter", "other"):
        # another shelter: no reference, file, plan or bed of this one
        out |= {w["reference"], PLANTED_NAME, PLANTED_PHONE, "staff.cm1"}
    return out


# query strings an endpoint needs to answer 200 to a role it allows
QUERY = {"audit_trail": {"service": "referral"},
         "report_summary": {"from": "2026-01-01", "to": "2026-12-31", "audience": "public"},
         "htcds_export": {"period": "2026"}}


def test_every_endpoint_with_every_role_own_and_other(net, world):
    failures, checked = [], 0
    for ep in ENDPOINTS:
        for role in ROLES:
            for relation in ("own", "other"):
                status, body = _expected(ep, role, relation)
                token = world["tokens"][(role, relation)]
                params = QUERY.get(ep.name)
                response = net.api(ep.method, _path(ep, world), token, json=body, params=params)
                checked += 1
                if response.status_code != status:
                    failures.append((ep.name, role, relation, response.status_code, status,
                                     response.text[:160]))
                for text in _forbidden(world, ep, role, relation, response.status_code):
                    if text in response.text:
                        failures.append((ep.name, role, relation, "leaks", text))
    assert failures == [], "\n".join(map(repr, failures))
    assert checked == len(ENDPOINTS) * len(ROLES) * 2


def test_no_endpoint_answers_without_a_token(net, world):
    for ep in ENDPOINTS:
        response = net.api(ep.method, _path(ep, world), None, json=INVALID if ep.method != "GET" else None)
        assert response.status_code == 401, (ep.name, response.status_code)


# --- 2. consent ------------------------------------------------------------------------------------


def test_withdrawn_consent_to_the_referring_police_holds_at_the_next_read(net):
    agency = f"tip-unit-{uuid.uuid4().hex[:8]}"
    police, shelter = net.token("police", agency=agency), net.token("shelter", user="cm.consent")
    reference = accepted_referral(net, police, shelter)
    assert net.api("GET", f"/referrals/{reference}/status", police).json()["status"] == "bed_held"

    state = record_consent(net, shelter, reference, "referring_police", False)
    assert state["referring_police"]["share"] is False and state["legal_team"]["share"] is True
    assert state["history"][-1]["recorded_by"] == "cm.consent" and state["history"][-1]["recorded_at"]

    status = net.api("GET", f"/referrals/{reference}/status", police)  # the very next read
    assert status.status_code == 200
    assert status.json()["status"] == "consent_withdrawn"
    assert [e["status"] for e in status.json()["timeline"]] == ["consent_withdrawn"]
    assert "bed_held" not in status.text and "legal" not in status.json()
    listed = net.api("GET", "/referrals", police).json()["items"]
    assert reference not in [i["reference"] for i in listed]
    assert reference not in net.api("GET", "/hearings", police).text

    # a later change does not reach them either
    admitted = net.api("POST", f"/shelters/{demo.FACILITY['id']}/admissions", shelter,
                       json={"reference": reference, "case_manager": "staff.cm2"})
    assert admitted.status_code == 201
    net.wait_status(reference, "admitted", shelter)
    assert net.api("GET", f"/referrals/{reference}/status", police).json()["status"] == "consent_withdrawn"

    # given again, for a purpose and until a day: status flows again, at once
    state = record_consent(net, shelter, reference, "referring_police", True,
                     purpose="follow-up of the prosecution", until="2099-12-31")
    assert state["referring_police"]["until"].startswith("2099-12-31")
    assert net.api("GET", f"/referrals/{reference}/status", police).json()["status"] == "admitted"
    assert [h["share"] for h in state["history"] if h["audience"] == "referring_police"] == [False, True]
    # another agency never learns anything, consent or not
    other = net.token("police", agency="another-unit")
    assert net.api("GET", f"/referrals/{reference}/status", other).status_code == 404


def test_withdrawn_consent_to_the_legal_team_holds_at_the_next_read(net):
    police, shelter, lawyer = net.token("police"), net.token("shelter"), net.token("legal")
    reference = accepted_referral(net, police, shelter)
    poll(lambda: reference in [e["reference"] for e in net.api("GET", "/legal/eligible", lawyer).json()],
         "eligibility")
    case_id = net.api("POST", "/legal/cases", lawyer,
                      json={"reference": reference, "lawyer": "l1"}).json()["case_id"]
    assert net.api("GET", f"/legal/cases/{case_id}", lawyer).status_code == 200

    record_consent(net, shelter, reference, "legal_team", False)
    # the very next reads, in the referral service and in the legal service
    status = net.api("GET", f"/referrals/{reference}/status", lawyer).json()
    assert status["status"] == "consent_withdrawn" and len(status["timeline"]) == 1
    assert net.api("GET", f"/legal/cases/{case_id}", lawyer).status_code == 404
    assert case_id not in net.api("GET", "/legal/cases", lawyer).text
    eligible = {e["reference"]: e for e in net.api("GET", "/legal/eligible", lawyer).json()}
    assert eligible[reference]["status"] == "consent_withdrawn"
    assert net.api("POST", f"/legal/cases/{case_id}/notes", lawyer, json={"text": "x"}).status_code == 404
    assert reference not in [i["reference"] for i in net.api("GET", "/referrals", lawyer).json()["items"]]

    record_consent(net, shelter, reference, "legal_team", True, purpose="representation at trial")
    assert net.api("GET", f"/legal/cases/{case_id}", lawyer).status_code == 200


def test_consent_withdrawn_before_acceptance_never_reaches_the_legal_team(net):
    """No new event carries the referral to the legal team: referral.accepted says
    legal_consent false, and the legal service shows only that consent was withdrawn."""
    police, shelter, lawyer = net.token("police"), net.token("shelter"), net.token("legal")
    r = net.api("POST", "/referrals", police, json=CANONICAL)
    reference = r.json()["reference"]
    net.wait_status(reference, "received", police)
    record_consent(net, shelter, reference, "legal_team", False)
    assert net.api("POST", f"/referrals/{reference}/decision", shelter,
                   json={"decision": "accept"}).status_code == 200
    net.wait_status(reference, "bed_held", police)

    def accepted_events():
        return [m for m in net.tap.drain() if m["payload"].get("reference") == reference
                and m["type"] == "referral.accepted"]
    events = poll(accepted_events, "referral.accepted")
    assert all(m["payload"]["legal_consent"] is False for m in events)
    poll(lambda: {e["reference"]: e["status"] for e in net.api("GET", "/legal/eligible", lawyer).json()}
         .get(reference) == "consent_withdrawn", "the legal service to know the acceptance")
    opened = net.api("POST", "/legal/cases", lawyer, json={"reference": reference, "lawyer": "l1"})
    assert opened.status_code == 404


def test_consent_is_recorded_by_shelter_staff_only_and_checked(net, world):
    reference = world["reference"]
    for role in ("police", "legal", "court", "admin", "analyst", "partner"):
        r = net.api("POST", f"/referrals/{reference}/consent", world["tokens"][(role, "own")],
                    json={"audience": "legal_team", "share": False})
        assert r.status_code == 403
    shelter = world["tokens"][("shelter", "own")]
    r = net.api("POST", f"/referrals/{reference}/consent", shelter,
                json={"audience": "legal_team", "share": True})
    assert r.status_code == 422 and r.json()["field"] == "purpose"
    r = net.api("POST", f"/referrals/{reference}/consent", shelter,
                json={"audience": "legal_team", "share": True, "purpose": "p", "until": "2001-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "until"
    r = net.api("POST", "/referrals/RN-AAAA-AAAA-AAAA-AAAA/consent", shelter,
                json={"audience": "legal_team", "share": False})
    assert r.status_code == 404


def test_another_provider_reads_and_records_no_consent_and_finds_nothing_by_name(net, world):
    """Consent and the search by name are the holder's (docs/decisions/0039): a shelter
    identity of another agency gets 404 on the world's consent, with a valid body too, and an
    empty search for the survivor's name; nothing changes."""
    reference, other = world["reference"], world["tokens"][("shelter", "other")]
    before = net.api("GET", f"/referrals/{reference}/consent", world["tokens"][("shelter", "own")])
    assert before.status_code == 200
    assert net.api("GET", f"/referrals/{reference}/consent", other).status_code == 404
    for body in ({"audience": "legal_team", "share": False},
                 {"audience": "provider", "agency": "another-shelter", "share": True,
                  "purpose": "placement"}):
        r = net.api("POST", f"/referrals/{reference}/consent", other, json=body)
        assert r.status_code == 404 and r.json()["field"] == "reference", r.text
    found = net.api("POST", "/referrals/search", other, json={"name": PLANTED_NAME})
    assert found.status_code == 200 and found.json() == [], found.text
    after = net.api("GET", f"/referrals/{reference}/consent", world["tokens"][("shelter", "own")])
    assert after.json() == before.json()


# --- 3. audit trail --------------------------------------------------------------------------------

def test_file_reads_and_changes_are_audited_and_admins_query_them(net, world):
    reference, shelter = world["reference"], world["tokens"][("shelter", "own")]
    request_id = f"audit-{uuid.uuid4().hex[:12]}"
    assert net.api("GET", f"/referrals/{reference}", shelter,
                   headers={"X-Request-ID": request_id}).status_code == 200
    admin = world["tokens"][("admin", "own")]
    trail = net.api("GET", "/audit", admin, params={"object": f"referral:{reference}"})
    assert trail.status_code == 200, trail.text
    entries = trail.json()
    read = next(e for e in entries if e["correlation_id"] == request_id)
    assert (read["actor"], read["role"], read["agency"], read["action"], read["outcome"]) == (
        "intake.own", "shelter", "erbil-shelter", "referral.read_file", "ok")
    assert read["at"].endswith("+00:00")
    assert {"referral.submit", "referral.read_file", "referral.search_by_name"} <= {
        e["action"] for e in net.api("GET", "/audit", admin, params={"actor": "intake.own"}).json()
        + entries} | {"referral.submit"}
    # a refused read leaves a trace too
    net.api("GET", f"/referrals/{reference}/status", world["tokens"][("police", "other")])
    denied = net.api("GET", "/audit", admin, params={"actor": "officer.other"}).json()
    assert any(e["outcome"] == "not_found" for e in denied)
    legal = net.api("GET", "/audit", admin, params={"service": "legal", "actor": "lawyer.own"}).json()
    assert {"legal_case.open", "legal_case.add_note", "hearing.schedule"} <= {e["action"] for e in legal}
    shelter_trail = net.api("GET", "/audit", admin, params={"service": "shelter",
                                                            "object": f"referral:{reference}"}).json()
    assert {"referral.decide", "admission.admit"} <= {e["action"] for e in shelter_trail}
    assert net.api("GET", "/audit", shelter).status_code == 403
    assert PLANTED_NAME not in json.dumps(entries)


def test_audit_verify_names_an_edited_a_deleted_and_a_cut_entry(net, world):
    ok = refnet(net, "audit", "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "chain intact" in ok.stdout
    referral_db = net.env["REFERRAL_DATABASE_URL"].split("///", 1)[1]
    legal_db = net.env["LEGAL_DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(referral_db) as db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the app cannot
            db.execute("UPDATE audit_log SET actor = 'nobody' WHERE id = 2")
        db.execute("DROP TRIGGER audit_log_no_update")  # someone with the database file can
        db.execute("UPDATE audit_log SET actor = 'nobody' WHERE id = 2")
    with sqlite3.connect(legal_db) as db:
        db.execute("DROP TRIGGER audit_log_no_delete")
        db.execute("DELETE FROM audit_log WHERE id = 3")
    shelter_db = net.env["SHELTER_DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(shelter_db) as db:  # the last two entries cut: the rest is intact
        last = db.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        db.execute("DROP TRIGGER audit_log_no_delete")
        db.execute("DELETE FROM audit_log WHERE id >= ?", (last - 1,))
    bad = refnet(net, "audit", "verify")
    assert bad.returncode == 1
    assert "referral: entry 2 edited" in bad.stdout
    assert "legal: entries 3 to 3 deleted" in bad.stdout
    assert f"shelter: entries {last - 1} to {last} cut from the end" in bad.stdout


# --- 4. sign-in hardening --------------------------------------------------------------------------

def test_bad_expired_none_and_revoked_tokens_get_401(net):
    secret = net.secrets["REFNET_TOKEN_SECRET"]
    path = "/shelters/availability"
    assert net.api("GET", path, net.token("police")).status_code == 200
    expired = issue_token(secret, user="u1", role="police", agency="a", ttl=-60)
    other_secret = issue_token("x" * 64, user="u1", role="police", agency="a")
    claims = jwt.decode(net.token("police"), options={"verify_signature": False})
    none = jwt.encode(claims, None, algorithm="none")
    for token in (expired, other_secret, none, "not-a-token"):
        r = net.api("GET", path, token)
        assert r.status_code == 401 and r.json()["code"] == "invalid-token"

    token = net.token("police", user="revoked.by.jti")
    assert net.api("GET", path, token).status_code == 200
    done = refnet(net, "revoke-token", token)
    assert done.returncode == 0, done.stderr
    assert net.api("GET", path, token).status_code == 401

    a, b = net.token("shelter", user="revoked.user"), net.token("legal", user="revoked.user")
    assert refnet(net, "revoke-token", "--user", "revoked.user").returncode == 0
    assert net.api("GET", path, a).status_code == 401 and net.api("GET", path, b).status_code == 401

    admin, victim = net.token("admin"), net.token("court", user="revoked.by.api")
    jti = jwt.decode(victim, options={"verify_signature": False})["jti"]
    assert net.api("POST", "/admin/revocations", admin, json={"jti": jti}).status_code == 200
    assert net.api("GET", path, victim).status_code == 401


def test_body_and_page_limits(net):
    police = net.token("police")
    big = net.api("POST", "/referrals", police, data=b"{" + b" " * (70 * 1024) + b"}",
                  headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    assert net.api("GET", "/referrals", police, params={"limit": 101}).status_code == 422


# --- 5. encryption: key rotation and the keyed name hash ---------------------------------------------

def test_rotate_keys_reencrypts_every_file_with_the_newest_key(net, world):
    old = net.secrets["REFNET_FILE_KEYS"]
    new = FileCipher.new_key()
    db_path = net.env["REFERRAL_DATABASE_URL"].split("///", 1)[1]
    legal_db = net.env["LEGAL_DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(legal_db) as db:  # legal notes are narrative: encrypted at rest too
        stored = [r[0] for r in db.execute("SELECT text FROM legal_notes")]
    assert stored and all(t.startswith("fernet:") for t in stored) and NOTE not in repr(stored)
    rotated = refnet(net, "rotate-keys", env={"REFNET_FILE_KEYS": f"{new},{old}"})
    assert rotated.returncode == 0, rotated.stderr
    assert "legal: " in rotated.stdout
    with sqlite3.connect(db_path) as db:
        files = [r[0] for r in db.execute("SELECT file_ciphertext FROM referrals")]
        digests = [r[0] for r in db.execute("SELECT name_digest FROM referrals") if r[0]]
    assert files
    only_new = FileCipher(new)
    assert any(PLANTED_NAME.encode() in only_new.decrypt(f) for f in files)
    with pytest.raises(Exception):
        FileCipher(old).decrypt(files[0])
    assert all(len(d) == 64 for d in digests)  # keyed hashes, not names
    with sqlite3.connect(legal_db) as db:
        note = db.execute("SELECT text FROM legal_notes LIMIT 1").fetchone()[0]
    assert only_new.decrypt(note[len("fernet:"):].encode())
    # back to the key the running services hold
    assert refnet(net, "rotate-keys", env={"REFNET_FILE_KEYS": f"{old},{new}"}).returncode == 0
    assert net.api("GET", f"/referrals/{world['reference']}", world["tokens"][("shelter", "own")]).status_code == 200
    case = net.api("GET", f"/legal/cases/{world['case_id']}", world["tokens"][("legal", "own")]).json()
    assert NOTE in [n["text"] for n in case["notes"]]


# --- 7. retention ----------------------------------------------------------------------------------

def test_ended_referrals_are_anonymised_and_counts_survive(net):
    police, shelter = net.token("police"), net.token("shelter")
    r = net.api("POST", "/referrals", police, json=CANONICAL)
    reference = r.json()["reference"]
    net.wait_status(reference, "received", police)
    assert net.api("POST", f"/referrals/{reference}/withdraw", police,
                   json={"reason_code": "placed_elsewhere", "reason": "moved away"}).status_code == 200
    before = len(net.api("GET", "/referrals", shelter, params={"status": "withdrawn"}).json()["items"])
    kept = refnet(net, "anonymise", "--days", "36500")
    assert kept.returncode == 0 and " 0 referral" in kept.stdout
    done = refnet(net, "anonymise", "--days", "0")
    assert done.returncode == 0, done.stderr
    file = net.api("GET", f"/referrals/{reference}", shelter).json()
    assert file["anonymised"] is True and file["submission"] is None
    assert file["population_group"] == "children" and file["status"] == "withdrawn"
    status = net.api("GET", f"/referrals/{reference}/status", shelter).json()
    assert "moved away" not in json.dumps(status)
    after = len(net.api("GET", "/referrals", shelter, params={"status": "withdrawn"}).json()["items"])
    assert after == before


# --- 8. the planted name and phone are nowhere ------------------------------------------------------

def _needles():
    out = []
    for value in (PLANTED_NAME, PLANTED_PHONE, PLANTED_PHONE[1:], PLANTED_STORY_PLACE):
        out += [value.encode(), value.encode("utf-16-le"), value.encode().hex().encode()]
    out += [PLANTED_NAME.split()[1].encode(), PLANTED_NAME.lower().encode()]
    return out


def _leaks(blob: bytes) -> list[bytes]:
    return [n for n in _needles() if n in blob]


def _check_everything(net, dumps: dict[str, bytes]):
    found = {}
    for where, blob in dumps.items():
        if _leaks(blob):
            found[where] = _leaks(blob)
    for path in sorted(net.logs.glob("*.log")):
        if _leaks(path.read_bytes()):
            found[f"log {path.name}"] = _leaks(path.read_bytes())
    messages = json.dumps(net.tap.drain()).encode()
    assert len(messages) > 1000  # the tap did capture the flow
    if _leaks(messages):
        found["broker messages"] = _leaks(messages)
    assert found == {}


def test_planted_name_and_phone_are_in_no_sqlite_file_message_or_log(net, world):
    files = {p.name: p.read_bytes() for p in net.workdir.iterdir()
             if p.is_file() and (p.suffix in (".db",) or p.name.endswith(("-wal", "-shm", ".db-journal")))}
    assert {"referral.db", "shelter.db", "legal.db", "notify.db", "gateway.db"} <= set(files)
    _check_everything(net, files)


@pytest.mark.postgres
def test_planted_name_and_phone_are_in_no_postgresql_dump_message_or_log(tmp_path_factory):
    from refnet.harness.postgres import create_database, drop_database
    name, uri = create_vhost("refnet-e2e-privacy-pg")
    connection = pg = None
    urls = {}
    try:
        connection, queue, tap = _tap(uri)
        for s in ("referral", "shelter", "legal", "notify", "gateway"):
            urls[s] = create_database(f"refnet_priv_{s}")
        gateway_url = urls.pop("gateway")
        pg = Network(tmp_path_factory.mktemp("privacy-pg"), uri, database_urls=urls,
                     extra_env={"REFNET_GATEWAY_DATABASE_URL": gateway_url})
        pg.tap = tap
        urls["gateway"] = gateway_url
        pg.prepare()
        pg.start()
        pg.wait_ready()
        pg.seed_facility()
        build_world(pg)
        dumps = {}
        for label, url in urls.items():
            plain = url.replace("postgresql+psycopg2://", "postgresql://")
            out = subprocess.run(["pg_dump", "--no-owner", plain], capture_output=True, timeout=120)
            assert out.returncode == 0, out.stderr
            dumps[f"pg_dump {label}"] = out.stdout
        assert b"audit_log" in dumps["pg_dump referral"]
        _check_everything(pg, dumps)
    finally:
        if pg is not None:
            pg.stop()
        if connection is not None:
            tap.connection.release()
        delete_vhost(name)
        for url in urls.values():
            drop_database(url)
