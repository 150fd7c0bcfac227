"""The gateway's own tables on SQLite and PostgreSQL: revoked tokens and the availability
generation, read with prepared statements on raw connections (gateway/revocation.py,
gateway/availability.py)."""

import time

from gateway.availability import AvailabilityCache, SharedGeneration
from gateway.revocation import RevocationStore


def test_revocations_hold_on_every_database_kind(db_url):
    store = RevocationStore(db_url)
    now = int(time.time())
    assert not store.is_revoked("jti-1", "police.a", now)
    assert store.revoke_token("jti-1")
    assert store.is_revoked("jti-1", "police.a", now)
    assert not store.is_revoked("jti-2", "police.a", now)
    store.revoke_user("police.a")
    assert store.is_revoked("jti-2", "police.a", now)          # issued before the revocation
    assert not store.is_revoked("jti-3", "police.a", now + 60)  # issued after it
    assert not store.is_revoked(None, "police.b", now)
    store.db.dispose()


def test_a_bump_in_one_worker_reaches_another_through_the_database(db_url):
    first = AvailabilityCache(60, SharedGeneration(db_url))
    second = AvailabilityCache(60, SharedGeneration(db_url))
    assert first.generation.current() == 0
    answers = iter([[{"available": 5}], [{"available": 4}]])
    assert second.get(lambda: next(answers))[0] == [{"available": 5}]
    first.invalidate()
    first.invalidate()
    assert second.generation.current() == 2
    assert second.get(lambda: next(answers))[0] == [{"available": 4}]
    first.generation.db.dispose()


def test_a_lookup_survives_its_kept_connection_dying(db_url):
    """Lookups keep one connection per thread, outside the pool; when the database drops it
    (a restart, an administrator's kill) the next lookup answers on a new one. A write on
    another connection is seen at once: the kept connection holds no transaction open."""
    import threading

    from sqlalchemy import text
    generation = SharedGeneration(db_url, "lookup-test")
    db = generation.db
    assert generation.current() == 0
    kept = db._lookups.connection[1]
    generation.bump()
    assert generation.current() == 1            # the other connection's commit, seen at once
    assert db._lookups.connection[1] is kept    # on the same kept connection
    if db.sqlite:
        kept.close()                            # gone under the lookup
    else:
        pid = kept.get_backend_pid()
        with db.engine.connect() as c, c.begin():
            assert c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    assert generation.current() == 1
    assert db._lookups.connection[1] is not kept
    seen = []
    other = threading.Thread(target=lambda: seen.append((generation.current(),
                                                         db._lookups.connection[1])))
    other.start()
    other.join()
    assert seen[0][0] == 1 and seen[0][1] is not db._lookups.connection[1]  # one per thread
    db.dispose()


def test_a_lookup_reads_an_in_memory_database_through_its_pool():
    """An in-memory SQLite database exists only in the engine's own connection: a lookup never
    opens a connection of its own to it (it would find an empty database)."""
    store = RevocationStore("sqlite://")
    assert store.revoke_token("jti-memory")
    assert store.is_revoked("jti-memory", "police.a", int(time.time()))
    store.db.dispose()
