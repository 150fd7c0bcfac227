"""What ``refnet user`` and ``refnet issue-token`` change in the gateway's database, on SQLite
and PostgreSQL: a new password never re-enables a disabled person."""

import pytest

from gateway.accounts import AccountStore
from services.common.db import Database

PASSWORD = "a long invented password"


@pytest.fixture
def accounts(db_url):
    store = AccountStore(db_url)
    yield store
    store.db.dispose()
    Database._instances.pop(db_url, None)


def test_a_new_password_does_not_enable_a_disabled_person(accounts):
    accounts.create_user("amina.h", PASSWORD, "shelter", "erbil-shelter")
    accounts.disable_user("amina.h")
    accounts.set_password("amina.h", "another long password")
    assert accounts.get_user("amina.h").disabled
    assert accounts.sign_in("amina.h", "another long password", now=100) is None
    accounts.enable_user("amina.h")
    assert not accounts.get_user("amina.h").disabled
    assert accounts.sign_in("amina.h", "another long password", now=101) is not None


def test_enabling_an_unknown_person_is_refused(accounts):
    with pytest.raises(ValueError, match="no user"):
        accounts.enable_user("nobody.here")
