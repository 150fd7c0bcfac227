"""Attachments (issue 21), over real processes and HTTP on SQLite and on PostgreSQL: documents
uploaded (``multipart/form-data``: ``kind`` and ``file``) to the service that owns the record,
an identity scan on a referral, a medical report on a care plan, a power of attorney or a court
summons on a legal case.

* each owner: the roles allowed add, list and download (the exact bytes, the type found by the
  content, the headers of a download); the roles refused and other agencies get 403 or 404;
* bad uploads (not multipart, too large, no file, empty, not a PDF/JPEG/PNG by content, a kind
  that is not the owner's) are refused naming the field, and nothing changes;
* every add, list and read is in the owning service's audit trail;
* a planted name in a file's content and name is in no log line, event or error body;
* retention deletes the documents of ended referrals (`refnet anonymise --days 0`), ended stays
  and closed legal cases (the shelter's and the legal service's own retention sweeps).

One network per database (``REFNET_ATTACHMENT_MAX_BYTES`` 64 KiB, so "too large" is cheap; the
shelter's and the legal service's retention sweeps every second with no days to wait, so an
ended stay or a closed case is anonymised as soon as it ends). Every wait is a poll.
"""

import base64
import json
import re
import subprocess
import uuid
from urllib.parse import quote

import pytest
from werkzeug.http import parse_options_header

from refnet import demo
from refnet.harness.network import BIN, ROOT
from refnet.harness.polling import poll
from tests.e2e.conftest import ON_BOTH_DATABASES, network_on, record_consent, submit
from tests.e2e.conftest import ok as _ok, refused as _refused

FACILITY = demo.FACILITY["id"]
PROVIDER = demo.FACILITY["provider"]
OTHER_PROVIDER = next(u["agency"] for u in demo.USERS
                      if u["role"] == "shelter" and u["agency"] != PROVIDER)
LIMIT = 64 * 1024
UNKNOWN_REFERENCE = "RN-AAAA-AAAA-AAAA-AAAA"
PLANTED = "Quillmarsh Odette"  # in a file's content and name; nowhere else in this module

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
       b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        b"\xff\xdb\x00\x43\x00" + bytes(range(1, 65)) + b"\xff\xd9")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,;"
TEXT = b"Not a PDF at all, only text that claims to be one.\n"
PDF_TYPE, PNG_TYPE, JPEG_TYPE = "application/pdf", "image/png", "image/jpeg"
METADATA = {"attachment_id", "kind", "media_type", "size", "file_name", "uploaded_by", "uploaded_at"}
NON_ASCII_NAME = "pasaportê-şkenandî.jpg"


def pdf_of(size: int, text: bytes = b"") -> bytes:
    """A PDF of exactly ``size`` bytes (padded with a comment)."""
    head, tail = b"%PDF-1.4\n% " + text + b"\n%", b"\n%%EOF\n"
    assert size >= len(head) + len(tail)
    return head + b"x" * (size - len(head) - len(tail)) + tail


@pytest.fixture(scope="module", params=ON_BOTH_DATABASES)
def net(request, tmp_path_factory):
    yield from network_on(request.param, tmp_path_factory, "attachments", extra_env={
        "REFNET_ATTACHMENT_MAX_BYTES": str(LIMIT),
        # retention at the shelter and the legal service: as soon as a stay ends or a case closes
        "REFNET_SHELTER_RETENTION_DAYS": "0", "REFNET_SHELTER_RETENTION_SWEEP_SECONDS": "1",
        "REFNET_LEGAL_RETENTION_DAYS": "0", "REFNET_LEGAL_RETENTION_SWEEP_SECONDS": "1",
    }, tap_key="#")


# --- helpers ---------------------------------------------------------------------------------------

def _problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
    return response.json()


def upload(net, token, path, kind, name, content, claimed="application/octet-stream", **kw):
    """``POST path`` as multipart: the ``kind`` field and the ``file`` part (``name``, content,
    the media type the client claims)."""
    parts = [("kind", (None, kind))] if kind is not None else []
    if content is not None:
        parts.append(("file", (name, content, claimed)))
    return net.api("POST", path, token, files=parts, **kw)


def listed(net, token, path, **kw) -> list[dict]:
    body = _ok(net.api("GET", path, token, **kw))
    assert isinstance(body, list), body
    for item in body:
        assert set(item) == METADATA, item  # metadata only: never the content
    return body


