"""The gateway's attachment endpoints with a fake RPC pool: only the declared roles reach a
service; an upload is checked (multipart, size, a file part, type by content, the kind) before
any call, naming the field and never the file; what a service gets (base64 content); a download
answers the bytes as a file that is never cached or sniffed; service refusals keep their field."""

import base64
import io

import pytest

from gateway import api
from services.common.errors import Forbidden, InvalidInput, NotFound

ATTACHMENT_ENDPOINTS = [e for e in api.ENDPOINTS if "/attachments" in e.path]
REF, PLAN, CASE, ID = "RN-ABCD-EFGH-IJKL-MNOP", "12", "ab" * 16, "cd" * 16
OWNERS = {  # upload path, the service, the key it gets, a kind it keeps
    "referral": (f"/api/v1/referrals/{REF}/attachments", "reference", REF, "identity_scan"),
    "shelter": (f"/api/v1/shelter/plans/{PLAN}/attachments", "plan_id", 12, "medical_report"),
    "legal": (f"/api/v1/legal/cases/{CASE}/attachments", "case_id", CASE, "court_summons"),
}
ROLE = {"referral": "shelter", "shelter": "shelter", "legal": "legal"}
PDF = b"%PDF-1.7\nQuillmarsh Odette\n%%EOF\n"
PLANTED_NAME = "Quillmarsh Odette passport.pdf"
STORED = {"attachment_id": ID, "kind": "identity_scan", "media_type": "application/pdf",
          "size": len(PDF), "file_name": PLANTED_NAME, "uploaded_by": "intake.one",
          "uploaded_at": "2026-12-06T10:00:00Z"}


def _path(endpoint) -> str:
    return "/api/v1" + (endpoint.path.replace("<reference>", REF).replace("<plan_id>", PLAN)
                        .replace("<case_id>", CASE).replace("<attachment_id>", ID))


def _upload(client, headers, path, kind="identity_scan", data=PDF, name=PLANTED_NAME, **more):
    form = {"kind": kind, **more}
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    return client.post(path, headers=headers, data=form, content_type="multipart/form-data")


def test_every_owner_has_an_upload_a_list_and_a_download():
    assert {e.name for e in ATTACHMENT_ENDPOINTS} == {
        f"{verb}_{owner}_attachment{'s' if verb == 'list' else ''}"
        for verb in ("add", "list", "read") for owner in ("referral", "plan", "case")}
    assert all(e.upload == (e.method == "POST") for e in ATTACHMENT_ENDPOINTS)


@pytest.mark.parametrize("endpoint", ATTACHMENT_ENDPOINTS, ids=[e.name for e in ATTACHMENT_ENDPOINTS])
@pytest.mark.parametrize("role", ["police", "shelter", "legal", "court", "admin", "analyst", "partner"])
def test_only_the_declared_roles_reach_a_service(client, rpc, auth, endpoint, role):
    rpc.responses.update({(s, "read_attachment"): {**STORED, "content": base64.b64encode(PDF).decode()}
                          for s in OWNERS})
    if endpoint.upload:
        response = _upload(client, auth(role), _path(endpoint),
                           kind=OWNERS[_service(endpoint)][3])
    else:
        response = client.get(_path(endpoint), headers=auth(role))
    if role in endpoint.roles:
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        assert [call[:2] for call in rpc.calls] == [(_service(endpoint), endpoint.name.split("_")[0]
                                                     + "_attachment" + ("s" if "list" in endpoint.name else ""))]
    else:
        assert response.status_code == 403 and rpc.calls == []


def _service(endpoint) -> str:
    return {"referrals": "referral", "shelter": "shelter", "legal": "legal"}[endpoint.path.split("/")[1]]


@pytest.mark.parametrize("owner", OWNERS)
def test_an_upload_sends_the_kind_the_name_and_the_content_as_base64(client, rpc, auth, owner):
    path, key, value, kind = OWNERS[owner]
    rpc.responses[(owner, "add_attachment")] = STORED
    response = _upload(client, auth(ROLE[owner]), path, kind=kind)
    assert response.status_code == 201 and response.get_json() == STORED
    (service, method, sent), = rpc.calls
    assert (service, method, sent[key], sent["kind"]) == (owner, "add_attachment", value, kind)
    assert sent["file_name"] == PLANTED_NAME and base64.b64decode(sent["content"]) == PDF


def test_the_file_name_is_kept_as_its_last_segment(client, rpc, auth):
    _upload(client, auth("shelter"), OWNERS["referral"][0], name="scans/2026/passport.pdf")
    assert rpc.calls[0][2]["file_name"] == "passport.pdf"


