"""The gateway's own tables on SQLite and PostgreSQL: revoked tokens and the availability
generation, read with prepared statements on raw connections (gateway/revocation.py,
gateway/availability.py)."""

import time

from gateway.availability import AvailabilityCache
from gateway.generations import SharedGeneration
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


def test_a_revocation_through_one_worker_refuses_the_next_request_of_another(db_url):
    """Each worker of a SQLite gateway keeps the table under the revocations generation; the
    other worker's revocation (or `refnet revoke-token`'s) bumps it after its commit, so the
    next check reads the table again. On PostgreSQL every check asks the table."""
    now = int(time.time())
    revoking, checking = RevocationStore(db_url), RevocationStore(db_url)
    assert (checking.generation is not None) == db_url.startswith("sqlite")
    assert not checking.is_revoked("jti-a", "police.a", now)   # the table, now kept
    assert not checking.is_revoked("jti-b", "police.b", now)
    assert revoking.revoke_token("jti-a")
    assert checking.is_revoked("jti-a", "police.a", now)
    revoking.revoke_user("police.b")
    assert checking.is_revoked("jti-b", "police.b", now)
    assert not checking.is_revoked("jti-c", "police.b", now + 60)  # issued after it
    assert not revoking.revoke_token("jti-a")                      # already; told again
    assert checking.is_revoked("jti-a", "police.a", now)
    revoking.db.dispose()
    checking.db.dispose()


def test_a_sqlite_gateways_generations_live_in_a_file_beside_it_shared_across_processes(tmp_path):
    """Every worker process maps the same counters: bumps from several processes at once all
    count (an exclusive flock per bump), and each is seen by the others at their next read."""
    import multiprocessing

    from gateway.generations import FileGeneration, LocalGeneration, for_database

    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    status = for_database(url, "status")
    assert isinstance(status, FileGeneration)
    assert status.path == str(tmp_path / "gateway.db.generations")
    assert isinstance(for_database("sqlite://", "status"), LocalGeneration)
    availability = for_database(url, "availability")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_bump_many, args=(url, 200)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert status.current() == 800
    assert availability.current() == 0      # a slot of its own
    availability.bump()
    assert for_database(url, "availability").current() == 1


def _bump_many(url: str, times: int) -> None:
    from gateway.generations import for_database
    generation = for_database(url, "status")  # opened in the child, as a gunicorn worker does
    for _ in range(times):
        generation.bump()