def _added(response, kind, media_type, content, name, user) -> dict:
    added = _ok(response, 201)
    assert set(added) == METADATA, added
    assert (added["kind"], added["media_type"], added["size"], added["file_name"],
            added["uploaded_by"]) == (kind, media_type, len(content), name, user), added
    assert len(added["attachment_id"]) == 32 and added["uploaded_at"]
    return added


def downloaded(net, token, path, added: dict, content: bytes, media_type: str):
    """The attachment's exact bytes, with the headers of a download."""
    r = net.api("GET", f"{path}/{added['attachment_id']}", token)
    assert r.status_code == 200, r.text
    assert r.content == content
    assert r.headers["Content-Type"] == media_type
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r.headers["Cache-Control"]
    disposition = r.headers["Content-Disposition"]
    value, params = parse_options_header(disposition)  # a token or a quoted string: the same
    name = added["file_name"]
    assert value == "attachment" and params.get("filename") == name, disposition
    if not name.isascii():  # an ASCII fallback, and the name in UTF-8 (RFC 6266)
        assert re.search(r'(^|;)\s*filename=[^;*]', disposition), disposition
        assert f"filename*=UTF-8''{quote(name)}" in disposition, disposition
    return r


def same(items, expected) -> bool:
    """The same attachments, whatever the order of the listing."""
    key = lambda i: i["attachment_id"]  # noqa: E731
    return sorted(items, key=key) == sorted(expected, key=key)


def _accepted(net, police, staff) -> str:
    reference = submit(net, police).json()["reference"]
    net.wait_status(reference, "received", police)
    _ok(net.api("POST", f"/referrals/{reference}/decision", staff, json={"decision": "accept"}))
    net.wait_status(reference, "bed_held", police)
    return reference


def _admitted(net, police, staff, case_manager) -> tuple[str, int, int]:
    reference = _accepted(net, police, staff)
    admitted = _ok(net.api("POST", f"/shelters/{FACILITY}/admissions", staff,
                           json={"reference": reference, "case_manager": case_manager}), 201)
    return reference, admitted["plan_id"], admitted["admission_id"]


def _legal_case(net, lawyer, reference, user) -> str:
    poll(lambda: reference in [e["reference"] for e in _ok(net.api("GET", "/legal/eligible", lawyer))],
         "eligibility")
    return _ok(net.api("POST", "/legal/cases", lawyer, json={"reference": reference, "lawyer": user}),
               201)["case_id"]


@pytest.fixture(scope="module")
def world(net):
    """A referral of a police unit of its own, held by the network's shelter, accepted and
    admitted (a plan with its case manager and psychologist), with a legal case."""
    unit = f"tip-att-{uuid.uuid4().hex[:6]}"
    users = {"police": "officer.att", "intake": "intake.att", "cm": "cm.att", "psy": "psy.att",
             "lawyer": "lawyer.att"}
    t = {"police": net.token("police", agency=unit, user=users["police"]),
         "other_police": net.token("police", agency=f"tip-att-other-{uuid.uuid4().hex[:6]}",
                                   user="officer.elsewhere"),
         "intake": net.token("shelter", user=users["intake"]),
         "cm": net.token("shelter", user=users["cm"]),
         "psy": net.token("shelter", user=users["psy"]),
         "other_shelter": net.token("shelter", agency=OTHER_PROVIDER, user=users["cm"]),
         "lawyer": net.token("legal", user=users["lawyer"]),
         "court": net.token("court", agency="erbil-criminal-court", user="clerk.att"),
         "analyst": net.token("analyst", user="analyst.att"),
         "partner": net.token("partner", agency="intl-return-org", user="partner.att"),
         "admin": net.token("admin", user="admin.att")}
    reference, plan_id, admission_id = _admitted(net, t["police"], t["intake"], users["cm"])
    _ok(net.api("PUT", f"/shelter/plans/{plan_id}", t["cm"], json={"psychologist": users["psy"]}))
    case_id = _legal_case(net, t["lawyer"], reference, users["lawyer"])
    return {"reference": reference, "plan_id": plan_id, "case_id": case_id, "tokens": t,
            "users": users,
            "paths": {"referral": f"/referrals/{reference}/attachments",
                      "plan": f"/shelter/plans/{plan_id}/attachments",
                      "legal": f"/legal/cases/{case_id}/attachments"}}


