"""The web pages' users, sessions and sign-in delays (gateway/accounts.py) in the gateway's
database, on SQLite and PostgreSQL: the tables `refnet migrate` makes, sessions shared by two
stores (two gunicorn workers), failures counted across them into a delay that keeps the attacker
out and not the person, concurrent first failures, a new password ending the delays."""

import threading

import pytest

from gateway.accounts import AccountStore, session_hash, throttle_secret_of
from gateway.signin_guard import PAIR, Throttled, keys
from services.common.db import Database

PASSWORD = "a long invented password"


@pytest.fixture
def stores(db_url):
    """Two stores on one database, as two workers of the gateway have."""
    secret = throttle_secret_of("integration-token-secret")
    first = AccountStore(db_url).configure(throttle_secret=secret)
    Database._instances.pop(db_url, None)  # the second worker has its own engine
    second = AccountStore(db_url).configure(throttle_secret=secret)
    yield first, second
    for store in (first, second):
        store.db.dispose()
    Database._instances.pop(db_url, None)


def test_a_session_made_by_one_worker_is_known_to_the_other_and_ends_for_both(stores):
    one, two = stores
    one.create_user("Officer.One", PASSWORD, "police", "erbil-tip-unit")
    cookie, session = one.sign_in("officer.one", PASSWORD, now=1000)
    seen = two.session(cookie, now=1001)
    assert seen.identity == session.identity and seen.csrf_token == session.csrf_token
    assert seen.identity.user == "officer.one" and seen.identity.agency == "erbil-tip-unit"
    with one.db.read() as c:  # the cookie value itself is never stored
        stored = [row[0] for row in c.exec_driver_sql("SELECT id_hash FROM web_sessions")]
    assert stored == [session_hash(cookie)] and cookie not in stored
    two.sign_out(cookie)
    assert one.session(cookie, now=1002) is None


ATTACKER, DESK = "203.0.113.66", "198.51.100.20"


def test_failures_on_two_workers_add_up_to_a_delay_that_keeps_out_only_the_attacker(stores):
    one, two = stores
    one.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    for i in range(PAIR.free):
        assert (one if i % 2 else two).sign_in("officer.one", "wrong password", now=2000,
                                               client=ATTACKER) is None
    with pytest.raises(Throttled) as refused:  # the right password too: no check while delayed
        one.sign_in("officer.one", PASSWORD, now=2000, client=ATTACKER)
    assert refused.value.retry_after == PAIR.base
    assert two.sign_in("officer.one", PASSWORD, now=2000, client=DESK) is not None
    assert one.sign_in("officer.one", PASSWORD, now=2000 + PAIR.base, client=ATTACKER) is not None


def test_concurrent_first_failures_are_all_counted(stores):
    one, two = stores
    barrier = threading.Barrier(4)
    errors = []
    k = keys(one.throttle_secret, "ghost", ATTACKER)

    def fail(store):
        try:
            barrier.wait()
            store.record_failure(k, 5000)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=fail, args=(s,)) for s in (one, two, one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {key: row["failures"] for key, row in one.throttle_rows(k).items()} == {
        k.pair: 4, k.client: 4, k.username: 4}


def test_a_new_password_ends_the_delays_on_the_username(stores):
    one, two = stores
    one.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    for _ in range(PAIR.free):
        one.sign_in("officer.one", "wrong password", now=3000, client=ATTACKER)
    with pytest.raises(Throttled):
        one.sign_in("officer.one", PASSWORD, now=3000, client=ATTACKER)
    two.set_password("officer.one", "another long password")
    k = keys(one.throttle_secret, "officer.one", ATTACKER)
    assert set(one.throttle_rows(k)) == {k.client}  # what the address did to others stays
    assert one.sign_in("officer.one", "another long password", now=3000, client=ATTACKER) is not None
    with one.db.read() as c:  # neither the username nor the address is stored in clear
        stored = repr(c.exec_driver_sql("SELECT * FROM signin_throttle").fetchall())
    assert "officer.one" not in stored and ATTACKER not in stored


def test_a_new_password_or_disabling_ends_every_session(stores):
    one, two = stores
    one.create_user("intake.one", PASSWORD, "shelter", "erbil-shelter")
    cookie, _ = one.sign_in("intake.one", PASSWORD, now=100)
    two.set_password("intake.one", "another long password")
    assert one.session(cookie, now=101) is None
    assert one.sign_in("intake.one", PASSWORD, now=102) is None
    cookie, _ = one.sign_in("intake.one", "another long password", now=103)
    two.disable_user("intake.one")
    assert one.session(cookie, now=104) is None
    assert one.sign_in("intake.one", "another long password", now=105) is None


def test_users_are_checked_when_created(stores):
    one, _ = stores
    with pytest.raises(ValueError):
        one.create_user("officer one", PASSWORD, "police", "x")
    with pytest.raises(ValueError):
        one.create_user("officer.one", "short", "police", "erbil-tip-unit")
    with pytest.raises(ValueError):
        one.create_user("officer.one", PASSWORD, "janitor", "erbil-tip-unit")
    one.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    with pytest.raises(ValueError):
        one.create_user("OFFICER.ONE", PASSWORD, "police", "erbil-tip-unit")
    hashed = one.get_user("officer.one").password_hash
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
