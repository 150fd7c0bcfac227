"""Documents on the pages (gateway/web/attachments.py) through Flask's test client and the fake
RPC layer: the referral page's identity scans, the care plan's medical reports and the legal
case's powers of attorney and court summonses. Each list shows its documents with a download
link, each upload form sends the kind, the file's name and its bytes (base64) to the service
that owns the record, a refused file comes back beside the file input (never naming the file)
with nothing sent, the size limit holds before any call, and a download answers the bytes as
the API does."""

import base64
import io

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput

from . import web_fixtures as fx
from .test_web_care import ME, PLAN
from .test_web_care import answer as answer_care
from .test_web_care import overview
from .test_web_pages import (BASE, _cheap_hashes, accounts, csrf_of, get, post,  # noqa: F401
                             sign_in, web)

REFERRAL_PAGE = f"/shelter/referrals/{fx.REF}"
PLAN_PAGE = "/shelter/plans/12"
CASE_PAGE = f"/legal/cases/{fx.CASE}"
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
PDF = b"%PDF-1.4\n% an invented demo document\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
NAME = "Leyla-R-passport.pdf"  # invented; a file's name may be a person's: never in an error
ID = "4" * 32


def listed(kind="identity_scan", **more):
    return {"attachment_id": ID, "kind": kind, "media_type": "application/pdf", "size": 20480,
            "file_name": "scan-0001.pdf", "uploaded_by": "intake.two", "uploaded_at": fx.AT,
            **more}


def calls(rpc, service, method):
    return [kw for s, m, kw in rpc.calls if (s, m) == (service, method)]


def upload(web, path, page, *, kind=None, file=(PDF, NAME), token=True):
    """Post an upload form as a browser does (multipart/form-data)."""
    data = {}
    if token:
        data["csrf_token"] = csrf_of(get(web, page).text)
    if kind is not None:
        data["kind"] = kind
    if file is not None:
        data["file"] = (io.BytesIO(file[0]), file[1])
    return web.post(path, base_url=BASE, data=data, content_type="multipart/form-data")


def file_input_refused(html: str) -> str:
    """The file input carries the error beside it; returns the error's text."""
    assert 'id="err-f-file"' in html
    start = html.index('<input id="f-file"')
    tag = html[start:html.index(">", start)]
    assert 'aria-invalid="true"' in tag and "err-f-file" in tag.split("aria-describedby=")[1]
    start = html.index('id="err-f-file"')
    return html[html.index(">", start) + 1:html.index("</p>", start)]


@pytest.fixture
def shelter(web, accounts, rpc):  # noqa: F811
    fx.answer_everything(rpc)
    rpc.responses[("referral", "list_attachments")] = [listed()]
    sign_in(web, accounts, "shelter")
    return web


@pytest.fixture
def lawyer(web, accounts, rpc):  # noqa: F811
    fx.answer_everything(rpc)
    rpc.responses[("legal", "list_attachments")] = [listed("court_summons")]
    sign_in(web, accounts, "legal")
    return web


# --- the referral page: identity scans ---------------------------------------------------------------

def test_the_referral_page_lists_the_scans_and_has_an_upload_form(shelter, rpc):
    page = get(shelter, REFERRAL_PAGE)
    assert page.status_code == 200
    html = page.text
    assert 'id="attachments"' in html and "scan-0001.pdf" in html and "intake.two" in html
    assert "20 KB" in html and ">PDF<" in html
    assert f'href="{REFERRAL_PAGE}/attachments/{ID}"' in html
    start = html.index('id="attachment-form"')
    form = html[html.rindex("<form", 0, start):html.index("</form>", start)]
    assert 'enctype="multipart/form-data"' in form
    assert f'action="{REFERRAL_PAGE}/attachments"' in form
    assert '<input type="hidden" name="kind" value="identity_scan">' in form
    assert f'name="file" type="file" accept="{ACCEPT}"' in form and 'name="csrf_token"' in form
    assert calls(rpc, "referral", "list_attachments")[-1]["reference"] == fx.REF


def test_the_scans_the_file_carries_are_shown_without_another_call(shelter, rpc):
    rpc.responses[("referral", "get_file")] = {**fx.FILE, "attachments": [
        listed(file_name="carried-0002.png", media_type="image/png")]}
    page = get(shelter, REFERRAL_PAGE)
    assert page.status_code == 200 and "carried-0002.png" in page.text and ">PNG<" in page.text
    assert calls(rpc, "referral", "list_attachments") == []