# --- each owner: who adds, lists and reads ---------------------------------------------------------

def test_an_identity_scan_is_added_by_the_referring_police_and_the_holder_and_read_by_the_holder(
        net, world):
    t, u, path = world["tokens"], world["users"], world["paths"]["referral"]
    before = listed(net, t["intake"], path)

    scan = _added(upload(net, t["police"], path, "identity_scan", "passport.pdf", PDF, PDF_TYPE),
                  "identity_scan", PDF_TYPE, PDF, "passport.pdf", u["police"])
    photo = _added(upload(net, t["intake"], path, "identity_scan", NON_ASCII_NAME, JPEG, JPEG_TYPE),
                   "identity_scan", JPEG_TYPE, JPEG, NON_ASCII_NAME, u["intake"])
    after = listed(net, t["intake"], path)
    assert same(after, before + [scan, photo])
    # the file carries the same list, for the same readers (its read is the audited one)
    assert same(_ok(net.api("GET", f"/referrals/{world['reference']}", t["intake"]))["attachments"],
                after)
    downloaded(net, t["intake"], path, scan, PDF, PDF_TYPE)
    downloaded(net, t["intake"], path, photo, JPEG, JPEG_TYPE)

    # the police add and never read back (status, not files)
    for target in (path, f"{path}/{scan['attachment_id']}"):
        _problem(net.api("GET", target, t["police"]), 403)
    # another police unit and another provider learn nothing of the referral
    _refused(upload(net, t["other_police"], path, "identity_scan", "x.pdf", PDF), 404, "reference")
    _refused(upload(net, t["other_shelter"], path, "identity_scan", "x.pdf", PDF), 404, "reference")
    for target in (path, f"{path}/{scan['attachment_id']}"):
        elsewhere = net.api("GET", target, t["other_shelter"])
        _refused(elsewhere, 404, "reference")
        assert "passport" not in elsewhere.text
    # roles that have nothing to do with the file
    for role in ("lawyer", "court", "analyst", "partner", "admin"):
        _problem(upload(net, t[role], path, "identity_scan", "x.pdf", PDF), 403)
        _problem(net.api("GET", path, t[role]), 403)
        _problem(net.api("GET", f"{path}/{scan['attachment_id']}", t[role]), 403)
    # the holder without the survivor's consent to share the file with it: neither adds nor reads
    record_consent(net, t["intake"], world["reference"], "provider", False, agency=PROVIDER)
    try:  # it knows the referral (it holds it): 403, not 404
        _problem(upload(net, t["intake"], path, "identity_scan", "y.pdf", PDF), 403)
        _problem(net.api("GET", path, t["intake"]), 403)
        _problem(net.api("GET", f"{path}/{scan['attachment_id']}", t["intake"]), 403)
    finally:
        record_consent(net, t["intake"], world["reference"], "provider", True, agency=PROVIDER,
                       purpose="placement and care")
    # unknown referral, unknown attachment
    _refused(upload(net, t["intake"], f"/referrals/{UNKNOWN_REFERENCE}/attachments",
                    "identity_scan", "x.pdf", PDF), 404, "reference")
    _refused(net.api("GET", f"/referrals/{UNKNOWN_REFERENCE}/attachments", t["intake"]), 404,
             "reference")
    _refused(net.api("GET", f"{path}/{uuid.uuid4().hex}", t["intake"]), 404, "attachment_id")
    assert same(listed(net, t["intake"], path), after)  # nothing of the refusals was kept


