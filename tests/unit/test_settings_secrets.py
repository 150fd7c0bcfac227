"""Every secret a process needs is required by its settings module and its shape is checked:
missing or malformed, loading stops with a ``SettingsError`` naming the variable and never
quoting the value; at a process's start that is one line and exit status 2."""

import os

import pytest

from gateway import settings as gateway_settings
from refnet import settings as cli_settings
from refnet.cli import main as refnet_main
from services.common.sealing import FileCipher, new_keypair
from services.common.settings import SettingsError
from services.legal.settings import SETTINGS as LEGAL
from services.notify.settings import SETTINGS as NOTIFY
from services.referral.settings import SETTINGS as REFERRAL
from services.shelter.settings import SETTINGS as SHELTER

from .conftest import CALLER_SIGNING_KEY, REFERENCE_SECRET, TOKEN_SECRET, service_secrets

SERVICES = {"referral": REFERRAL, "shelter": SHELTER, "legal": LEGAL, "notify": NOTIFY}


def gateway_environ(**changes) -> dict:
    """A gateway environment with every secret, then ``changes`` (None removes a variable)."""
    environ = {"REFNET_TOKEN_SECRET": TOKEN_SECRET, "REFNET_REFERENCE_SECRET": REFERENCE_SECRET,
               "REFNET_INTAKE_PUBLIC_KEY": new_keypair()[1],
               "REFNET_CALLER_SIGNING_KEY": CALLER_SIGNING_KEY, **changes}
    return {k: v for k, v in environ.items() if v is not None}


def refused(settings, environ: dict) -> str:
    with pytest.raises(SettingsError) as info:
        settings.load(environ)
    return str(info.value)


# a value that is malformed, with a piece that must never appear in the message
MALFORMED = {
    "REFNET_FILE_KEYS": [f"{FileCipher.new_key()},not-a-fernet-key-SEEKRIT", "SEEKRIT",
                         "SEEKRIT,SEEKRIT", f"{FileCipher.new_key()},,{FileCipher.new_key()}"],
    "REFNET_INTAKE_PRIVATE_KEY": ["SEEKRIT", "U0VFS1JJVA==",         # base64 of 7 bytes
                                  "U0VFS1JJVA" * 4 + "SEEKRIT=",  # base64 of 35 bytes
                                  "SEEKRIT!" * 6],                # not base64
    "REFNET_TOKEN_SECRET": ["SEEKRIT", "SEEKRIT" + "x" * 24],
    "REFNET_REFERENCE_SECRET": ["SEEKRIT"],
    "REFNET_INTAKE_PUBLIC_KEY": ["SEEKRIT", "U0VFS1JJVA==", "-----BEGIN PUBLIC KEY-----SEEKRIT"],
    "REFNET_CALLER_SIGNING_KEY": ["SEEKRIT", "U0VFS1JJVA==", "-----BEGIN PRIVATE KEY-----SEEKRIT"],
    "REFNET_CALLER_VERIFY_KEY": ["SEEKRIT", "U0VFS1JJVA==", "SEEKRIT!" * 6],
}
DATABASE_URLS = ["SEEKRIT", "mysql://refnet:SEEKRIT@db/referral",
                 "postgresql+nosuchdriver://refnet:SEEKRIT@db/referral", "sqlite+SEEKRIT://x"]


@pytest.mark.parametrize("kind", sorted(SERVICES))
def test_every_service_requires_its_file_keys(kind):
    message = refused(SERVICES[kind], service_secrets(REFNET_FILE_KEYS=""))
    assert message.startswith("REFNET_FILE_KEYS is required")
    assert "REFNET_FILE_KEYS" in SERVICES[kind].required()


@pytest.mark.parametrize("kind", sorted(SERVICES))
@pytest.mark.parametrize("value", MALFORMED["REFNET_FILE_KEYS"],
                         ids=["bad-second-key", "not-a-key", "two-bad-keys", "an-empty-key"])  # stable ids: xdist
def test_malformed_file_keys_are_refused_without_their_value(kind, value):
    message = refused(SERVICES[kind], service_secrets(REFNET_FILE_KEYS=value))
    assert message.startswith("REFNET_FILE_KEYS is malformed") and "item" in message
    assert "SEEKRIT" not in message and "not-a-fernet" not in message
    for key in value.split(","):
        assert not key or key not in message


