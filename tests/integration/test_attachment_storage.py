"""Attachments on real SQLite and PostgreSQL (no broker), through the shelter's and the legal
service's use cases: stored encrypted (content and file name), listed without content, read
back whole by those allowed only, a large file at the default limit, a refused upload stores
nothing, key rotation re-encrypts each and leaves them readable."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from services.common import atrest
from services.common.atrest import raw_table
from services.common.caller import Caller
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.sealing import FileCipher
from services.contracts.attachments import DEFAULT_MAX_BYTES, encode, decode
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.legal import usecases as legal_app
from services.legal.tables import ENCRYPTED as LEGAL_ENCRYPTED
from services.shelter import usecases as shelter_app
from services.shelter.tables import ENCRYPTED as SHELTER_ENCRYPTED
from tests.integration.conftest import table_dump
from tests.integration.legal_fixtures import LEGAL, accepted_event

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
AGENCY = "erbil-shelter"
ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
INTAKE = Caller(user="intake.one", role="shelter", agency=AGENCY)
CM = Caller(user="cm.one", role="shelter", agency=AGENCY)
PSY = Caller(user="psy.one", role="shelter", agency=AGENCY)
OTHER_PROVIDER = Caller(user="cm.two", role="shelter", agency="duhok-shelter")
MARK = "Quillmarsh"
NAME = f"{MARK} Odette medical report.pdf"
PDF = b"%PDF-1.7\n" + f"{MARK} Odette: bruised ribs, healing\n".encode() + b"%%EOF\n"


@pytest.fixture
def shelter(databases, db_url):
    db = databases.database(databases.migrated("shelter", db_url))
    shelter_app.register_facility(db, ADMIN, "care-shelter", "Care shelter", provider=AGENCY, now=T0)
    shelter_app.set_capacity(db, ADMIN, "care-shelter", "women", 5, now=T0)
    return db


def _plan(db, cipher) -> int:
    reference = random_reference()
    shelter_app.apply_event(db, make_event("referral.submitted", {
        "reference": reference, "population_group": "women", "urgency": "urgent",
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "erbil-tip-unit", "submitted_at": T0, "survivor_minor": False},
        source="referral"), agency=AGENCY, now=T0)
    shelter_app.decide(db, INTAKE, reference, "accept", None, now=T0)
    plan_id = shelter_app.admit(db, INTAKE, "care-shelter", reference, "cm.one", now=T0)["plan_id"]
    shelter_app.update_plan(db, CM, cipher, plan_id, T0, psychologist="psy.one")
    return plan_id


def test_a_medical_report_is_stored_encrypted_and_read_by_the_plans_two(shelter, keys):
    cipher = keys.cipher
    plan_id = _plan(shelter, cipher)
    added = shelter_app.add_attachment(shelter, INTAKE, cipher, plan_id, "medical_report", NAME,
                                       encode(PDF), DEFAULT_MAX_BYTES, T0)
    assert (added["media_type"], added["size"], added["file_name"]) == ("application/pdf",
                                                                        len(PDF), NAME)
    dump = table_dump(shelter)
    assert MARK not in dump and "bruised" not in dump  # neither the name nor the content in clear

    for reader in (CM, PSY):
        listed = shelter_app.list_attachments(shelter, reader, plan_id)
        assert listed == [{k: v for k, v in added.items()}]  # no content in a listing
        read = shelter_app.read_attachment(shelter, reader, cipher, plan_id, added["attachment_id"])
        assert decode(read["content"]) == PDF and read["file_name"] == NAME
    with pytest.raises(Forbidden):  # the front desk adds, and reads nothing back
        shelter_app.list_attachments(shelter, INTAKE, plan_id)
    with pytest.raises(Forbidden):
        shelter_app.read_attachment(shelter, INTAKE, cipher, plan_id, added["attachment_id"])
    with pytest.raises(NotFound):  # another provider's plan does not exist for its staff
        shelter_app.read_attachment(shelter, OTHER_PROVIDER, cipher, plan_id, added["attachment_id"])
    with pytest.raises(NotFound):  # an attachment of another plan is not found through this one
        shelter_app.read_attachment(shelter, CM, cipher, _plan(shelter, cipher), added["attachment_id"])


def test_a_file_at_the_default_limit_round_trips_and_one_byte_more_is_refused(shelter, keys):
    cipher = keys.cipher
    plan_id = _plan(shelter, cipher)
    largest = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * ((DEFAULT_MAX_BYTES - 8) // 256)
    largest += b"\x00" * (DEFAULT_MAX_BYTES - len(largest))
    added = shelter_app.add_attachment(shelter, INTAKE, cipher, plan_id, "medical_report", "x.png",
                                       encode(largest), DEFAULT_MAX_BYTES, T0)
    read = shelter_app.read_attachment(shelter, CM, cipher, plan_id, added["attachment_id"])
    assert decode(read["content"]) == largest and read["media_type"] == "image/png"
    with pytest.raises(InvalidInput) as refused:
        shelter_app.add_attachment(shelter, INTAKE, cipher, plan_id, "medical_report", "x.png",
                                   encode(largest + b"\x00"), DEFAULT_MAX_BYTES, T0)
    assert refused.value.field == "file"
    assert len(shelter_app.list_attachments(shelter, CM, plan_id)) == 1  # nothing more stored


@pytest.fixture
def process_keys(keys):
    """The test's keys as the process's too (the sealed file name uses them), put back after."""
    before = atrest.current_keys()
    atrest.use_keys(keys.cipher)
    yield keys
    atrest.use_keys(before)


def test_key_rotation_re_encrypts_content_and_name_and_they_read_back(shelter, process_keys):
    keys = process_keys
    old = keys.cipher
    plan_id = _plan(shelter, old)
    added = shelter_app.add_attachment(shelter, INTAKE, old, plan_id, "medical_report", NAME,
                                       encode(PDF), DEFAULT_MAX_BYTES, T0)
    new_key = FileCipher.new_key()
    both = FileCipher(f"{new_key},{keys.file_keys}")
    counts = SHELTER_ENCRYPTED.rotate(shelter, both)
    assert counts["attachments.content"] == 1 and counts["attachments.file_name"] == 1
    only_new = FileCipher(new_key)
    raw = raw_table("attachments", "id", "content")
    with shelter.read() as s:
        stored = bytes(s.execute(select(raw.c.content)).scalar_one())
    assert only_new.decrypt(stored) == PDF
    with pytest.raises(Exception):
        old.decrypt(stored)
    atrest.use_keys(only_new)  # the old key removed
    read = shelter_app.read_attachment(shelter, CM, only_new, plan_id, added["attachment_id"])
    assert decode(read["content"]) == PDF and read["file_name"] == NAME


def test_legal_documents_need_the_legal_team_and_the_survivors_consent(databases, db_url, keys):
    db = databases.database(databases.migrated("legal", db_url))
    cipher = keys.cipher
    reference = random_reference()
    legal_app.apply_event(db, accepted_event(reference))
    case = legal_app.open_case(db, LEGAL, reference, "lawyer.one")
    added = legal_app.add_attachment(db, LEGAL, cipher, case["case_id"], "power_of_attorney",
                                     "poa.jpg", encode(b"\xff\xd8\xff\xe0" + MARK.encode()),
                                     DEFAULT_MAX_BYTES)
    assert legal_app.list_attachments(db, LEGAL, case["case_id"])[0]["kind"] == "power_of_attorney"
    read = legal_app.read_attachment(db, LEGAL, cipher, case["case_id"], added["attachment_id"])
    assert read["media_type"] == "image/jpeg" and MARK not in table_dump(db)
    assert "attachments.content" in LEGAL_ENCRYPTED.labels()
    with pytest.raises(InvalidInput) as refused:
        legal_app.add_attachment(db, LEGAL, cipher, case["case_id"], "identity_scan", "x.pdf",
                                 encode(PDF), DEFAULT_MAX_BYTES)
    assert refused.value.field == "kind"
    for other in (CM, Caller("clerk.one", "court", "erbil-criminal-court")):
        with pytest.raises((Forbidden, NotFound)):
            legal_app.list_attachments(db, other, case["case_id"])


def test_a_failed_statement_never_carries_its_values_into_the_error(shelter):
    """Errors reach the logs; the values a statement bound may be a person's (``hide_parameters``)."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from services.shelter.tables import attachments
    with pytest.raises(IntegrityError) as failed:
        with shelter.write() as s:  # no plan 999999: the foreign key refuses the row
            s.execute(insert(attachments).values(
                id="f" * 32, plan_id=999999, kind="medical_report", media_type="application/pdf",
                size=1, file_name="x.pdf", content=b"x", uploaded_by=f"{MARK}.staff",
                uploaded_at=T0))
    assert MARK not in str(failed.value) and "hidden due to hide_parameters" in str(failed.value)