def test_a_medical_report_is_added_by_the_providers_staff_and_read_by_case_manager_and_psychologist(
        net, world):
    t, u, path = world["tokens"], world["users"], world["paths"]["plan"]
    before = listed(net, t["cm"], path)

    report = _added(upload(net, t["intake"], path, "medical_report", "clinic-report.png", PNG,
                           PNG_TYPE), "medical_report", PNG_TYPE, PNG, "clinic-report.png",
                    u["intake"])
    letter = _added(upload(net, t["psy"], path, "medical_report", "referral-letter.pdf", PDF,
                           PDF_TYPE), "medical_report", PDF_TYPE, PDF, "referral-letter.pdf",
                    u["psy"])
    after = listed(net, t["cm"], path)
    assert same(after, before + [report, letter])
    assert same(listed(net, t["psy"], path), after)
    for reader in ("cm", "psy"):
        downloaded(net, t[reader], path, report, PNG, PNG_TYPE)
        downloaded(net, t[reader], path, letter, PDF, PDF_TYPE)

    # other staff of the provider add, and do not read (like the screening result)
    for target in (path, f"{path}/{report['attachment_id']}"):
        _problem(net.api("GET", target, t["intake"]), 403)
    # another provider's staff: no such plan; other roles: refused
    _problem(upload(net, t["other_shelter"], path, "medical_report", "x.pdf", PDF), 404)
    for target in (path, f"{path}/{report['attachment_id']}"):
        _problem(net.api("GET", target, t["other_shelter"]), 404)
    for role in ("police", "lawyer", "court", "analyst", "partner", "admin"):
        _problem(upload(net, t[role], path, "medical_report", "x.pdf", PDF), 403)
        _problem(net.api("GET", path, t[role]), 403)
        _problem(net.api("GET", f"{path}/{report['attachment_id']}", t[role]), 403)
    # unknown plan, unknown attachment
    _problem(upload(net, t["cm"], "/shelter/plans/987654321/attachments", "medical_report",
                    "x.pdf", PDF), 404)
    _problem(net.api("GET", "/shelter/plans/987654321/attachments", t["cm"]), 404)
    _refused(net.api("GET", f"{path}/{uuid.uuid4().hex}", t["cm"]), 404, "attachment_id")
    assert same(listed(net, t["cm"], path), after)


def test_a_legal_case_takes_a_power_of_attorney_and_a_court_summons_while_consent_stands(net, world):
    t, u, path = world["tokens"], world["users"], world["paths"]["legal"]
    before = listed(net, t["lawyer"], path)

    power = _added(upload(net, t["lawyer"], path, "power_of_attorney", "wakala.pdf", PDF, PDF_TYPE),
                   "power_of_attorney", PDF_TYPE, PDF, "wakala.pdf", u["lawyer"])
    summons = _added(upload(net, t["lawyer"], path, "court_summons", "summons.jpg", JPEG,
                            JPEG_TYPE), "court_summons", JPEG_TYPE, JPEG, "summons.jpg",
                     u["lawyer"])
    after = listed(net, t["lawyer"], path)
    assert same(after, before + [power, summons])
    downloaded(net, t["lawyer"], path, power, PDF, PDF_TYPE)
    downloaded(net, t["lawyer"], path, summons, JPEG, JPEG_TYPE)

    for role in ("police", "intake", "cm", "court", "analyst", "partner", "admin"):
        _problem(upload(net, t[role], path, "court_summons", "x.pdf", PDF), 403)
        _problem(net.api("GET", path, t[role]), 403)
        _problem(net.api("GET", f"{path}/{power['attachment_id']}", t[role]), 403)
    unknown_case = f"/legal/cases/{'f' * 32}/attachments"
    _problem(upload(net, t["lawyer"], unknown_case, "court_summons", "x.pdf", PDF), 404)
    _problem(net.api("GET", unknown_case, t["lawyer"]), 404)
    _refused(net.api("GET", f"{path}/{uuid.uuid4().hex}", t["lawyer"]), 404, "attachment_id")

    # consent to legal help withdrawn: the case and its documents are gone for the legal team
    record_consent(net, t["intake"], world["reference"], "legal_team", False)
    try:
        _problem(upload(net, t["lawyer"], path, "court_summons", "late.pdf", PDF), 404)
        _problem(net.api("GET", path, t["lawyer"]), 404)
        hidden = net.api("GET", f"{path}/{power['attachment_id']}", t["lawyer"])
        _problem(hidden, 404)
    finally:
        record_consent(net, t["intake"], world["reference"], "legal_team", True,
                       purpose="representation at trial")
    assert same(listed(net, t["lawyer"], path), after)  # given again: the same documents, no more


# --- bad uploads: refused naming the field, nothing changed ----------------------------------------

