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


def test_the_providers_migration_gives_every_existing_row_to_the_one_shelter_provider(db_url):
    """Shelter 0009 (docs/decisions/0038): on a copy of the schema of one shelter provider
    (0008) with facilities, beds, placements (waitlisted, held, admitted) and care plans in it,
    every facility and placement becomes the provider named by ``REFNET_SHELTER_AGENCY`` (as
    the migration runner passes it), nothing else changes, and a placement may then have a
    second plan (one per provider it stayed with)."""
    from datetime import datetime, timezone

    from sqlalchemy import text
    upgrade("shelter", db_url, "0008")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    engine = make_engine(db_url)
    refs = [f"RN-AAAA-BBBB-CCCC-DD{n:02d}" for n in range(3)]
    try:
        with engine.begin() as conn:
            for facility in ("erbil-1", "erbil-2"):
                conn.execute(text("INSERT INTO facilities (id, name, created_at) VALUES "
                                  "(:id, :name, :at)"), {"id": facility, "name": facility, "at": at})
                conn.execute(text(
                    "INSERT INTO bed_inventory (facility_id, population_group, capacity, occupied, "
                    "held, out_of_service, updated_at) VALUES (:f, 'women', 10, 1, 1, 0, :at)"),
                    {"f": facility, "at": at})
            for n, (state, facility) in enumerate([("waitlisted", None), ("held", "erbil-1"),
                                                   ("admitted", "erbil-2")]):
                conn.execute(text(
                    "INSERT INTO incoming_referrals (reference, population_group, urgency, needs, "
                    "children_count, beds_needed, referring_agency, status, received_at) VALUES "
                    "(:ref, 'women', 'routine', '[]', 0, 1, 'erbil-police', 'accepted', :at)"),
                    {"ref": refs[n], "at": at})
                conn.execute(text(
                    "INSERT INTO placements (reference, state, population_group, urgency, beds, "
                    "facility_id, priority, updated_at) VALUES (:ref, :state, 'women', 'routine', "
                    "1, :f, 0, :at)"), {"ref": refs[n], "state": state, "f": facility, "at": at})
            admission = conn.execute(text("SELECT id FROM placements WHERE state = 'admitted'")
                                     ).scalar_one()
            conn.execute(text(
                "INSERT INTO care_plans (admission_id, reference, facility_id, case_manager, "
                "status, opened_at, updated_at, updated_by) VALUES (:a, :ref, 'erbil-2', 'cm.one', "
                "'open', :at, :at, 'cm.one')"), {"a": admission, "ref": refs[2], "at": at})
            plan = conn.execute(text("SELECT id FROM care_plans")).scalar_one()
            conn.execute(text("INSERT INTO plan_items (plan_id, service, owner, status, created_at,"
                              " created_by, updated_at) VALUES (:p, 'legal_counselling', 'cm.one',"
                              " 'planned', :at, 'cm.one', :at)"), {"p": plan, "at": at})
        upgrade("shelter", db_url, settings={"REFNET_SHELTER_AGENCY": "first-ngo-shelter"})
        with engine.begin() as conn:
            facilities = conn.execute(text("SELECT id, provider, closed_at FROM facilities "
                                           "ORDER BY id")).all()
            placed = conn.execute(text("SELECT reference, state, provider FROM placements "
                                       "ORDER BY reference")).all()
            beds = conn.execute(text("SELECT facility_id, capacity, occupied, held "
                                     "FROM bed_inventory ORDER BY facility_id")).all()
            plans = conn.execute(text("SELECT admission_id, facility_id, status FROM care_plans")
                                 ).all()
            items = conn.execute(text("SELECT count(*) FROM plan_items")).scalar_one()
            # one plan per placement and provider: a second plan of the admission is allowed
            conn.execute(text(
                "INSERT INTO care_plans (admission_id, reference, facility_id, case_manager, "
                "status, opened_at, updated_at, updated_by) VALUES (:a, :ref, 'erbil-1', 'cm.two', "
                "'open', :at, :at, 'cm.two')"), {"a": admission, "ref": refs[2], "at": at})
    finally:
        engine.dispose()
    assert [tuple(r) for r in facilities] == [("erbil-1", "first-ngo-shelter", None),
                                              ("erbil-2", "first-ngo-shelter", None)]
    assert [tuple(r) for r in placed] == [(refs[0], "waitlisted", "first-ngo-shelter"),
                                          (refs[1], "held", "first-ngo-shelter"),
                                          (refs[2], "admitted", "first-ngo-shelter")]
    assert [tuple(r) for r in beds] == [("erbil-1", 10, 1, 1), ("erbil-2", 10, 1, 1)]
    assert [tuple(r) for r in plans] == [(admission, "erbil-2", "open")]
    assert items == 1


