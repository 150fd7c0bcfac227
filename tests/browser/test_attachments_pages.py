"""Documents on the shelter's referral page, in headless Chromium over the real network, in
English and Arabic: a shelter staff member first sends the upload form without a file (the
refusal beside the file input, tied to it), then uploads an identity scan, sees it listed and
downloads it back, byte for byte, with the API's headers. The page with its Documents section
is checked with axe-core (``Person.audit``) before and after the upload."""

import uuid

import pytest

from refnet import demo
from tests.browser.conftest import create_user

FACILITY = demo.FACILITY["id"]
REFERRAL = {  # invented
    "survivor": {"name": "Testperson Scan", "sex": "female", "birth_year": 1995,
                 "age_estimated": True, "nationality": "ET", "languages": ["am"],
                 "phone": "+9647501234501"},
    "exploitation_types": ["labour"], "identified_on": "2026-11-20", "identified_place": "Erbil",
    "needs": ["shelter", "documents"], "children": [], "urgency": "urgent",
    "consent": {"given": True, "recorded_by": "Officer Test", "basis": "informed_consent"},
    "officer": {"name": "Officer Test", "unit": "Erbil TIP Unit"},
}
# an invented one-page PDF: what a scanner would send, without anyone's document in it
SCAN = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n")


def received_referral(network) -> str:
    """A referral the shelter holds with its file shared (the survivor's consent at intake)."""
    police = network.token("police", agency=f"tip-docs-{uuid.uuid4().hex[:6]}")
    submitted = network.api("POST", "/referrals", police, json=REFERRAL)
    assert submitted.status_code in (201, 202), submitted.text
    reference = submitted.json()["reference"]
    network.wait_status(reference, "received", police, timeout=30)
    return reference


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_shelter_staff_upload_an_identity_scan_and_download_it_back(network, person, lang):
    user = create_user(network, f"docs.{uuid.uuid4().hex[:6]}", "shelter", FACILITY)
    reference = received_referral(network)
    staff = person(user, "shelter", lang).sign_in()
    staff.goto(f"/shelter/referrals/{reference}")
    section = staff.page.locator("#attachments")
    assert section.is_visible() and staff.page.locator("#no-attachments").is_visible()
    form = staff.page.locator("#attachment-form")
    assert form.get_attribute("enctype") == "multipart/form-data"
    assert staff.page.locator("#attachment-form input[name=kind]").get_attribute("value") == \
        "identity_scan"
    staff.audit("referral-documents")

    # sent without a file: the refusal beside the file input, nothing stored
    staff.page.locator("#upload-attachment").click()
    staff.page.wait_for_load_state()
    staff.check_page()
    assert staff.page.locator("#err-f-file").is_visible()
    file_input = staff.page.locator("#f-file")
    assert file_input.get_attribute("aria-invalid") == "true"
    assert "err-f-file" in file_input.get_attribute("aria-describedby")
    assert staff.page.locator("#no-attachments").is_visible()
    staff.audit("referral-documents-error")

    # the scan: uploaded, listed, downloaded back as it was sent
    staff.page.set_input_files("#f-file", files=[{"name": "scan-demo-0001.pdf",
                                                  "mimeType": "application/pdf",
                                                  "buffer": SCAN}])
    staff.page.locator("#upload-attachment").click()
    staff.page.wait_for_load_state()
    staff.check_page()
    assert "notice=document_added" in staff.page.url
    assert staff.page.locator("p.notice[role=status]").is_visible()
    link = staff.page.locator("#attachments-list a.download")
    assert link.count() == 1 and link.inner_text() == "scan-demo-0001.pdf"
    staff.audit("referral-documents-uploaded")

    with staff.page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == "scan-demo-0001.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read() == SCAN
    answered = staff.page.request.get(link.get_attribute("href"))
    assert answered.status == 200 and answered.body() == SCAN
    headers = answered.headers
    assert headers["content-type"] == "application/pdf"
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"