@pytest.mark.parametrize("owner, reader, kind, foreign_kind", [
    ("referral", "intake", "identity_scan", "medical_report"),
    ("plan", "cm", "medical_report", "power_of_attorney"),
    ("legal", "lawyer", "court_summons", "identity_scan"),
])
def test_bad_uploads_are_refused_naming_the_field_and_change_nothing(net, world, owner, reader,
                                                                     kind, foreign_kind):
    token, path = world["tokens"][reader], world["paths"][owner]
    before = listed(net, token, path)
    refusals = [
        ("a JSON body", net.api("POST", path, token, json={
            "kind": kind, "file": base64.b64encode(PDF).decode()}), 415, None),
        ("a form that is not multipart", net.api("POST", path, token, data={"kind": kind}),
         415, None),
        ("one byte over the limit", upload(net, token, path, kind, "big.pdf", pdf_of(LIMIT + 1)),
         413, "file"),
        ("four times the limit", upload(net, token, path, kind, "big.pdf", pdf_of(4 * LIMIT)),
         413, "file"),
        ("no file part", upload(net, token, path, kind, None, None), 422, "file"),
        ("an empty file", upload(net, token, path, kind, "empty.pdf", b""), 422, "file"),
        ("a GIF", upload(net, token, path, kind, "scan.gif", GIF, "image/gif"), 422, "file"),
        ("text named x.pdf", upload(net, token, path, kind, "x.pdf", TEXT, PDF_TYPE), 422, "file"),
        ("another owner's kind", upload(net, token, path, foreign_kind, "x.pdf", PDF), 422, "kind"),
        ("an unknown kind", upload(net, token, path, "selfie", "x.pdf", PDF), 422, "kind"),
        ("no kind", upload(net, token, path, None, "x.pdf", PDF), 422, "kind"),
    ]
    for what, response, status, field in refusals:
        if field is None:
            _problem(response, status)
        else:
            _refused(response, status, field)
        assert same(listed(net, token, path), before), what

    # the content decides: a PNG named scan.pdf is a PNG; a file of exactly the limit is taken
    png = _added(upload(net, token, path, kind, "scan.pdf", PNG, PDF_TYPE), kind, PNG_TYPE, PNG,
                 "scan.pdf", f"{reader}.att")
    downloaded(net, token, path, png, PNG, PNG_TYPE)
    whole = pdf_of(LIMIT)
    largest = _added(upload(net, token, path, kind, "largest.pdf", whole), kind, PDF_TYPE, whole,
                     "largest.pdf", f"{reader}.att")
    downloaded(net, token, path, largest, whole, PDF_TYPE)
    assert same(listed(net, token, path), before + [png, largest])


# --- the audit trail -------------------------------------------------------------------------------

@pytest.mark.parametrize("owner, service, reader, kind, prefix", [
    ("referral", "referral", "intake", "identity_scan", "referral:"),
    ("plan", "shelter", "cm", "medical_report", "care_plan:"),
    ("legal", "legal", "lawyer", "power_of_attorney", "legal_case:"),
])
def test_every_add_list_and_read_is_audited(net, world, owner, service, reader, kind, prefix):
    token, path = world["tokens"][reader], world["paths"][owner]
    owner_id = {"referral": world["reference"], "plan": str(world["plan_id"]),
                "legal": world["case_id"]}[owner]
    ids = {step: f"att-{step}-{uuid.uuid4().hex[:12]}" for step in ("add", "list", "read", "miss")}
    added = _ok(upload(net, token, path, kind, "audited.pdf", PDF,
                       headers={"X-Request-ID": ids["add"]}), 201)
    listed(net, token, path, headers={"X-Request-ID": ids["list"]})
    downloaded_again = net.api("GET", f"{path}/{added['attachment_id']}", token,
                               headers={"X-Request-ID": ids["read"]})
    assert downloaded_again.status_code == 200 and downloaded_again.content == PDF
    missing = uuid.uuid4().hex
    assert net.api("GET", f"{path}/{missing}", token,
                   headers={"X-Request-ID": ids["miss"]}).status_code == 404

    admin = world["tokens"]["admin"]
    trail = _ok(net.api("GET", "/audit", admin, params={
        "service": service, "actor": world["users"][reader], "limit": 500}))
    by_request = {e["correlation_id"]: e for e in trail if e.get("correlation_id") in ids.values()}
    assert set(by_request) == set(ids.values()), trail[:10]
    add, listing, read, miss = (by_request[ids[s]] for s in ("add", "list", "read", "miss"))
    assert (add["action"], add["outcome"], add["role"]) == ("attachment.add", "ok", "legal" if
                                                            owner == "legal" else "shelter")
    assert (listing["action"], listing["outcome"]) == ("attachment.list", "ok")
    for entry in (add, listing):
        assert entry["object"] == f"{prefix}{owner_id}", entry
    assert (read["action"], read["outcome"], read["object"]) == (
        "attachment.read", "ok", f"attachment:{added['attachment_id']}")
    assert (miss["action"], miss["object"]) == ("attachment.read", f"attachment:{missing}")
    assert miss["outcome"] != "ok"
    # the admin's trail of the owner itself has the add and the list
    by_object = _ok(net.api("GET", "/audit", admin, params={"service": service,
                                                             "object": add["object"]}))
    assert {ids["add"], ids["list"]} <= {e["correlation_id"] for e in by_object}
    assert "audited.pdf" not in json.dumps(trail)


