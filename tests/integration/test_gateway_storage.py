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
