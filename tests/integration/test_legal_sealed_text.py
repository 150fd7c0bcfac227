"""The legal service's free text is encrypted at rest, on real SQLite and PostgreSQL: planted
text written through the use cases is in no row read straight from the database, and reads
give it back to the roles that see it; migration 0006 encrypts rows written before it."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from services.common import atrest
from services.common.db import Database
from services.common.migrations import upgrade
from services.common.sealing import FileCipher
from services.contracts.references import random_reference
from services.legal import usecases as app
from services.legal.tables import ENCRYPTED
from tests.integration.legal_fixtures import COURT, LEGAL, accepted_event, local, table_dump

TOPIC = "Qorvandel topic: rights of a witness"
CHARGE = "Qorvandel charge: forced labour on the farm"
PURPOSE = "Qorvandel purpose: testimony"
OUTCOME_NOTE = "Qorvandel outcome: defence asked for time"
AUTHORITY = "Qorvandel embassy"
EMPLOYER = "Qorvandel Recruiting Co"
DISPUTE_OUTCOME = "Qorvandel settlement: wages paid"
NOTE = "Qorvandel note: keep the contract"
PLANTED = (TOPIC, CHARGE, PURPOSE, OUTCOME_NOTE, AUTHORITY, EMPLOYER, DISPUTE_OUTCOME, NOTE)


@pytest.fixture
def keys():
    """The process's file keys, as a service's ``FileKeys`` sets them; unset afterwards."""
    before = atrest.current_keys()
    cipher = FileCipher(FileCipher.new_key())
    atrest.use_keys(cipher)
    yield cipher
    atrest.use_keys(before)


def _every_free_text(db) -> dict:
    """A case with every free-text field written through the use cases; its ids."""
    reference = random_reference()
    app.apply_event(db, accepted_event(reference))
    case = app.open_case(db, LEGAL, reference, "lawyer.one")
    app.add_note(db, LEGAL, case["case_id"], NOTE)
    app.add_session(db, LEGAL, case["case_id"], "2026-11-30", TOPIC)
    court_case = app.file_court_case(db, LEGAL, case["case_id"], COURT.agency, "Q-1/2026",
                                     [{"statute": "other", "description": CHARGE}], "victim",
                                     "filed")
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=10)
    hearing = app.schedule_hearing(db, LEGAL, court_case["court_case_id"], local(starts),
                                   "Asia/Baghdad", PURPOSE, True)
    app.record_outcome(db, COURT, hearing["hearing_id"], "postponed", note=OUTCOME_NOTE,
                       new_starts_at=local(starts + timedelta(days=7)))
    app.request_document(db, LEGAL, case["case_id"], "passport", AUTHORITY)
    dispute = app.open_dispute(db, LEGAL, case["case_id"], EMPLOYER, ["unpaid_wages"])
    app.update_dispute(db, LEGAL, dispute["dispute_id"], "settled", DISPUTE_OUTCOME)
    return {"case_id": case["case_id"], "court_case_id": court_case["court_case_id"]}


def _read_back(db, ids) -> None:
    """Each role that sees a field reads it in clear."""
    case = app.get_case(db, LEGAL, ids["case_id"])
    assert [n["text"] for n in case["notes"]] == [NOTE]
    assert [s["topic"] for s in case["counselling_sessions"]] == [TOPIC]
    assert case["court_cases"][0]["charges"] == [{"statute": "other", "description": CHARGE}]
    assert [h["purpose"] for h in case["hearings"]] == [PURPOSE, PURPOSE]
    assert [h["outcome_note"] for h in case["hearings"]] == [OUTCOME_NOTE, None]
    assert [d["authority"] for d in case["documents"]] == [AUTHORITY]
    assert [(d["employer"], d["outcome"]) for d in case["labour_disputes"]] == [(EMPLOYER, DISPUTE_OUTCOME)]
    court_case = app.get_court_case(db, COURT, ids["court_case_id"])
    assert court_case["charges"][0]["description"] == CHARGE
    assert [(h["purpose"], h["outcome_note"]) for h in app.list_hearings(db, COURT)] == [
        (PURPOSE, OUTCOME_NOTE), (PURPOSE, None)]


def _raw(url: str) -> str:
    """Every row of every table, read straight from the database (no model, no types)."""
    db = Database(url)
    try:
        return table_dump(db)
    finally:
        db.dispose()


def test_planted_free_text_is_in_no_row_and_reads_back(keys, databases, db_url):
    url = databases.migrated("legal", db_url)
    db = databases.database(url)
    ids = _every_free_text(db)
    dump = _raw(url)
    assert "Qorvandel" not in dump, [t for t in PLANTED if t in dump]
    assert dump.count("fernet:") >= len(PLANTED)
    _read_back(db, ids)


def test_the_declaration_names_every_free_text_column():
    assert sorted(ENCRYPTED.labels()) == sorted([
        "attachments.content", "attachments.file_name",  # a document and its name (0056)
        "counselling_sessions.topic", "court_cases.charges", "document_requests.authority",
        "hearings.outcome_note", "hearings.purpose", "labour_disputes.employer",
        "labour_disputes.outcome", "legal_notes.text"])


def written_in_clear(monkeypatch) -> None:
    """Columns stored as the legal service before sealed text stored them: as given."""
    monkeypatch.setattr(atrest, "seal_text", lambda _cipher, text: text)


def test_migration_0006_encrypts_rows_written_before_it(keys, databases, db_url, monkeypatch):
    """Rows written in clear before 0006 are encrypted by the upgrade and read back after."""
    url = databases.migrated("legal", db_url)
    db = databases.database(url)
    written_in_clear(monkeypatch)
    ids = _every_free_text(db)
    db.dispose()
    _downgrade_keeping_rows(url)
    assert all(t in _raw(url) for t in PLANTED if t != NOTE)  # 0004 kept them in clear
    keys_text = FileCipher.new_key()
    upgrade("legal", url, file_keys=keys_text)
    assert "Qorvandel" not in _raw(url)
    atrest.use_keys(FileCipher(keys_text))
    _read_back(Database(url), ids)


def test_migration_0006_needs_the_keys_when_rows_are_in_clear(databases, db_url, monkeypatch):
    url = databases.migrated("legal", db_url)
    db = databases.database(url)
    written_in_clear(monkeypatch)
    _every_free_text(db)
    db.dispose()
    _downgrade_keeping_rows(url)
    monkeypatch.delenv("REFNET_FILE_KEYS", raising=False)
    with pytest.raises(RuntimeError, match="REFNET_FILE_KEYS"):
        upgrade("legal", url)
    assert TOPIC in _raw(url)  # nothing half done: the rows are as they were


def _downgrade_keeping_rows(url: str) -> None:
    """Back to 0004 with the free text in clear, as a database written before 0006 holds it."""
    from services.common.migrations import downgrade
    downgrade("legal", url, "0004")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert version == "0004"
