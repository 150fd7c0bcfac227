"""The audit log on SQLite and PostgreSQL: concurrent writers keep one unbroken keyed chain,
the database refuses UPDATE and DELETE, `refnet audit verify` names entries cut from the end and
a chain rewritten and hashed again, and on PostgreSQL the service's role may only INSERT and
SELECT its trail."""

import os
import subprocess
import uuid
from pathlib import Path

import eventlet
import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DatabaseError

from services.common import audit, auditchain
from services.common.clock import SystemClock
from services.common.db import Database
from services.common.migrations import upgrade
from services.referral.tables import audit_log
from refnet.harness import postgres as support_postgres
from refnet.harness.network import BIN
from tests.integration.conftest import AUDIT_KEY

CLOCK = SystemClock()


def _append(db, n):
    with db.write() as s:
        audit.append(s, audit_log, actor=f"user-{n}", role="shelter", agency="erbil-shelter",
                     action="referral.read_file", object=f"referral:RN-{n}", outcome="ok",
                     now=CLOCK.now(), correlation_id=f"c-{n}")


@pytest.mark.parametrize("service", ["referral", "shelter", "legal"])
def test_concurrent_appends_form_one_chain(databases, service):
    db = databases.database(databases.migrated(service))
    pool = eventlet.GreenPool(20)
    for n in range(60):
        pool.spawn(_append, db, n)
    pool.waitall()
    with db.read() as c:
        entries = audit.read_all(c, audit_log)
    assert [e["id"] for e in entries] == list(range(1, 61))
    assert auditchain.verify(entries, AUDIT_KEY) == []


def _append_many(db, n, count):
    with db.write() as s:
        audit.append_many(s, audit_log, actor=f"user-{n}", role="shelter", agency="erbil-shelter",
                          action="referral.read_name",
                          outcomes=[(f"referral:RN-{n}-{i}", "ok" if i % 2 else "not_found")
                                    for i in range(count)],
                          now=CLOCK.now(), correlation_id=f"c-{n}")


@pytest.mark.parametrize("service", ["referral", "shelter"])
def test_batches_and_single_entries_written_at_once_form_one_chain(databases, service):
    """A page's fifty audited reads go in as one batch (``append_many``); batches and single
    entries written at the same time still make one chain, each batch's entries in order."""
    db = databases.database(databases.migrated(service))
    pool = eventlet.GreenPool(20)
    for n in range(30):
        pool.spawn(_append_many, db, n, 5) if n % 3 == 0 else pool.spawn(_append, db, n)
    pool.waitall()
    with db.read() as c:
        entries = audit.read_all(c, audit_log)
    assert len(entries) == 10 * 5 + 20
    assert [e["id"] for e in entries] == list(range(1, 71))
    assert auditchain.verify(entries, AUDIT_KEY) == []
    batch = [e for e in entries if e["actor"] == "user-3"]
    assert [e["object"] for e in batch] == [f"referral:RN-3-{i}" for i in range(5)]
    assert [e["id"] for e in batch] == list(range(batch[0]["id"], batch[0]["id"] + 5))


