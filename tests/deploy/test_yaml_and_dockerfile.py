"""yamllint over every YAML file in deploy/, hadolint over the Dockerfile, and the image's
promises that the linters do not check: multi-stage, hashed requirements, numeric non-root user,
and an entrypoint that checks the settings of the process the command starts before it starts.
"""

import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, K8S, REPO, run, tool

YAMLLINT_CONFIG = DEPLOY / ".yamllint.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"


def yamllint(*paths):
    return run(tool("yamllint"), "-f", "parsable", "-c", YAMLLINT_CONFIG, *paths)


def test_every_yaml_file_in_deploy_passes_yamllint():
    result = yamllint(DEPLOY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(DEPLOY.rglob("*.yaml"))) >= 10  # compose, k8s, operators, nameko, lint config


def test_yamllint_fails_on_a_duplicate_key_and_a_bad_indent(broken):
    duplicate = broken(DEPLOY / "k8s" / "config.yaml", "  REFNET_LOG_LEVEL: INFO\n",
                       "  REFNET_LOG_LEVEL: INFO\n  REFNET_LOG_LEVEL: DEBUG\n", name="duplicate.yaml")
    result = yamllint(duplicate)
    assert result.returncode != 0 and "key-duplicates" in result.stdout
    indented = broken(DEPLOY / "compose.yaml", "    restart: unless-stopped\n    environment:\n",
                      "    restart: unless-stopped\n     environment:\n", name="indent.yaml")
    result = yamllint(indented)
    assert result.returncode != 0 and "syntax" in result.stdout


def hadolint(path):
    return run(tool("hadolint"), "--no-color", "--failure-threshold", "style", path)


def test_the_dockerfile_passes_hadolint_at_its_strictest():
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_on_a_broken_dockerfile(broken, tmp_path):
    unpinned = broken(DOCKERFILE, "RUN /opt/refnet/bin/pip install --no-cache-dir --require-hashes",
                      "RUN pip install flask && /opt/refnet/bin/pip install --require-hashes",
                      name="Dockerfile.unpinned")
    result = hadolint(unpinned)
    assert result.returncode != 0 and "DL3013" in result.stdout  # pin versions in pip install
    latest = broken(DOCKERFILE, "FROM ${PYTHON_IMAGE} AS runtime", "FROM python:latest AS runtime",
                    name="Dockerfile.latest")
    result = hadolint(latest)
    assert result.returncode != 0 and "DL3007" in result.stdout  # no :latest


def stages(text: str) -> list[str]:
    return re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, flags=re.M | re.I)


def test_the_image_is_multi_stage_hashed_and_runs_as_a_numeric_non_root_user():
    text = DOCKERFILE.read_text()
    assert [name for _image, name in stages(text)] == ["build", "runtime"]
    assert re.search(r"pip install[^\n]*--require-hashes[^\n]*\n?\s*-r deploy/requirements.lock", text)
    runtime = text.split("AS runtime", 1)[1]
    users = re.findall(r"^USER\s+(\S+)", runtime, flags=re.M)
    assert users, "the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) >= 1000 and (not gid or gid.isdigit())
    assert "pip install" not in runtime  # nothing is built or fetched in the runtime stage
    # prometheus_client turns every process that sees this into file-backed metrics: gateway only
    assert "PROMETHEUS_MULTIPROC_DIR=" not in text
    assert re.search(r'^CMD \["gunicorn"', runtime, flags=re.M)