def test_the_routing_migrations_make_the_one_provider_hold_what_there_was(db_url, monkeypatch):
    """Shelter 0011 and referral 0010 (docs/decisions/0039): existing referrals are held by
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


def test_the_tasks_migration_makes_a_task_of_every_accompaniment_to_arrange(db_url):
    """Shelter 0013 (docs/decisions/0042): a hearing already reminded (accompaniment to arrange)
    becomes an accompaniment task of the resident's provider and facility, due when the hearing
    starts; a hearing not reminded gets none."""
    from datetime import datetime, timezone

    from sqlalchemy import text
    upgrade("shelter", db_url, "0012")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    starts = datetime(2026, 3, 10, 7, tzinfo=timezone.utc)
    engine = make_engine(db_url)
    refs = ["RN-AAAA-BBBB-CCCC-DDE2", "RN-AAAA-BBBB-CCCC-DDE3"]
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO facilities (id, name, created_at, provider) VALUES "
                              "('erbil-1', 'E', :at, 'erbil-shelter')"), {"at": at})
            for n, (ref, task_status) in enumerate(zip(refs, ("to_arrange", "none"))):
                conn.execute(text(
                    "INSERT INTO incoming_referrals (reference, population_group, urgency, needs, "
                    "children_count, beds_needed, referring_agency, status, received_at) VALUES "
                    "(:ref, 'women', 'routine', '[]', 0, 1, 'erbil-police', 'accepted', :at)"),
                    {"ref": ref, "at": at})
                conn.execute(text(
                    "INSERT INTO placements (reference, state, population_group, urgency, beds, "
                    "facility_id, priority, updated_at, provider) VALUES (:ref, 'admitted', "
                    "'women', 'routine', 1, 'erbil-1', 0, :at, 'erbil-shelter')"),
                    {"ref": ref, "at": at})
                conn.execute(text(
                    "INSERT INTO hearing_accompaniments (hearing_id, reference, court, starts_at, "
                    "time_zone, attendance_required, status, task_status, updated_at) VALUES "
                    "(:h, :ref, 'erbil-criminal-court', :starts, 'Asia/Baghdad', :req, "
                    "'scheduled', :task, :at)"),
                    {"h": f"{n:032x}", "ref": ref, "starts": starts, "req": True,
                     "task": task_status, "at": at})
        upgrade("shelter", db_url)
        with engine.connect() as conn:
            made = conn.execute(text("SELECT kind, status, reference, agency, facility, "
                                     "hearing_id, due_at FROM tasks")).all()
    finally:
        engine.dispose()
    assert len(made) == 1
    kind, status, reference, agency, facility, hearing_id, due_at = made[0]
    assert (kind, status, reference, agency, facility, hearing_id) == (
        "accompaniment", "to_arrange", refs[0], "erbil-shelter", "erbil-1", f"{0:032x}")
    if isinstance(due_at, str):  # SQLite answers a raw query with the stored text
        due_at = datetime.fromisoformat(due_at)
    assert (due_at if due_at.tzinfo else due_at.replace(tzinfo=timezone.utc)) == starts


def test_the_incoming_order_migration_ranks_every_referral_and_the_list_reads_its_index(db_url):
    """Shelter 0019: each incoming referral gets its urgency's rank, and a provider's list of one
    status or of all is read in order from an index, not sorted whole at each view."""
    from datetime import datetime, timezone

    from sqlalchemy import text

    from services.shelter.queries.incoming import listed
    upgrade("shelter", db_url, "0018")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for n, urgency in enumerate(["routine", "emergency", "urgent", "routine"]):
                conn.execute(text(
                    "INSERT INTO incoming_referrals (reference, population_group, urgency, needs, "
                    "children_count, beds_needed, referring_agency, status, received_at, held_by) "
                    "VALUES (:ref, 'women', :urgency, '[]', 0, 1, 'erbil-police', 'received', :at, "
                    "'erbil-shelter')"), {"ref": f"RN-AAAA-BBBB-CCCC-DDD{n + 2}", "urgency": urgency,
                                          "at": at})
        upgrade("shelter", db_url)
        with engine.connect() as conn:
            ranks = dict(conn.execute(text("SELECT reference, urgency_rank FROM incoming_referrals")).all())
            order = [r.reference for r in listed(conn, "erbil-shelter", "received")]
            if engine.dialect.name == "sqlite":
                plans = [" ".join(str(c) for c in row) for status in ("received", None)
                         for row in conn.execute(text(
                             "EXPLAIN QUERY PLAN " + str(_listing_sql(engine, status))))]
            else:  # a plan for a large table: the sort the index saves, not a four-row shortcut
                conn.execute(text("SET enable_seqscan = off"))
                plans = [row[0] for status in ("received", None) for row in conn.execute(text(
                    "EXPLAIN " + str(_listing_sql(engine, status))))]
    finally:
        engine.dispose()
    assert ranks == {"RN-AAAA-BBBB-CCCC-DDD2": 0, "RN-AAAA-BBBB-CCCC-DDD3": 2,
                     "RN-AAAA-BBBB-CCCC-DDD4": 1, "RN-AAAA-BBBB-CCCC-DDD5": 0}
    assert order == ["RN-AAAA-BBBB-CCCC-DDD3", "RN-AAAA-BBBB-CCCC-DDD4",
                     "RN-AAAA-BBBB-CCCC-DDD5", "RN-AAAA-BBBB-CCCC-DDD2"]
    assert any("ix_incoming_holder" in line for line in plans), plans
    assert not any("TEMP B-TREE" in line or line.lstrip(" ->").startswith("Sort")
                   for line in plans), plans



def _listing_sql(engine, status):
    """The shelter's list statement (``queries.incoming.listing``) with its values inlined."""
    from services.shelter.queries.incoming import listing
    return listing("erbil-shelter", status, 50).compile(engine, compile_kwargs={"literal_binds": True})
