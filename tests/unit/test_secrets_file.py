"""``refnet init-secrets``' file: fresh secrets once, mode 600, never overwritten; a file from
before the audit key gains that key and nothing else."""

import stat

from refnet.local.secrets import add_missing_secrets, new_secrets, write_secrets_file
from services.common.sealing import FileCipher
from services.common.settings import SERVICE

FILE_KEYS = {"REFNET_FILE_KEYS": FileCipher.new_key()}  # required beside it by every service


def test_a_new_file_holds_every_secret_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "refnet.env"
    assert write_secrets_file(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    names = {line.split("=", 1)[0] for line in path.read_text().splitlines() if "=" in line}
    assert names == set(new_secrets())
    assert write_secrets_file(path) is False


def test_an_older_file_gains_the_audit_key_only_and_keeps_every_value(tmp_path):
    path = tmp_path / "refnet.env"
    path.write_text("REFNET_TOKEN_SECRET=kept\nREFNET_FILE_KEYS=kept-too")  # no final newline
    assert add_missing_secrets(path) == ["REFNET_AUDIT_KEY"]
    lines = path.read_text().splitlines()
    assert lines[:2] == ["REFNET_TOKEN_SECRET=kept", "REFNET_FILE_KEYS=kept-too"]
    assert [line.split("=", 1)[0] for line in lines[2:]] == ["REFNET_AUDIT_KEY"]
    key = lines[2].split("=", 1)[1]
    assert SERVICE.load({**FILE_KEYS, "REFNET_AUDIT_KEY": key}).audit_key == key  # long enough to be taken
    assert add_missing_secrets(path) == []
    assert path.read_text().count("REFNET_AUDIT_KEY") == 1


def test_a_short_audit_key_stops_the_process_naming_the_variable_not_the_value():
    import pytest

    from services.common.settings import SettingsError
    with pytest.raises(SettingsError, match="REFNET_AUDIT_KEY") as refused:
        SERVICE.load({**FILE_KEYS, "REFNET_AUDIT_KEY": "short-secret"})
    assert "short-secret" not in str(refused.value)