@pytest.mark.parametrize("case,status,field", [
    ("json", 415, "body"),
    ("too large", 413, "file"),
    ("far too large", 413, "file"),
    ("no file part", 422, "file"),
    ("empty", 422, "file"),
    ("a gif", 422, "file"),
    ("text named .pdf", 422, "file"),
    ("another owner's kind", 422, "kind"),
    ("no kind", 422, "kind"),
    ("an unknown field", 422, "reason"),
])
def test_a_refused_upload_names_its_field_and_calls_no_service(client, app, rpc, auth, case,
                                                                status, field):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    path, headers = OWNERS["referral"][0], auth("shelter")
    if case == "json":
        response = client.post(path, headers=headers, json={"kind": "identity_scan"})
    elif case == "no file part":
        response = _upload(client, headers, path, data=None)
    elif case == "no kind":
        response = client.post(path, headers=headers, content_type="multipart/form-data",
                               data={"file": (io.BytesIO(PDF), PLANTED_NAME)})
    else:
        response = _upload(client, headers, path, **{
            "too large": {"data": b"%PDF-" + b"x" * 1024},
            "far too large": {"data": b"%PDF-" + b"x" * 200_000},
            "empty": {"data": b""},
            "a gif": {"data": b"GIF89a" + PLANTED_NAME.encode()},
            "text named .pdf": {"data": PLANTED_NAME.encode()},
            "another owner's kind": {"kind": "medical_report"},
            "no kind": {},
            "an unknown field": {"reason": PLANTED_NAME},
        }[case])
    assert response.status_code == status, response.get_data(as_text=True)
    problem = response.get_json()
    assert response.mimetype == "application/problem+json" and problem["field"] == field
    assert "Quillmarsh" not in response.get_data(as_text=True)
    assert rpc.calls == []


def test_the_limit_is_the_setting_and_a_file_of_that_size_passes(client, app, rpc, auth):
    app.config["ATTACHMENT_MAX_BYTES"] = 2048
    exactly = b"%PDF-" + b"x" * (2048 - 5)
    response = _upload(client, auth("shelter"), OWNERS["referral"][0], data=exactly)
    assert response.status_code == 201
    assert base64.b64decode(rpc.calls[0][2]["content"]) == exactly


@pytest.mark.parametrize("name,disposition", [
    ("scan.pdf", "attachment; filename=scan.pdf"),
    ("passport scan.pdf", 'attachment; filename="passport scan.pdf"'),
    ("جواز.pdf", "attachment; filename=.pdf; filename*=UTF-8''%D8%AC%D9%88%D8%A7%D8%B2.pdf"),
])
def test_a_download_is_the_file_never_cached_nor_sniffed(client, rpc, auth, name, disposition):
    rpc.responses[("referral", "read_attachment")] = {
        **STORED, "file_name": name, "content": base64.b64encode(PDF).decode()}
    response = client.get(f"/api/v1/referrals/{REF}/attachments/{ID}", headers=auth("shelter"))
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert rpc.calls[0][2]["attachment_id"] == ID


@pytest.mark.parametrize("refusal,status", [
    (NotFound("no such attachment", field="attachment_id"), 404),
    (Forbidden("only the plan's case manager and psychologist read its medical reports",
               field="plan"), 403),
    (InvalidInput("the file is not a PDF, JPEG or PNG", field="file"), 422)])
def test_service_refusals_keep_their_field(client, rpc, auth, refusal, status):
    rpc.responses[("shelter", "read_attachment")] = refusal
    rpc.responses[("shelter", "add_attachment")] = refusal
    read = client.get(f"/api/v1/shelter/plans/{PLAN}/attachments/{ID}", headers=auth("shelter"))
    added = _upload(client, auth("shelter"), OWNERS["shelter"][0], kind="medical_report")
    for response in (read, added):
        assert response.status_code == status and response.get_json()["field"] == refusal.field


def test_a_plan_id_that_is_no_number_is_404_before_any_call(client, rpc, auth):
    response = client.get("/api/v1/shelter/plans/x1/attachments", headers=auth("shelter"))
    assert response.status_code == 404 and rpc.calls == []


def test_an_uploaded_file_stays_in_memory_never_in_a_temporary_file(client, app, rpc, auth,
                                                                     monkeypatch):
    """Werkzeug spools a part over 500 KB to disk; the gateway's request keeps it in memory."""
    import tempfile
    app.config["ATTACHMENT_MAX_BYTES"] = 4 << 20

    def no_disk(*_args, **_kwargs):
        raise AssertionError("an upload went to a temporary file")
    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", no_disk)
    monkeypatch.setattr(tempfile, "TemporaryFile", no_disk)
    big = b"%PDF-" + b"x" * (2 << 20)
    response = _upload(client, auth("shelter"), OWNERS["referral"][0], data=big)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert base64.b64decode(rpc.calls[0][2]["content"]) == big
