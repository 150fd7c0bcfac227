"""The web pages' users, sessions and lockout (gateway/accounts.py) in the gateway's database, on
SQLite and PostgreSQL: the tables `refnet migrate` makes, sessions shared by two stores (two
gunicorn workers), lockout counted across them, concurrent first failures."""

import threading

import pytest

from gateway.accounts import LOCK_SECONDS, MAX_FAILURES, AccountStore, session_hash
from services.common.db import Database

PASSWORD = "a long invented password"


@pytest.fixture
def stores(db_url):
    """Two stores on one database, as two workers of the gateway have."""
    first = AccountStore(db_url)
    Database._instances.pop(db_url, None)  # the second worker has its own engine
    second = AccountStore(db_url)
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


def test_failures_on_two_workers_add_up_to_a_lockout(stores):
    one, two = stores
    one.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    for i in range(MAX_FAILURES):
        (one if i % 2 else two).sign_in("officer.one", "wrong password", now=2000 + i)
    assert one.sign_in("officer.one", PASSWORD, now=2010) is None  # locked, right password or not
    assert two.sign_in("officer.one", PASSWORD, now=2000 + MAX_FAILURES + LOCK_SECONDS) is not None
    assert one.locked_until("officer.one") == 0  # a success clears the count


def test_concurrent_first_failures_are_all_counted(stores):
    one, two = stores
    barrier = threading.Barrier(4)
    errors = []

    def fail(store):
        try:
            barrier.wait()
            store.record_failure("ghost", 5000)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=fail, args=(s,)) for s in (one, two, one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with one.db.read() as c:
        failures = c.exec_driver_sql("SELECT failures FROM signin_lockout WHERE username = 'ghost'").scalar()
    assert failures == 4


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