def test_good_file_keys_load_newest_first():
    new, old = FileCipher.new_key(), FileCipher.new_key()
    values = LEGAL.load(service_secrets(REFNET_FILE_KEYS=f" {new} , {old} "))
    assert values.file_keys == f"{new},{old}"
    assert FileCipher(values.file_keys).decrypt(FileCipher(old).encrypt(b"x")) == b"x"


def test_the_referral_service_requires_a_well_formed_intake_private_key():
    message = refused(REFERRAL, service_secrets(REFNET_INTAKE_PRIVATE_KEY=""))
    assert message.startswith("REFNET_INTAKE_PRIVATE_KEY is required")
    for value in MALFORMED["REFNET_INTAKE_PRIVATE_KEY"]:
        message = refused(REFERRAL, service_secrets(REFNET_INTAKE_PRIVATE_KEY=value))
        assert message.startswith("REFNET_INTAKE_PRIVATE_KEY is malformed"), value
        assert value not in message and "SEEKRIT" not in message
    assert REFERRAL.required() == ["REFNET_FILE_KEYS", "REFNET_AUDIT_KEY",
                                   "REFNET_CALLER_VERIFY_KEY", "REFNET_INTAKE_PRIVATE_KEY"]
    assert SHELTER.required() == LEGAL.required() == NOTIFY.required() == [
        "REFNET_FILE_KEYS", "REFNET_AUDIT_KEY", "REFNET_CALLER_VERIFY_KEY"]


@pytest.mark.parametrize("kind", sorted(SERVICES))
def test_every_service_requires_a_long_audit_key(kind):
    message = refused(SERVICES[kind], service_secrets(REFNET_AUDIT_KEY=""))
    assert message.startswith("REFNET_AUDIT_KEY is required")
    message = refused(SERVICES[kind], service_secrets(REFNET_AUDIT_KEY="SEEKRIT"))
    assert message.startswith("REFNET_AUDIT_KEY is malformed") and "SEEKRIT" not in message


@pytest.mark.parametrize("kind", sorted(SERVICES))
def test_every_service_requires_a_well_formed_caller_verify_key(kind):
    message = refused(SERVICES[kind], service_secrets(REFNET_CALLER_VERIFY_KEY=""))
    assert message.startswith("REFNET_CALLER_VERIFY_KEY is required")
    for value in MALFORMED["REFNET_CALLER_VERIFY_KEY"]:
        message = refused(SERVICES[kind], service_secrets(REFNET_CALLER_VERIFY_KEY=value))
        assert message.startswith("REFNET_CALLER_VERIFY_KEY is malformed"), value
        assert "SEEKRIT" not in message


def test_a_short_search_key_is_refused_and_an_unset_one_is_derived():
    message = refused(REFERRAL, service_secrets(REFNET_SEARCH_KEY="SEEKRIT"))
    assert message.startswith("REFNET_SEARCH_KEY is malformed") and "SEEKRIT" not in message
    assert REFERRAL.load(service_secrets()).search_key is None


@pytest.mark.parametrize("variable", ["REFNET_TOKEN_SECRET", "REFNET_REFERENCE_SECRET",
                                      "REFNET_INTAKE_PUBLIC_KEY", "REFNET_CALLER_SIGNING_KEY"])
def test_the_gateway_requires_each_secret_well_formed(variable):
    message = refused(gateway_settings.APP, gateway_environ(**{variable: None}))
    assert message.startswith(f"{variable} is required")
    for value in MALFORMED[variable]:
        message = refused(gateway_settings.APP, gateway_environ(**{variable: value}))
        assert message.startswith(f"{variable} is malformed"), value
        assert "SEEKRIT" not in message
    assert variable in gateway_settings.SETTINGS.required()


@pytest.mark.parametrize("value", DATABASE_URLS)
def test_a_database_url_must_parse_to_a_known_dialect_with_its_driver(value):
    for kind, settings in SERVICES.items():
        variable = f"{kind.upper()}_DATABASE_URL"
        message = refused(settings, service_secrets(**{variable: value}))
        assert message.startswith(f"{variable} is malformed") and "SEEKRIT" not in message
    message = refused(gateway_settings.APP,
                      gateway_environ(REFNET_GATEWAY_DATABASE_URL=value))
    assert message.startswith("REFNET_GATEWAY_DATABASE_URL is malformed")
    assert "SEEKRIT" not in message
    message = refused(cli_settings.SETTINGS, {"LEGAL_DATABASE_URL": value})
    assert message.startswith("LEGAL_DATABASE_URL is malformed") and "SEEKRIT" not in message


