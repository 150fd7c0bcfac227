"""``refnet init-secrets`` (refnet.local.secrets): written once, readable by its owner only; a
file from before a release added secrets gets them added, never a line changed."""

import stat

from refnet.local.secrets import add_missing_secrets, new_secrets, write_secrets_file
from services.common.sealing import FileCipher
from services.common.settings import SERVICE
from services.common.signed_caller import Signer, Verifier


def test_a_new_file_holds_every_secret_and_a_caller_pair_that_verifies(tmp_path):
    path = tmp_path / "refnet.env"
    assert write_secrets_file(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    assert set(values) == set(new_secrets())
    token = Signer(values["REFNET_CALLER_SIGNING_KEY"]).sign(
        {"user": "u", "role": "admin", "agency": "a"}, "shelter", "ping")
    assert Verifier(values["REFNET_CALLER_VERIFY_KEY"]).verify(token, "shelter", "ping").user == "u"
    assert write_secrets_file(path) is False


def test_an_older_file_gets_what_it_lacks_and_keeps_every_line(tmp_path):
    path = tmp_path / "refnet.env"
    old = {k: v for k, v in new_secrets().items() if not k.startswith("REFNET_CALLER_")}
    before = "# older\n" + "".join(f"{k}={v}\n" for k, v in old.items())
    path.write_text(before)
    assert add_missing_secrets(path) == ["REFNET_CALLER_SIGNING_KEY", "REFNET_CALLER_VERIFY_KEY"]
    assert path.read_text().startswith(before)
    assert add_missing_secrets(path) == []


def test_half_a_pair_is_left_for_its_owner(tmp_path):
    path = tmp_path / "refnet.env"
    path.write_text(f"REFNET_CALLER_SIGNING_KEY={new_secrets()['REFNET_CALLER_SIGNING_KEY']}\n")
    added = add_missing_secrets(path)
    assert "REFNET_CALLER_VERIFY_KEY" not in added and "REFNET_TOKEN_SECRET" in added


def test_a_file_from_before_the_audit_key_gains_a_usable_one_after_its_last_line(tmp_path):
    path = tmp_path / "refnet.env"
    older = {k: v for k, v in new_secrets().items() if k != "REFNET_AUDIT_KEY"}
    path.write_text("\n".join(f"{k}={v}" for k, v in older.items()))  # no final newline
    assert add_missing_secrets(path) == ["REFNET_AUDIT_KEY"]
    lines = path.read_text().splitlines()
    assert lines[:-1] == [f"{k}={v}" for k, v in older.items()]
    key = lines[-1].split("=", 1)[1]
    FILE_KEYS = {"REFNET_FILE_KEYS": FileCipher.new_key()}
    caller = {"REFNET_CALLER_VERIFY_KEY": older["REFNET_CALLER_VERIFY_KEY"]}
    assert SERVICE.load({**FILE_KEYS, **caller, "REFNET_AUDIT_KEY": key}).audit_key == key


def test_a_short_audit_key_stops_the_process_naming_the_variable_not_the_value():
    import pytest

    from services.common.settings import SettingsError
    secrets = new_secrets()
    with pytest.raises(SettingsError, match="REFNET_AUDIT_KEY") as refused:
        SERVICE.load({**secrets, "REFNET_AUDIT_KEY": "short-secret"})
    assert "short-secret" not in str(refused.value)