def test_without_the_file_shared_the_referral_page_has_no_documents(shelter, rpc):
    rpc.responses[("referral", "get_file")] = fx.FILE_SUMMARY
    page = get(shelter, REFERRAL_PAGE)
    assert page.status_code == 200 and 'id="file-not-shared"' in page.text
    assert 'id="attachments"' not in page.text
    assert calls(rpc, "referral", "list_attachments") == []


def test_a_refused_list_leaves_the_section_out(shelter, rpc):
    rpc.responses[("referral", "list_attachments")] = Forbidden("not for you", field="reference")
    page = get(shelter, REFERRAL_PAGE)
    assert page.status_code == 200 and 'id="attachments"' not in page.text


def test_an_upload_sends_the_kind_the_name_and_the_bytes_to_the_referral_service(shelter, rpc):
    response = upload(shelter, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE, kind="identity_scan")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"{REFERRAL_PAGE}?notice=document_added#attachments")
    [sent] = calls(rpc, "referral", "add_attachment")
    assert (sent["reference"], sent["kind"], sent["file_name"]) == (fx.REF, "identity_scan", NAME)
    assert base64.b64decode(sent["content"]) == PDF
    assert "The document was added." in get(shelter, response.headers["Location"]).text


@pytest.mark.parametrize("file,status,says", [
    ((b"just some text, not a scan", NAME), 422, "Only a PDF, JPEG or PNG file is accepted"),
    ((b"", NAME), 422, "The file is empty."),
    ((b"", ""), 422, "Choose a file to upload."),  # a browser sends no file as an empty part
    (None, 422, "Choose a file to upload."),
])
def test_a_refused_file_comes_back_beside_the_file_input_and_nothing_is_sent(shelter, rpc, file,
                                                                             status, says):
    response = upload(shelter, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE,
                      kind="identity_scan", file=file)
    assert response.status_code == status
    assert says in file_input_refused(response.text)
    assert "Leyla" not in response.text  # the file's name is nowhere on the page
    assert calls(rpc, "referral", "add_attachment") == []
    assert 'id="attachments"' in response.text and "scan-0001.pdf" in response.text


def test_a_file_over_the_limit_is_refused_with_413_before_any_call(app, shelter, rpc):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    response = upload(shelter, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE, kind="identity_scan",
                      file=(PDF + bytes(2048), NAME))
    assert response.status_code == 413
    assert file_input_refused(response.text) == "The file is too large: a file may be at most 1 KB."
    assert calls(rpc, "referral", "add_attachment") == []


def test_a_form_far_over_the_limit_is_refused_with_413_and_the_page_again(app, shelter, rpc):
    """Beyond the document limit and the form's overhead the form is not read at all (not its
    CSRF token either): the page comes back with 413 beside the file input, nothing is sent."""
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    response = upload(shelter, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE, kind="identity_scan",
                      file=(PDF + bytes(200 * 1024), NAME))
    assert response.status_code == 413
    assert "at most 1 KB" in file_input_refused(response.text)
    assert calls(rpc, "referral", "add_attachment") == []


def test_an_upload_within_the_limit_still_needs_its_csrf_token(shelter, rpc):
    response = upload(shelter, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE, kind="identity_scan",
                      token=False)
    assert response.status_code == 400 and "The form has expired" in response.text
    assert calls(rpc, "referral", "add_attachment") == []


def test_a_file_larger_than_64_kib_is_taken_by_the_upload_form(shelter, rpc):
    """The app's 64 KiB limit is raised for the upload form before the CSRF check reads it."""
    big = PDF + bytes(300 * 1024)
    response = upload(shelter, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE, kind="identity_scan",
                      file=(big, NAME))
    assert response.status_code == 302
    [sent] = calls(rpc, "referral", "add_attachment")
    assert base64.b64decode(sent["content"]) == big


def test_every_other_form_keeps_the_64_kib_limit(shelter, rpc):
    answer_care(rpc)
    response = post(shelter, f"{PLAN_PAGE}/notes", {"text": "x" * (70 * 1024)}, page=PLAN_PAGE)
    assert response.status_code == 413
    assert calls(rpc, "shelter", "add_care_note") == []