def constraints() -> dict[str, str]:
    """constraints.txt's pins, and pyproject.toml's (setuptools is pinned there only)."""
    import tomllib
    pins = {}
    direct = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for line in direct + (REPO / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.strip().split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_the_image_requirements_are_pinned_hashed_and_match_constraints():
    lock = (DEPLOY / "requirements.lock").read_text()
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n\s+--hash=sha256:([0-9a-f]{64})$", lock, flags=re.M)
    requirement_lines = [line for line in lock.splitlines() if line and not line.startswith(("#", " "))]
    assert len(entries) == len(requirement_lines) >= 30
    pins = constraints()
    for name, version, _digest in entries:
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert pins.get(key) == version, f"{name}=={version} in the lock, {pins.get(key)} in constraints.txt"
    locked = {re.sub(r"[-_.]+", "-", n).lower() for n, _v, _d in entries}
    for dependency in ("nameko", "eventlet", "gunicorn", "flask", "prometheus-client", "psycopg2-binary"):
        assert dependency in locked


def test_the_build_context_sends_only_what_the_image_copies():
    ignore = [line for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
              if line and not line.startswith("#")]
    assert ignore[0] == "**"  # everything excluded first, then what the image copies re-included
    sources = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources += line.split()[1:-1]
    for source in sources:
        top = source.split("/")[0]
        assert f"!{source}" in ignore or f"!{top}/**" in ignore or f"!{top}" in ignore, source


def instruction(text: str, name: str) -> list[str]:
    """The last ``name`` instruction of the runtime stage, in exec (JSON) form."""
    runtime = text.split("AS runtime", 1)[1]
    found = re.findall(rf"^{name}\s+(\[.*\])\s*$", runtime, flags=re.M)
    assert found, f"the runtime stage has no {name} in exec form"
    return json.loads(found[-1])


def test_the_entrypoint_checks_the_settings_then_runs_the_command():
    import tomllib
    text = DOCKERFILE.read_text()
    assert instruction(text, "ENTRYPOINT") == ["refnet", "entrypoint"]
    assert instruction(text, "CMD")[:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["refnet"] == "refnet.cli:main"  # what the image's PATH finds as `refnet`


def image_commands() -> dict[str, list[str]]:
    """Every command the deployments give the image: the Dockerfile's CMD, compose's and the
    Kubernetes containers' (as ``args``)."""
    commands = {"Dockerfile CMD": instruction(DOCKERFILE.read_text(), "CMD")}
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    commands.update({f"compose {name}": service["command"] for name, service in compose.items()
                     if "build" in service})
    for path in sorted(K8S.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document["kind"] in ("Deployment", "Job"):
                for container in document["spec"]["template"]["spec"]["containers"]:
                    commands[f"k8s {container['name']}"] = container["args"]
    return commands


# what the entrypoint must refuse each process kind without (one secret each is enough)
MISSING = {"referral": "REFNET_FILE_KEYS", "shelter": "REFNET_FILE_KEYS",
           "legal": "REFNET_FILE_KEYS", "notify": "REFNET_FILE_KEYS", "gateway": "REFNET_TOKEN_SECRET"}


@pytest.mark.parametrize("where,command", sorted(image_commands().items()))
def test_the_entrypoint_stops_each_command_without_its_secrets_in_one_line(where, command, tmp_path):
    """The entrypoint run as the image runs it, on this machine's installation: for every
    command the deployments use, an environment without the process's secrets stops it before
    it starts (exit 2, one line naming the variable); the command itself never runs."""
    from refnet.settings import kind_of_command
    kind = kind_of_command(command)
    assert kind is not None, where
    refnet = Path(sys.executable).parent / "refnet"
    env = {"PATH": f"{refnet.parent}{os.pathsep}/usr/bin:/bin", "PYTHONWARNINGS": "ignore",
           "HOME": str(tmp_path), "REFNET_VAR": str(tmp_path)}
    if kind == "refnet":  # the command's secrets are its commands' business; a bad URL is not
        env["LEGAL_DATABASE_URL"] = "mysql://legal:hunter2@db/legal"
        missing = "LEGAL_DATABASE_URL"
    else:
        missing = MISSING[kind]
    result = run(refnet, "entrypoint", *command, env=env, cwd=REPO)
    assert result.returncode == 2, (where, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"refnet ") and missing in lines[0], lines
    assert "hunter2" not in result.stderr and result.stdout == ""
