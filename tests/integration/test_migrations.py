"""Each service's alembic migrations build exactly the schema its tables.py declares, on SQLite
and on PostgreSQL: a schema change without a migration fails here."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from services.common.db import make_engine
from services.common.migrations import SERVICES, alembic_config, upgrade


def _head(service: str, url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(service, url)).get_current_head()


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_to_head_matches_tables_metadata(service, db_url):
    metadata = importlib.import_module(f"services.{service}.tables").metadata
    upgrade(service, db_url)

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            assert context.get_current_revision() == _head(service, db_url)
            differences = compare_metadata(context, metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()

    assert differences == []
    assert tables == set(metadata.tables) | {"alembic_version"}


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_is_repeatable(service, db_url):
    """``refnet migrate`` runs at every start: a second upgrade to head changes nothing."""
    upgrade(service, db_url)
    upgrade(service, db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == _head(service, db_url)
    finally:
        engine.dispose()


def test_the_coded_reasons_migration_takes_free_text_off_the_timeline(db_url):
    """Referral 0007 (docs/decisions/0036): a withdrawal's text moves to the referral's own
    record, and no decline or withdrawal entry keeps its text."""
    from datetime import datetime, timezone

    from sqlalchemy import text
    upgrade("referral", db_url, "0006")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for n, (status, note) in enumerate([("withdrawn", "Withdrawn: her uncle Karwan came"),
                                                ("declined", "Declined: Karwan phoned the shelter")]):
                referral_id = conn.execute(text(
                    "INSERT INTO referrals (reference, referring_agency, submitted_by, status, "
                    "population_group, urgency, needs, children_count, beds_needed, "
                    "share_status_with_referrer, share_with_legal, file_ciphertext, body_hash, "
                    "submitted_at, updated_at) VALUES (:ref, 'erbil-police', 'officer', :status, "
                    "'women', 'routine', '[]', 0, 1, true, true, :blob, 'h', :at, :at) RETURNING id"),
                    {"ref": f"RN-AAAA-BBBB-CCCC-DDD{n + 2}", "status": status, "blob": b"x",
                     "at": at}).scalar_one()
                for entry_status, entry_note in (("submitted", "Referral submitted"), (status, note)):
                    conn.execute(text("INSERT INTO timeline_entries (referral_id, at, agency, status,"
                                      " note) VALUES (:id, :at, 'a', :status, :note)"),
                                 {"id": referral_id, "at": at, "status": entry_status,
                                  "note": entry_note})
        upgrade("referral", db_url)
        with engine.connect() as conn:
            notes = conn.execute(text("SELECT status, note, reason_code FROM timeline_entries "
                                      "ORDER BY id")).all()
            kept = conn.execute(text("SELECT status, withdrawal_note FROM referrals "
                                     "ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in notes] == [
        ("submitted", "Referral submitted", None),
        ("withdrawn", "Withdrawn: Reason not recorded", "unknown"),
        ("submitted", "Referral submitted", None),
        ("declined", "Declined: Reason not recorded", "unknown")]
    assert [tuple(r) for r in kept] == [("withdrawn", "her uncle Karwan came"), ("declined", None)]


def test_the_routing_migrations_make_the_one_provider_hold_what_there_was(db_url, monkeypatch):
    """Shelter 0009 and referral 0008 (docs/decisions/0039): existing referrals are held by
    ``REFNET_SHELTER_AGENCY``, which joins the shelter's providers, each with its one offer;
    nothing waiting from before is due for escalation."""
    from datetime import datetime, timezone

    from sqlalchemy import text
    monkeypatch.setenv("REFNET_SHELTER_AGENCY", "old-shelter")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    upgrade("shelter", db_url, "0008")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for n, status in enumerate(("received", "accepted", "declined")):
                conn.execute(text(
                    "INSERT INTO incoming_referrals (reference, population_group, urgency, needs, "
                    "children_count, beds_needed, referring_agency, status, received_at, "
                    "decided_at, decision_reason_code) VALUES (:ref, 'women', 'urgent', '[]', 0, "
                    "1, 'erbil-police', :status, :at, :decided, :code)"),
                    {"ref": f"RN-AAAA-BBBB-CCCC-DDD{n + 2}", "status": status, "at": at,
                     "decided": None if status == "received" else at,
                     "code": "duplicate" if status == "declined" else None})
        upgrade("shelter", db_url)
        with engine.connect() as conn:
            held = conn.execute(text("SELECT held_by, answer_due_at FROM incoming_referrals "
                                     "ORDER BY reference")).all()
            offers = conn.execute(text("SELECT agency, why, answered_at IS NOT NULL, "
                                       "declined_at IS NOT NULL, reason_code FROM referral_offers "
                                       "ORDER BY reference")).all()
            known = conn.execute(text("SELECT agency, active FROM providers")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in held] == [("old-shelter", None)] * 3
    assert [tuple(r) for r in offers] == [("old-shelter", "routed", False, False, None),
                                          ("old-shelter", "routed", True, False, None),
                                          ("old-shelter", "routed", False, True, "duplicate")]
    assert [tuple(r) for r in known] == [("old-shelter", True)]
