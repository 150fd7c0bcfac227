"""What ``refnet user`` and ``refnet issue-token`` change in the gateway's database, on SQLite
and PostgreSQL: a new password never re-enables a disabled person; an agency or user id out of
format is refused; a token's lifetime is capped and each token is recorded, never its text."""

import io

import pytest

from gateway.accounts import AccountStore
from gateway.issued_tokens import IssuedTokens
from gateway.tokens import verify_token
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


# --- the commands, run as an administrator would, against this database ---------------------------

SECRET = "an invented token secret of some length"


@pytest.fixture
def refnet(db_url, tmp_path, monkeypatch, capsys):
    """``refnet ARGS...`` in this process: (exit code, stdout, stderr). The referral service's
    database (the agency directory) is a SQLite file of the test's, holding ``erbil-police``
    and the shelter agency the migration registers."""
    from refnet.cli import main
    from services.common.migrations import upgrade
    directory = f"sqlite:///{tmp_path / 'referral.db'}"
    upgrade("referral", directory)
    monkeypatch.setenv("REFERRAL_DATABASE_URL", directory)
    monkeypatch.setenv("REFNET_VAR", str(tmp_path))
    monkeypatch.setenv("REFNET_GATEWAY_DATABASE_URL", db_url)
    monkeypatch.setenv("REFNET_TOKEN_SECRET", SECRET)
    monkeypatch.delenv("REFNET_TOKEN_MAX_HOURS", raising=False)

    def run(*args, stdin=None):
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err
    assert run("agency", "add", "erbil-police", "--kind", "police_unit",
               "--name-en", "Erbil police")[0] == 0
    yield run
    Database._instances.pop(db_url, None)


def _issued(db_url) -> list[dict]:
    store = IssuedTokens(db_url)
    try:
        return store.list(live_only=False)
    finally:
        store.db.dispose()
        Database._instances.pop(db_url, None)


@pytest.mark.parametrize("agency", ["Erbil Police", "erbil/police", "-erbil", "e" * 101])
def test_issue_token_refuses_an_agency_out_of_format_and_records_nothing(refnet, db_url, agency):
    code, out, err = refnet("issue-token", "--user", "officer.1", "--role", "police", f"--agency={agency}")
    assert code == 2 and out == "" and "agency" in err
    assert _issued(db_url) == []


def test_issue_token_refuses_a_user_id_longer_than_the_services_store(refnet, db_url):
    code, out, err = refnet("issue-token", "--user", "u" * 101, "--role", "police",
                            "--agency", "erbil-police")
    assert code == 2 and out == "" and "user" in err
    assert _issued(db_url) == []


@pytest.mark.parametrize("agency", ["Erbil Shelter", "erbil shelter", "erbil/shelter"])
def test_user_create_refuses_an_agency_out_of_format(refnet, db_url, agency):
    code, _out, err = refnet("user", "create", "--username", "amina.h", "--role", "shelter",
                             "--agency", agency, stdin=PASSWORD + "\n")
    assert code == 2 and "agency" in err
    store = AccountStore(db_url)
    assert store.get_user("amina.h") is None
    store.db.dispose()


def test_issue_token_caps_the_lifetime(refnet, db_url, monkeypatch):
    code, out, err = refnet("issue-token", "--user", "officer.1", "--role", "police",
                            "--agency", "erbil-police", "--ttl", str(12 * 3600 + 1))
    assert code == 2 and out == "" and "REFNET_TOKEN_MAX_HOURS" in err
    monkeypatch.setenv("REFNET_TOKEN_MAX_HOURS", "1")
    code, out, err = refnet("issue-token", "--user", "officer.1", "--role", "police",
                            "--agency", "erbil-police", "--ttl", "3601")
    assert code == 2 and out == ""
    for ttl in ("0", "-5"):
        assert refnet("issue-token", "--user", "officer.1", "--role", "police",
                      "--agency", "erbil-police", "--ttl", ttl)[0] == 2
    assert _issued(db_url) == []


def test_issue_token_keeps_a_record_without_the_token(refnet, db_url):
    code, out, _err = refnet("issue-token", "--user", "officer.1", "--role", "police",
                             "--agency", "erbil-police", "--ttl", "600")
    assert code == 0
    token = out.strip()
    identity = verify_token(SECRET, token)
    [row] = _issued(db_url)
    assert row["jti"] == identity.jti and row["user"] == "officer.1"
    assert (row["role"], row["agency"]) == ("police", "erbil-police")
    assert row["expires_at"] - row["issued_at"] == 600 and row["issued_by"]
    with Database.for_url(db_url).read() as c:  # the token is nowhere in the database
        stored = c.exec_driver_sql("SELECT * FROM issued_tokens").all()
    Database.for_url(db_url).dispose()
    assert token not in repr(stored) and token.split(".")[2] not in repr(stored)
    code, out, _err = refnet("issued-tokens")
    assert code == 0 and out.split("\t")[:4] == [identity.jti, "officer.1", "police", "erbil-police"]
    assert token not in out


# --- the agency directory: a token or web user names an agency it holds, active, that fits -------

def test_agency_commands_register_list_and_deactivate(refnet):
    code, out, err = refnet("agency", "add", "duhok-court", "--kind", "court", "--name-en",
                            "Duhok court", "--name-ar", "محكمة دهوك", "--region", "Duhok")
    assert code == 0, err
    assert refnet("agency", "add", "duhok-court", "--kind", "court", "--name-en", "x")[0] == 2
    code, _out, err = refnet("agency", "add", "x-unit", "--kind", "spaceship", "--name-en", "x")
    assert code == 2
    code, out, _err = refnet("agency", "list", "--kind", "court")
    assert out.split("\t")[:3] == ["duhok-court", "court", "active"]
    code, out, _err = refnet("agency", "update", "duhok-court", "--deactivate")
    assert code == 0 and "inactive" in out


def test_a_token_or_web_user_names_a_known_active_agency_its_role_fits(refnet):
    code, out, err = refnet("issue-token", "--user", "officer.1", "--role", "police",
                            "--agency", "nowhere-unit")
    assert code == 2 and out == "" and "unknown agency" in err
    code, out, err = refnet("issue-token", "--user", "officer.1", "--role", "shelter",
                            "--agency", "erbil-police")
    assert code == 2 and out == "" and "shelter_provider" in err
    code, _out, err = refnet("user", "create", "--username", "amina.h", "--role", "court",
                             "--agency", "erbil-police", stdin=PASSWORD + "\n")
    assert code == 2 and "court" in err
    assert refnet("agency", "update", "erbil-police", "--deactivate")[0] == 0
    code, out, err = refnet("issue-token", "--user", "officer.1", "--role", "police",
                            "--agency", "erbil-police")
    assert code == 2 and "inactive" in err
    assert refnet("agency", "update", "erbil-police", "--activate")[0] == 0
    code, out, _err = refnet("issue-token", "--user", "officer.1", "--role", "police",
                             "--agency", "erbil-police")
    assert code == 0 and out.count(".") == 2