def test_a_form_without_its_file_part_is_refused_with_415(shelter, rpc):
    response = post(shelter, f"{REFERRAL_PAGE}/attachments", {"kind": "identity_scan"},
                    page=REFERRAL_PAGE)  # url-encoded: no file can travel in it
    assert response.status_code == 415
    assert file_input_refused(response.text) == "Choose a file to upload."
    assert calls(rpc, "referral", "add_attachment") == []


def test_the_services_refusal_of_the_file_is_shown_beside_it(shelter, rpc):
    rpc.responses[("referral", "add_attachment")] = InvalidInput(
        "the file is not a PDF, JPEG or PNG (its content was checked, not its name)", field="file")
    response = upload(shelter, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE, kind="identity_scan")
    assert response.status_code == 422
    assert "Only a PDF, JPEG or PNG file" in file_input_refused(response.text)


def test_an_anonymised_referral_takes_no_document_and_says_so(shelter, rpc):
    rpc.responses[("referral", "add_attachment")] = Conflict("anonymised", field="reference")
    response = upload(shelter, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE, kind="identity_scan")
    assert response.status_code == 409
    summary = response.text[response.text.index('class="error-summary"'):]
    assert "not possible in the current state" in summary[:600]


def test_the_download_answers_the_bytes_with_the_apis_headers(shelter, rpc):
    rpc.responses[("referral", "read_attachment")] = {
        **listed(), "content": base64.b64encode(PDF).decode("ascii")}
    response = get(shelter, f"{REFERRAL_PAGE}/attachments/{ID}")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename=scan-0001.pdf'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    [read] = calls(rpc, "referral", "read_attachment")
    assert (read["reference"], read["attachment_id"]) == (fx.REF, ID)


def test_another_role_gets_neither_the_form_nor_the_file(web, accounts, rpc):  # noqa: F811
    fx.answer_everything(rpc)
    sign_in(web, accounts, "police")
    assert get(web, f"{REFERRAL_PAGE}/attachments/{ID}").status_code == 403
    response = upload(web, f"{REFERRAL_PAGE}/attachments", "/beds", kind="identity_scan")
    assert response.status_code == 403
    assert calls(rpc, "referral", "add_attachment") == calls(rpc, "referral", "read_attachment") == []


# --- the care plan: medical reports ----------------------------------------------------------------

@pytest.fixture
def plan_page(shelter, rpc):
    answer_care(rpc)
    rpc.responses[("shelter", "get_plan_overview")] = overview(documents=[listed("medical_report")])
    return shelter


def test_the_case_manager_sees_the_medical_reports_and_the_form(plan_page, rpc):
    html = get(plan_page, PLAN_PAGE).text
    assert 'id="attachments"' in html and "scan-0001.pdf" in html
    assert f'href="{PLAN_PAGE}/attachments/{ID}"' in html
    assert '<input type="hidden" name="kind" value="medical_report">' in html
    # the list came with the plan: no call of its own
    assert calls(rpc, "shelter", "get_plan_overview")[-1]["plan_id"] == 12
    assert calls(rpc, "shelter", "list_attachments") == []


def test_the_plan_page_shows_no_list_the_service_did_not_give(plan_page, rpc):
    rpc.responses[("shelter", "get_plan_overview")] = {
        **overview(), "documents": {"listed": False, "items": None}}
    page = get(plan_page, PLAN_PAGE)
    assert page.status_code == 200
    assert 'id="attachments-refused"' in page.text and "scan-0001.pdf" not in page.text
    assert "Only the plan&#39;s case manager and psychologist see its medical reports." in page.text
    assert 'id="attachment-form"' in page.text  # any staff still adds one


def test_other_staff_add_a_report_without_the_list_being_asked_for(plan_page, rpc):
    rpc.responses[("shelter", "get_plan_overview")] = overview(
        {**PLAN, "case_manager": "cm.two", "psychologist": "psy.two"},
        documents=[listed("medical_report")])
    page = get(plan_page, PLAN_PAGE)
    assert 'id="attachments-refused"' in page.text and 'id="attachment-form"' in page.text
    assert "scan-0001.pdf" not in page.text
    response = upload(plan_page, f"{PLAN_PAGE}/attachments", PLAN_PAGE, kind="medical_report",
                      file=(PNG, "clinic-report.png"))
    assert response.status_code == 302 and response.headers["Location"].endswith("#attachments")
    [sent] = calls(rpc, "shelter", "add_attachment")
    assert (sent["plan_id"], sent["kind"], sent["file_name"]) == (12, "medical_report",
                                                                  "clinic-report.png")
    assert base64.b64decode(sent["content"]) == PNG


