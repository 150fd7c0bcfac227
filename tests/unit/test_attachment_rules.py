"""The rules of attachments without I/O: a file's type by its content, the size limit, the
file name as kept, bytes over RPC, the kinds each service keeps, the services' check of an
upload (naming the field, never the file's name or content), and who may add and read a
referral's documents."""

import pytest

from services.common.attachments import check_id, check_upload
from services.common.caller import Caller
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts import attachments as rules
from services.referral.domain import referral as referral_rules

PDF, JPEG, PNG = b"%PDF-1.7\n%%EOF\n", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\x89PNG\r\n\x1a\n\x00\x00"
PLANTED = "Quillmarsh Odette"


@pytest.mark.parametrize("data,media_type", [
    (PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png"),
    (b"GIF89a\x01\x00", None), (b"PK\x03\x04 (a zip, or a .docx)", None),
    (b"<html>%PDF-</html>", None),  # the signature must open the file, not sit inside it
    (b"%PDF", None), (b"", None)])
def test_a_files_type_is_read_from_its_first_bytes(data, media_type):
    assert rules.media_type_of(data) == media_type


def test_content_problems_name_emptiness_size_and_type():
    assert rules.content_problem(PDF, 100) is None
    assert "empty" in rules.content_problem(b"", 100)
    assert "empty" in rules.content_problem(None, 100)
    assert "larger than 10 bytes" in rules.content_problem(PDF, 10)
    assert rules.content_problem(PDF, len(PDF)) is None  # the limit itself is allowed
    assert "not a PDF, JPEG or PNG" in rules.content_problem(b"GIF89a", 100)


@pytest.mark.parametrize("given,kept", [
    ("scan.pdf", "scan.pdf"),
    ("C:\\Users\\officer\\passport scan.jpg", "passport scan.jpg"),
    ("../../etc/passwd", "passwd"),
    ("a\x00b\r\nc.png", "abc.png"),
    ("جواز سفر.pdf", "جواز سفر.pdf"),
    ("x" * 300 + ".pdf", "x" * rules.MAX_NAME),
    ("", None), ("   ", None), ("dir/", None), (None, None), (7, None)])
def test_the_file_name_is_kept_as_its_last_segment_without_control_characters(given, kept):
    assert rules.clean_name(given) == kept


def test_bytes_travel_as_base64_text_and_anything_else_is_refused():
    for data in (PDF, bytes(range(256)), b""):
        assert rules.decode(rules.encode(data)) == data
    for text in ("not base64!", "QUJD\n", None, 12, "ü"):
        assert rules.decode(text) is None


def test_each_service_keeps_its_own_kinds():
    assert rules.kinds_of("referral") == ("identity_scan",)
    assert rules.kinds_of("shelter") == ("medical_report",)
    assert rules.kinds_of("legal") == ("power_of_attorney", "court_summons")
    assert rules.kind_problem("identity_scan", "referral") is None
    assert rules.kind_problem("medical_report", "referral") == "must be one of identity_scan"
    assert rules.kind_problem(None, "legal") is not None


def test_the_service_check_names_the_field_and_never_the_file():
    name, content = f"{PLANTED} passport.pdf", rules.encode(PDF + PLANTED.encode())
    upload = check_upload("referral", "identity_scan", name, content, 1000)
    assert (upload.kind, upload.file_name, upload.media_type) == ("identity_scan", name,
                                                                   "application/pdf")
    assert upload.data == PDF + PLANTED.encode()
    refusals = [
        (("medical_report", name, content, 1000), "kind"),
        (("identity_scan", "", content, 1000), "file_name"),
        (("identity_scan", name, "%%% not base64", 1000), "file"),
        (("identity_scan", name, rules.encode(b""), 1000), "file"),
        (("identity_scan", name, content, 10), "file"),
        (("identity_scan", name, rules.encode(PLANTED.encode()), 1000), "file")]
    for arguments, field in refusals:
        with pytest.raises(InvalidInput) as refused:
            check_upload("referral", *arguments)
        assert refused.value.field == field
        assert "Quillmarsh" not in str(refused.value)


def test_a_malformed_attachment_id_finds_nothing():
    assert check_id("0" * 32) == "0" * 32
    for bad in ("zzz", "0" * 31, "A" * 32, None, 5, "../" + "0" * 29):
        with pytest.raises(NotFound) as refused:
            check_id(bad)
        assert refused.value.field == "attachment_id"


# --- who adds and reads a referral's documents ---------------------------------------------------

REFERENCE = "RN-ABCD-EFGH-IJKL-MNOP"
HOLDER, OTHER = "provider-a", "provider-b"
STAFF, OTHER_STAFF = Caller("a.cm", "shelter", HOLDER), Caller("b.cm", "shelter", OTHER)
OFFICER, OTHER_OFFICER = Caller("o1", "police", "tip-unit"), Caller("o2", "police", "other-unit")


def _referral(consent: bool = True, anonymised: bool = False) -> dict:
    return {"reference": REFERENCE, "held_by": HOLDER, "referring_agency": "tip-unit",
            "file_consents": {"*": {"granted": consent}} if consent else {},
            "anonymised_at": "2026-12-01" if anonymised else None}


def _access(caller, referral, reading):
    return referral_rules.require_attachment_access(caller, referral, REFERENCE,
                                                    reading=reading)


def test_the_staff_who_read_the_file_add_and_read_documents():
    for reading in (False, True):
        assert _access(STAFF, _referral(), reading)["reference"] == REFERENCE


def test_the_referring_police_add_but_never_read():
    assert _access(OFFICER, _referral(), False)["reference"] == REFERENCE
    with pytest.raises(Forbidden):
        _access(OFFICER, _referral(), True)


@pytest.mark.parametrize("caller", [OTHER_STAFF, OTHER_OFFICER, Caller("l", "legal", "aid"),
                                    Caller("c", "court", "court-1"), Caller("x", "admin", HOLDER)])
def test_anyone_else_does_not_learn_the_referral_exists(caller):
    for reading in (False, True):
        with pytest.raises(NotFound) as refused:
            _access(caller, _referral(), reading)
        assert refused.value.field == "reference"
    with pytest.raises(NotFound):
        _access(STAFF, None, True)


def test_without_the_survivors_consent_to_share_the_file_the_holder_gets_nothing():
    for reading in (False, True):
        with pytest.raises(Forbidden) as refused:
            _access(STAFF, _referral(consent=False), reading)
        assert refused.value.field == "reference"


def test_an_anonymised_referral_takes_no_documents_and_its_list_is_read_as_ever():
    for caller in (STAFF, OFFICER):
        with pytest.raises(Conflict) as refused:
            _access(caller, _referral(anonymised=True), False)
        assert refused.value.field == "reference"
    assert _access(STAFF, _referral(anonymised=True), True)["reference"] == REFERENCE
