"""deploy/systemd/refnet.service: what it runs is the `refnet` command's own (`supervise`, after
`migrate` and `broker-setup`), its paths agree with each other, and `systemd-analyze verify`
accepts it (on a machine that has systemd), and refuses a broken copy."""

import shutil

import pytest

from refnet.cli import main
from tests.deploy.conftest import DEPLOY, REPO, run

UNIT = DEPLOY / "systemd" / "refnet.service"
HOME = "/opt/refnet"  # where the unit expects the checkout


def directives(text: str) -> dict[str, list[tuple[str, str]]]:
    """The unit's sections, each a list of (key, value) in order (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, value = line.split("=", 1)
            current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


def test_the_unit_runs_the_supervisor_in_the_foreground_after_migrating():
    service = directives(UNIT.read_text())["Service"]
    commands = values(service, "ExecStartPre") + values(service, "ExecStart")
    refnet = f"{HOME}/.venv/bin/refnet"
    assert [c.split() for c in commands] == [[refnet, "migrate"], [refnet, "broker-setup"],
                                            [refnet, "supervise"]]
    for command in commands:  # each is a command `refnet` has (an unknown one exits 2)
        with pytest.raises(SystemExit) as exited:
            main([command.split()[1], "--help"])
        assert exited.value.code == 0
    assert values(service, "Restart") == ["on-failure"]
    assert values(service, "KillMode") == ["mixed"]  # TERM to the supervisor; it stops the rest


def test_the_units_paths_agree_with_each_other():
    service = directives(UNIT.read_text())["Service"]
    var = f"{HOME}/var"
    assert values(service, "WorkingDirectory") == [HOME]
    assert values(service, "Environment") == [f"REFNET_VAR={var}"]
    assert values(service, "EnvironmentFile") == [f"{var}/refnet.env"]  # what init-secrets writes
    assert values(service, "ReadWritePaths") == [var]
    assert directives(UNIT.read_text())["Install"] == [("WantedBy", "multi-user.target")]


def verify(path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    return run(analyze, "verify", path)


def checkout_copy(tmp_path, text: str):
    """The unit with this checkout in place of /opt/refnet, so its programs exist."""
    target = tmp_path / "refnet.service"
    target.write_text(text.replace(HOME, str(REPO)))
    return target


def test_systemd_accepts_the_unit(tmp_path):
    result = verify(checkout_copy(tmp_path, UNIT.read_text()))
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stderr


def test_systemd_refuses_a_broken_copy(tmp_path):
    text = UNIT.read_text()
    assert "KillMode=mixed" in text
    result = verify(checkout_copy(tmp_path, text.replace("KillMode=mixed", "KillMode=mixd")))
    assert "Failed to parse kill mode" in result.stderr
    missing = text.replace("/.venv/bin/refnet supervise", "/.venv/bin/refnet-missing supervise")
    result = verify(checkout_copy(tmp_path, missing))
    assert result.returncode != 0 and "refnet-missing" in result.stderr
