"""Idempotency keys in the gateway's database (gateway/idempotency.py), on SQLite and
PostgreSQL: two workers agree on the first body of a key, whatever the order of its fields."""

import threading

import pytest

from gateway.idempotency import IdempotencyKeys, KeyReused
from services.common.db import Database

SECRET = "an invented reference secret"
BODY = {"survivor": {"sex": "female", "birth_year": 1998}, "needs": ["shelter"]}
OTHER = {"survivor": {"sex": "female", "birth_year": 1999}, "needs": ["shelter"]}


@pytest.fixture
def workers(db_url):
    first = IdempotencyKeys(db_url).keyed(SECRET)
    Database._instances.pop(db_url, None)  # the second worker has its own engine
    second = IdempotencyKeys(db_url).keyed(SECRET)
    yield first, second
    for store in (first, second):
        store.db.dispose()
    Database._instances.pop(db_url, None)


def test_a_key_reused_with_another_body_is_refused_by_every_worker(workers):
    one, two = workers
    one.claim("RN-AAAA-BBBB-CCCC-DDDD", BODY)
    two.claim("RN-AAAA-BBBB-CCCC-DDDD", {"needs": ["shelter"], "survivor": {"birth_year": 1998,
                                                                           "sex": "female"}})
    with pytest.raises(KeyReused):
        two.claim("RN-AAAA-BBBB-CCCC-DDDD", OTHER)
    with pytest.raises(KeyReused):
        one.claim("RN-AAAA-BBBB-CCCC-DDDD", OTHER)
    two.claim("RN-EEEE-BBBB-CCCC-DDDD", OTHER)  # another reference is another key
    with one.db.read() as c:  # a keyed digest is stored, not the body
        rows = c.exec_driver_sql("SELECT reference, fingerprint FROM idempotency_keys").all()
    assert len(rows) == 2 and "1998" not in repr(rows) and "shelter" not in repr(rows)


def test_two_first_uses_at_once_keep_one_body(workers):
    one, two = workers
    refused = []

    def claim(store, body):
        try:
            store.claim("RN-FFFF-BBBB-CCCC-DDDD", body)
        except KeyReused:
            refused.append(body)
    threads = [threading.Thread(target=claim, args=args) for args in ((one, BODY), (two, OTHER))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 1
    kept = OTHER if refused == [BODY] else BODY
    one.claim("RN-FFFF-BBBB-CCCC-DDDD", kept)