def test_the_databases_refnet_runs_on_are_accepted():
    values = SHELTER.load(service_secrets(
        SHELTER_DATABASE_URL="postgresql+psycopg2://shelter:pw@refnet-db-rw:5432/shelter"))
    assert values.shelter_database_url.startswith("postgresql+psycopg2://")
    assert SHELTER.load(service_secrets()).shelter_database_url == "sqlite:///var/shelter.db"


def test_the_command_reads_the_secrets_but_needs_them_only_where_it_uses_them():
    assert cli_settings.SETTINGS.required() == []
    assert cli_settings.SETTINGS.load({}).file_keys is None
    message = refused(cli_settings.SETTINGS, {"REFNET_FILE_KEYS": "SEEKRIT"})
    assert message.startswith("REFNET_FILE_KEYS is malformed") and "SEEKRIT" not in message


def test_at_start_a_bad_setting_is_one_line_and_exit_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        LEGAL.load_at_start(service_secrets(REFNET_FILE_KEYS="SEEKRIT"))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("refnet legal: REFNET_FILE_KEYS is malformed")
    assert "SEEKRIT" not in err
    assert LEGAL.load_at_start(service_secrets()).reminder_poll_seconds == 30.0


def test_a_check_apart_runs_in_a_child_and_stops_the_caller_as_load_at_start_does(
        monkeypatch, capfd):
    for variable in os.environ.keys() & set(service_secrets()):
        monkeypatch.delenv(variable)
    monkeypatch.setenv("REFNET_FILE_KEYS", "SEEKRIT")
    with pytest.raises(SystemExit) as stop:
        LEGAL.check_at_start_apart()
    assert stop.value.code == 2
    err = capfd.readouterr().err  # written by the child, on the file descriptor they share
    assert err.count("\n") == 1 and err.startswith("refnet legal: REFNET_FILE_KEYS is malformed")
    assert "SEEKRIT" not in err
    for variable, value in service_secrets().items():
        monkeypatch.setenv(variable, value)
    assert LEGAL.check_at_start_apart() is None
    assert capfd.readouterr().err == ""


def test_a_parser_that_breaks_in_the_check_apart_refuses_without_quoting_anything(capfd):
    from services.common.settings import Setting, Settings

    def breaks(text):
        raise RuntimeError(f"cannot read {text}")

    with pytest.raises(SystemExit) as stop:
        Settings("probe", Setting("REFNET_PROBE", "SEEKRIT", "a probe", breaks)).check_at_start_apart()
    assert stop.value.code == 2
    err = capfd.readouterr().err
    assert err == "refnet probe: the settings check failed (RuntimeError)\n"


@pytest.mark.parametrize("command,kind", [
    (["nameko", "run", "--config", "deploy/nameko.yaml", "services.legal.service"], "legal"),
    (["env", "EVENTLET_NO_GREENDNS=yes", "nameko", "run", "services.referral.service"], "referral"),
    (["nameko", "run", "--config", "deploy/nameko.yaml", "services.shelter.service"], "shelter"),
    (["nameko", "run", "--config", "deploy/nameko.yaml", "services.notify.service"], "notify"),
    (["gunicorn", "-c", "deploy/gunicorn.conf.py", "gateway.app:create_app()"], "gateway"),
    (["sh", "-c", "refnet migrate && refnet broker-setup"], "refnet"),
    (["/opt/refnet/bin/refnet", "migrate"], "refnet"),
    (["gunicorn", "-c", "deploy/gunicorn.conf.py", "bench.baseline_app:create_app()"], None),
    (["sh"], None),
])
def test_the_kind_a_command_starts(command, kind):
    assert cli_settings.kind_of_command(command) == kind


def test_refnet_check_settings_names_the_missing_variable(monkeypatch, capsys):
    for variable in ("REFNET_FILE_KEYS", "REFNET_INTAKE_PRIVATE_KEY", "REFNET_CALLER_VERIFY_KEY"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(SystemExit) as stop:
        refnet_main(["check-settings", "referral"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith("refnet referral: REFNET_FILE_KEYS is required")
    for variable, value in service_secrets().items():
        monkeypatch.setenv(variable, value)
    assert refnet_main(["check-settings", "referral"]) == 0
    assert capsys.readouterr().out == "referral: settings ok\n"