# --- a planted name: in no log line, event or error ------------------------------------------------

def _needles(contents: list[bytes]) -> list[bytes]:
    out = []
    for value in (PLANTED, PLANTED.lower(), PLANTED.upper(), PLANTED.split()[0]):
        out += [value.encode(), value.encode("utf-16-le"), value.encode().hex().encode()]
    out += [base64.b64encode(c) for c in contents]  # a content logged or sent as RPC text
    return out


def test_a_planted_name_in_a_files_content_and_name_is_in_no_log_event_or_error(net, world):
    t = world["tokens"]
    content = pdf_of(2048, f"Identity of {PLANTED}, born 1999".encode())
    name = f"{PLANTED} passport.pdf"
    # (owner, reader, kind, what a shelter of another provider gets)
    uploads = (("referral", "intake", "identity_scan", 404), ("plan", "cm", "medical_report", 404),
               ("legal", "lawyer", "court_summons", 403))
    errors = []
    for owner, reader, kind, elsewhere in uploads:
        path, token = world["paths"][owner], t[reader]
        response = upload(net, token, path, kind, name, content, PDF_TYPE)
        added = _added(response, kind, PDF_TYPE, content, name, f"{reader}.att")
        assert PLANTED.encode() in response.content  # the needles do find the name where it is
        assert added in listed(net, token, path)
        download = downloaded(net, token, path, added, content, PDF_TYPE)
        assert [n for n in _needles([content]) if n in download.content]  # and the content
        # refused uploads carrying the name, by the content's type, size, kind, and by role
        for response, status in (
                (upload(net, token, path, kind, f"{PLANTED}.gif",
                        b"GIF89a" + PLANTED.encode(), "image/gif"), 422),
                (upload(net, token, path, kind, f"{PLANTED}.pdf",
                        pdf_of(LIMIT + 10, PLANTED.encode())), 413),
                (upload(net, token, path, "selfie", f"{PLANTED}.pdf", content), 422),
                (upload(net, token, path, kind, f"{PLANTED}.pdf", PLANTED.encode()), 422),
                (upload(net, t["other_shelter"], path, kind, f"{PLANTED}.pdf", content), elsewhere),
                (upload(net, t["analyst"], path, kind, f"{PLANTED}.pdf", content), 403)):
            _problem(response, status)
            errors.append(response.content)
    for body in errors:
        assert not [n for n in _needles([content]) if n in body], body

    found = {}
    for log in sorted(net.logs.glob("*.log")):
        leaks = [n for n in _needles([content]) if n in log.read_bytes()]
        if leaks:
            found[f"log {log.name}"] = leaks
    events = net.tap.drain()
    messages = json.dumps(events).encode()
    assert len(events) > 10 and len(messages) > 1000  # the tap did capture the flow
    leaks = [n for n in _needles([content]) if n in messages]
    if leaks:
        found["events"] = leaks
    for service in ("referral", "shelter", "legal"):
        trail = net.api("GET", "/audit", t["admin"], params={"service": service, "limit": 500})
        leaks = [n for n in _needles([content]) if n in trail.content]
        if leaks:
            found[f"audit {service}"] = leaks
    assert found == {}


# --- retention ---------------------------------------------------------------------------------------

