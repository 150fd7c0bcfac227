"""deploy/system-deps.sh, run with a PATH that holds only stand-ins for `id` and `apt-get`:
what it installs as root on Debian, and what it tells anyone else before a target starts."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "system-deps.sh"
TEST_TOOLS = {"docker-compose": "docker-compose", "rabbitmqctl": "rabbitmq-server",
              "psql": "postgresql-client", "pdftoppm": "poppler-utils", "pdftotext": "poppler-utils",
              "pg_dump": "postgresql-client", "chromium": "chromium"}


def stand_in(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def run(tmp_path: Path, target: str, uid: int, apt_get: str | None = None,
        python: str = sys.executable) -> subprocess.CompletedProcess:
    """The script with PATH = a folder of stand-ins only; the servers are given as sockets
    (no host), which it leaves to the clients: not this file's subject."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    stand_in(folder, "id", f"echo {uid}")
    if apt_get is not None:
        stand_in(folder, "apt-get", apt_get)
    env = {"PATH": str(folder), "PYTHON": python, "REFNET_TEST_CHROMIUM": str(tmp_path / "chromium"),
           "AMQP_URI": "amqp:///", "REFNET_TEST_AMQP_URI": "amqp:///",
           "REFNET_TEST_POSTGRES_URL": "postgresql:///test", "REFNET_VAR": str(tmp_path / "var")}
    return subprocess.run(["/bin/sh", str(SCRIPT), target], env=env, capture_output=True, text=True,
                          timeout=60)


def test_not_root_names_each_missing_tool_and_the_command_and_installs_nothing(tmp_path):
    log = tmp_path / "apt-get.log"
    done = run(tmp_path, "test", uid=1000, apt_get=f'echo "$@" >> {log}')
    # A tool installed where only root's PATH looks (rabbitmqctl in /usr/sbin) is said so.
    sbin = {tool: folder for tool in TEST_TOOLS for folder in ("/sbin", "/usr/sbin")
            if tool != "chromium" and Path(folder, tool).exists()}
    named = {"chromium": f"chromium at {tmp_path / 'chromium'}"}
    expected = [f"system-deps: make test needs {named.get(tool, tool)}, which is in {sbin[tool]}: add "
                f"{sbin[tool]} to PATH" if tool in sbin else
                f"system-deps: make test needs {named.get(tool, tool)}; as root: apt-get install -y {package}"
                for tool, package in TEST_TOOLS.items()]
    packages = dict.fromkeys(package for tool, package in TEST_TOOLS.items() if tool not in sbin)
    expected.append("system-deps: all at once, as root: apt-get install -y " + " ".join(packages))
    assert done.returncode == 1 and not log.exists()
    assert done.stderr.splitlines() == expected


def test_without_apt_get_even_root_is_told_what_to_install(tmp_path):
    done = run(tmp_path, "test-deploy", uid=0)
    assert done.returncode == 1
    assert done.stderr == ("system-deps: make test-deploy needs docker-compose; no apt-get here; with "
                           "this system's package manager install the Debian equivalent of: "
                           "docker-compose\n")


def test_root_with_apt_get_installs_what_is_missing_before_the_target(tmp_path):
    log, folder = tmp_path / "apt-get.log", tmp_path / "bin"
    installs = (f'echo "$@" >> {log}\n'
                f'[ "$1" = install ] && printf "#!/bin/sh\\n" > {folder}/docker-compose '
                f'&& /bin/chmod 755 {folder}/docker-compose\nexit 0')
    done = run(tmp_path, "test-deploy", uid=0, apt_get=installs)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "system-deps: installing docker-compose (apt-get)\n"
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq docker-compose"]


def test_a_failed_install_as_root_still_names_what_is_missing(tmp_path):
    done = run(tmp_path, "test-deploy", uid=0, apt_get="exit 100")
    assert done.returncode == 1
    assert "make test-deploy needs docker-compose; as root: apt-get install -y docker-compose" in done.stderr


def test_make_up_without_python_3_11_says_how_to_get_it(tmp_path):
    done = run(tmp_path, "up", uid=1000, apt_get="exit 1", python=str(tmp_path / "python3.11"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"system-deps: make up needs {tmp_path / 'python3.11'} (Python 3.11 with its venv module; or "
        "make PYTHON=/path/to/python3.11); as root: apt-get install -y python3.11 python3.11-venv"]


@pytest.mark.parametrize("target", ["up", "test-unit"])
def test_a_target_with_all_it_needs_passes_quietly(tmp_path, target):
    done = run(tmp_path, target, uid=1000, apt_get="exit 1")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_an_unknown_target_is_refused(tmp_path):
    assert run(tmp_path, "tests", uid=0).returncode == 2