def test_the_database_refuses_to_change_or_delete_entries(databases):
    db = databases.database(databases.migrated("referral"))
    _append(db, 1)
    _append(db, 2)
    for statement in ("UPDATE audit_log SET actor = 'x' WHERE id = 1",
                      "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.write() as s:
                s.execute(text(statement))
    with db.read() as c:
        assert auditchain.verify(audit.read_all(c, audit_log), AUDIT_KEY) == []


# --- `refnet audit verify`: the keyed chain and its checkpoint outside the database ------------

def _verify(tmp_path, url, key=None):
    """`refnet audit verify referral` as an operator runs it, on the database at ``url``; the
    checkpoints go to a gateway database under ``tmp_path`` (another database)."""
    env = {**os.environ, "REFNET_VAR": str(tmp_path), "REFERRAL_DATABASE_URL": url,
           "REFNET_GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
           "REFNET_AUDIT_KEY": key or AUDIT_KEY}
    return subprocess.run([str(BIN / "refnet"), "audit", "verify", "referral"], env=env,
                          capture_output=True, text=True, timeout=120)


def _unguarded(db):
    """A write transaction with the append-only triggers gone: what the database's owner (or
    anyone with the SQLite file) can do."""
    with db.write() as s:
        if db.engine.dialect.name == "sqlite":
            s.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            s.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        else:
            s.execute(text("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log"))


def test_verify_names_entries_cut_from_the_end(databases, tmp_path):
    url = databases.migrated("referral")
    db = databases.database(url)
    for n in range(6):
        _append(db, n)
    first = _verify(tmp_path, url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "referral: 6 audit entries, chain intact" in first.stdout
    _unguarded(db)
    with db.write() as s:  # the last two entries cut: what is left is an intact chain
        s.execute(text("DELETE FROM audit_log WHERE id > 4"))
    cut = _verify(tmp_path, url)
    assert cut.returncode == 1, cut.stdout
    assert "referral: entries 5 to 6 cut from the end" in cut.stdout
    with db.read() as c:  # the chain left is intact in itself: only the checkpoint shows the cut
        assert auditchain.verify(audit.read_all(c, audit_log), AUDIT_KEY) == []


def test_verify_names_a_chain_rewritten_and_hashed_again(databases, tmp_path):
    url = databases.migrated("referral")
    db = databases.database(url)
    for n in range(4):
        _append(db, n)
    assert _verify(tmp_path, url).returncode == 0
    _unguarded(db)
    with db.read() as c:
        entries = audit.read_all(c, audit_log)
    prev = entries[0]["hash"]
    with db.write() as s:  # entry 2 made to say "denied", every later hash computed again
        for entry in entries[1:]:
            entry.update(prev_hash=prev, outcome="denied" if entry["id"] == 2 else entry["outcome"])
            entry["hash"] = prev = auditchain.entry_hash(entry, prev)
            s.execute(text("UPDATE audit_log SET outcome = :outcome, prev_hash = :prev_hash, "
                           "hash = :hash WHERE id = :id"), entry)
    rewritten = _verify(tmp_path, url)
    assert rewritten.returncode == 1, rewritten.stdout
    assert "referral: entry 2 edited: its hash does not match its contents" in rewritten.stdout
    assert "referral: entry 4 rewritten: its hash is not the one checkpointed" in rewritten.stdout
    # whoever holds the key and rewrites the chain with it is still caught by the checkpoint
    with db.read() as c:
        entries = audit.read_all(c, audit_log)
    prev = entries[0]["hash"]
    with db.write() as s:
        for entry in entries[1:]:
            entry.update(prev_hash=prev)
            entry["hash"] = prev = auditchain.entry_hash(entry, prev, AUDIT_KEY)
            s.execute(text("UPDATE audit_log SET prev_hash = :prev_hash, hash = :hash "
                           "WHERE id = :id"), entry)
    with db.read() as c:
        assert auditchain.verify(audit.read_all(c, audit_log), AUDIT_KEY) == []
    with_key = _verify(tmp_path, url)
    assert with_key.returncode == 1 and "entry 4 rewritten" in with_key.stdout, with_key.stdout


def test_verify_needs_the_key_and_refuses_a_checkpoint_forged_without_it(databases, tmp_path):
    url = databases.migrated("referral")
    db = databases.database(url)
    _append(db, 1)
    assert _verify(tmp_path, url).returncode == 0
    wrong = _verify(tmp_path, url, key="another-key-" + "x" * 40)
    assert wrong.returncode == 1
    assert "entry 1 sealed with another key than REFNET_AUDIT_KEY" in wrong.stdout
    assert "checkpoint 1 is not signed with REFNET_AUDIT_KEY" in wrong.stdout


# --- PostgreSQL: another role owns the trail --------------------------------------------------

AUDIT_OWNER_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "audit-owner.sql"


@pytest.fixture
def service_role_database():
    """A database owned by a login role of its own, prepared as the deployment prepares each
    service's (deploy/compose/postgres-init.sh, the CloudNativePG cluster): the role
    ``audit_owner`` exists and the superuser defined ``refnet_protect_audit_log()``. Yields the
    service role's URL; the database and the service role are dropped after (``audit_owner``
    stays: a role of the whole server, as in a deployment)."""
    suffix = uuid.uuid4().hex[:8]
    role, database = f"refnet_it_svc_{suffix}", f"refnet_it_audit_{suffix}"
    support_postgres.execute_as_admin([
        "DO $$ BEGIN CREATE ROLE audit_owner NOLOGIN; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f'CREATE ROLE "{role}" LOGIN',
        f'CREATE DATABASE "{database}" OWNER "{role}"',
    ])
    admin = create_engine(support_postgres.admin_url_of(database), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(AUDIT_OWNER_SQL.read_text())
    admin.dispose()
    url = make_url(support_postgres.ADMIN_URL).set(username=role, password=None, database=database)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        Database._instances.pop(url.render_as_string(hide_password=False), None)
        support_postgres.drop_databases_and_roles([database], [role])


@pytest.mark.postgres
def test_the_service_role_may_only_insert_and_select_its_trail(service_role_database):
    url = service_role_database
    upgrade("referral", url)  # migrated as the service's own role, as the deployments do
    db = Database(url)
    try:
        _append(db, 1)
        _append(db, 2)
        with db.read() as c:
            owner = c.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'")).scalar()
            assert owner == "audit_owner"
            assert auditchain.verify(audit.read_all(c, audit_log), AUDIT_KEY) == []
        for statement in ("TRUNCATE audit_log", "UPDATE audit_log SET actor = 'x' WHERE id = 1",
                          "DELETE FROM audit_log WHERE id = 2", "DROP TABLE audit_log",
                          "ALTER TABLE audit_log DISABLE TRIGGER USER",
                          "DROP TRIGGER audit_log_no_change ON audit_log",
                          "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
                          "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
                          "ALTER TABLE audit_log OWNER TO CURRENT_USER"):
            with pytest.raises(DatabaseError, match="permission denied|must be owner") as refused:
                with db.write() as s:
                    s.execute(text(statement))
            assert refused.value is not None, statement
        with db.read() as c:
            assert [e["id"] for e in audit.read_all(c, audit_log)] == [1, 2]
        with db.write() as s:  # the service's own tables are still its own
            s.execute(text("CREATE TABLE scratch_check (id integer)"))
            s.execute(text("DROP TABLE scratch_check"))
    finally:
        db.dispose()