def _anonymise(net) -> int:
    """`refnet anonymise --days 0` (the referral service's retention); how many it anonymised."""
    done = subprocess.run([str(BIN / "refnet"), "anonymise", "--days", "0"], env=net.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    counted = re.search(r"referral: (\d+) referral", done.stdout)
    assert counted, done.stdout
    return int(counted.group(1))


def _state(net, token, path, added) -> tuple:
    """(the download's status, the list's status and ids) of a document."""
    download = net.api("GET", f"{path}/{added['attachment_id']}", token)
    listing = net.api("GET", path, token)
    ids = [i["attachment_id"] for i in listing.json()] if listing.status_code == 200 else None
    return download.status_code, listing.status_code, ids


def _gone(state: tuple) -> bool:
    """Retention took the document: the list is empty, or the download is not found."""
    download, listing, ids = state
    return download != 200 and (download == 404 or (listing == 200 and ids == []))


def test_retention_deletes_the_documents_of_ended_referrals_stays_and_closed_cases(net, world):
    t, u = world["tokens"], world["users"]
    police = t["police"]

    # a referral withdrawn by its police: its identity scan goes with the file
    withdrawn = submit(net, police).json()["reference"]
    net.wait_status(withdrawn, "received", police)
    referral_path = f"/referrals/{withdrawn}/attachments"
    scan = _added(upload(net, police, referral_path, "identity_scan", "id.png", PNG), "identity_scan",
                  PNG_TYPE, PNG, "id.png", u["police"])
    # another referral's document is not found under the world's referral
    _refused(net.api("GET", f"{world['paths']['referral']}/{scan['attachment_id']}", t["intake"]),
             404, "attachment_id")
    assert listed(net, t["intake"], referral_path) == [scan]
    _ok(net.api("POST", f"/referrals/{withdrawn}/withdraw", police,
                json={"reason_code": "placed_elsewhere", "reason": "moved away"}))
    net.wait_status(withdrawn, "withdrawn", police)
    assert listed(net, t["intake"], referral_path) == [scan]  # ended, not yet anonymised

    # a stay that ends (discharged as transferred: no follow-up), with a medical report
    _, plan_id, admission_id = _admitted(net, police, t["intake"], u["cm"])
    plan_path = f"/shelter/plans/{plan_id}/attachments"
    report = _added(upload(net, t["intake"], plan_path, "medical_report", "report.pdf", PDF),
                    "medical_report", PDF_TYPE, PDF, "report.pdf", u["intake"])
    assert listed(net, t["cm"], plan_path) == [report]

    # a legal case that closes, with a power of attorney
    represented = _accepted(net, police, t["intake"])
    case_id = _legal_case(net, t["lawyer"], represented, u["lawyer"])
    case_path = f"/legal/cases/{case_id}/attachments"
    power = _added(upload(net, t["lawyer"], case_path, "power_of_attorney", "poa.jpg", JPEG),
                   "power_of_attorney", JPEG_TYPE, JPEG, "poa.jpg", u["lawyer"])
    assert listed(net, t["lawyer"], case_path) == [power]

    # the world's open referral, plan and case, which keep theirs
    kept = {owner: listed(net, t[reader], world["paths"][owner])
            for owner, reader in (("referral", "intake"), ("plan", "cm"), ("legal", "lawyer"))}
    assert all(kept.values()), kept

    _ok(net.api("POST", f"/shelters/{FACILITY}/admissions/{admission_id}/discharge", t["intake"],
                json={"outcome": "transferred"}))
    _ok(net.api("POST", f"/legal/cases/{case_id}/close", t["lawyer"],
                json={"reason_code": "survivor_declined_help"}))
    # the shelter's and the legal service's own sweeps (every second here)
    poll(lambda: _gone(_state(net, t["cm"], plan_path, report)) or None,
         "the ended stay's medical report gone")
    poll(lambda: _gone(_state(net, t["lawyer"], case_path, power)) or None,
         "the closed case's power of attorney gone")
    # the referral service's: `refnet anonymise`
    assert _anonymise(net) >= 1  # the withdrawn referral at least
    for owner, reader in (("referral", "intake"), ("plan", "cm"), ("legal", "lawyer")):
        assert same(listed(net, t[reader], world["paths"][owner]), kept[owner]), owner
    state = _state(net, t["intake"], referral_path, scan)
    assert _gone(state), f"the withdrawn referral's scan after `refnet anonymise`: {state}"