def test_a_refused_report_comes_back_on_the_plan_page(plan_page, rpc):
    response = upload(plan_page, f"{PLAN_PAGE}/attachments", PLAN_PAGE, kind="medical_report",
                      file=(b"GIF89a not taken", NAME))
    assert response.status_code == 422
    assert "Only a PDF, JPEG or PNG file" in file_input_refused(response.text)
    assert 'id="goals"' in response.text and "Leyla" not in response.text
    assert calls(rpc, "shelter", "add_attachment") == []


def test_the_plan_download_answers_the_report(plan_page, rpc):
    rpc.responses[("shelter", "read_attachment")] = {
        **listed("medical_report", media_type="image/png", file_name="report.png"),
        "content": base64.b64encode(PNG).decode("ascii")}
    response = get(plan_page, f"{PLAN_PAGE}/attachments/{ID}")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=report.png"
    assert response.headers["Cache-Control"] == "no-store"
    assert calls(rpc, "shelter", "read_attachment")[-1]["plan_id"] == 12


def test_a_refused_plan_download_is_the_403_page(plan_page, rpc):
    rpc.responses[("shelter", "read_attachment")] = Forbidden("no", field="plan")
    response = get(plan_page, f"{PLAN_PAGE}/attachments/{ID}")
    assert response.status_code == 403 and "Not for your role" in response.text


# --- the legal case: powers of attorney and court summonses ----------------------------------------

def test_the_legal_case_lists_its_documents_and_offers_the_two_kinds(lawyer, rpc):
    html = get(lawyer, CASE_PAGE).text
    assert 'id="attachments"' in html and "scan-0001.pdf" in html and "Court summons" in html
    assert f'href="{CASE_PAGE}/attachments/{ID}"' in html
    select = html[html.index('<select id="f-kind"'):]
    select = select[:select.index("</select>")]
    assert 'value="power_of_attorney"' in select and 'value="court_summons"' in select
    assert "Power of attorney" in select
    assert calls(rpc, "legal", "list_attachments")[-1]["case_id"] == fx.CASE


def test_a_lawyer_uploads_a_court_summons(lawyer, rpc):
    response = upload(lawyer, f"{CASE_PAGE}/attachments", CASE_PAGE, kind="court_summons")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("notice=document_added#attachments")
    [sent] = calls(rpc, "legal", "add_attachment")
    assert (sent["case_id"], sent["kind"], sent["file_name"]) == (fx.CASE, "court_summons", NAME)
    assert base64.b64decode(sent["content"]) == PDF


def test_a_missing_kind_is_shown_beside_its_select_and_nothing_is_sent(lawyer, rpc):
    response = upload(lawyer, f"{CASE_PAGE}/attachments", CASE_PAGE, kind="")
    assert response.status_code == 422
    assert 'id="err-f-kind"' in response.text
    tag = response.text[response.text.index('<select id="f-kind"'):]
    assert 'aria-invalid="true"' in tag[:tag.index(">")]
    assert calls(rpc, "legal", "add_attachment") == []


def test_the_case_download_answers_the_document(lawyer, rpc):
    rpc.responses[("legal", "read_attachment")] = {
        **listed("power_of_attorney"), "content": base64.b64encode(PDF).decode("ascii")}
    response = get(lawyer, f"{CASE_PAGE}/attachments/{ID}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment;" in response.headers["Content-Disposition"]


# --- in other languages ----------------------------------------------------------------------------

def test_the_refusal_is_in_the_persons_language(web, accounts, rpc):  # noqa: F811
    fx.answer_everything(rpc)
    sign_in(web, accounts, "shelter")
    web.set_cookie("refnet_lang", "ar", domain="localhost", secure=True)  # chosen on the page
    response = upload(web, f"{REFERRAL_PAGE}/attachments", REFERRAL_PAGE, kind="identity_scan",
                      file=None)
    assert response.status_code == 422
    assert file_input_refused(response.text) == "اختر ملفاً لرفعه."
    assert 'dir="rtl"' in response.text
