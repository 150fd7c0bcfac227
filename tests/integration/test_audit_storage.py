"""The audit log on SQLite and PostgreSQL: concurrent writers keep one unbroken hash
chain, the database refuses UPDATE and DELETE, and the chain check names what was changed."""

import eventlet
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from services.common import audit, auditchain
from services.common.clock import SystemClock
from services.referral.tables import audit_log

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
    assert auditchain.verify(entries) == []


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
        assert auditchain.verify(audit.read_all(c, audit_log)) == []
