"""A real process started without a secret it needs, or with a malformed one, refuses to run:
it exits non-zero before it serves anything, with one line naming the variable and never its
value. The commands are the deployments' own (deploy/Procfile, compose, Kubernetes)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from refnet.harness.network import free_port
from refnet.local.secrets import new_secrets

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVICE = [str(BIN / "nameko"), "run", "--config", "deploy/nameko.yaml"]
GATEWAY = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "gateway.app:create_app()"]
PLANTED = "SEEKRIT-not-a-key"


@pytest.fixture
def env_for(tmp_path, vhost_uri):
    """env_for(**changes): an environment a process would start and serve with (the real
    broker, a fresh network's secrets, databases under tmp_path), then ``changes``."""
    return lambda **changes: environment(tmp_path, vhost_uri, **changes)


def environment(tmp_path, amqp_uri: str, **changes) -> dict:
    """This machine's environment with a fresh network's secrets, then ``changes`` (None
    removes a variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFNET_")
           and not k.endswith("_DATABASE_URL")}
    env.update(new_secrets())
    env.update({"AMQP_URI": amqp_uri,
                "REFNET_VAR": str(tmp_path), "REFNET_PORT": str(free_port()),
                "REFNET_METRICS_PORT": "off", "PYTHONWARNINGS": "ignore",
                **{f"{s.upper()}_DATABASE_URL": f"sqlite:///{tmp_path / s}.db"
                   for s in ("referral", "shelter", "legal", "notify")}})
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def start(command: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run the process to its end; 60 s is the deadline for a refusal that takes a second (a
    process that starts anyway serves until it is killed, and the test fails there)."""
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def refusal(result: subprocess.CompletedProcess, variable: str) -> str:
    """The one line that names ``variable``; the process failed and printed no traceback."""
    assert result.returncode != 0, result.stderr
    output = result.stdout + result.stderr
    naming = [line for line in output.splitlines() if variable in line]
    assert len(naming) == 1, output
    assert "Traceback" not in output and PLANTED not in output
    return naming[0]


@pytest.mark.parametrize("service,variable,value", [
    ("legal", "REFNET_FILE_KEYS", None),
    ("legal", "REFNET_FILE_KEYS", PLANTED),
    ("shelter", "REFNET_FILE_KEYS", None),
    # a fresh key in the value: the id is named, so that every pytest-xdist worker collects
    # the same test (make test-e2e)
    pytest.param("referral", "REFNET_FILE_KEYS", f"{new_secrets()['REFNET_FILE_KEYS']},{PLANTED}",
                 id="referral-REFNET_FILE_KEYS-a-good-key-and-a-malformed-one"),
    ("referral", "REFNET_INTAKE_PRIVATE_KEY", None),
    ("referral", "REFNET_INTAKE_PRIVATE_KEY", PLANTED),
    ("legal", "REFNET_CALLER_VERIFY_KEY", None),
    ("shelter", "REFNET_CALLER_VERIFY_KEY", PLANTED),
    ("shelter", "SHELTER_DATABASE_URL", f"mysql://shelter:{PLANTED}@db/shelter"),
])
def test_a_service_without_a_well_formed_secret_does_not_start(env_for, service, variable, value):
    result = start([*SERVICE, f"services.{service}.service"], env_for(**{variable: value}))
    line = refusal(result, variable)
    assert line.startswith(f"refnet {service}: {variable} is "
                           f"{'required' if value is None else 'malformed'}")
    assert result.returncode == 2


@pytest.mark.parametrize("variable,value", [
    ("REFNET_TOKEN_SECRET", None),
    ("REFNET_TOKEN_SECRET", PLANTED),
    ("REFNET_REFERENCE_SECRET", None),
    ("REFNET_INTAKE_PUBLIC_KEY", PLANTED),
    ("REFNET_CALLER_SIGNING_KEY", None),
])
def test_the_gateway_without_a_well_formed_secret_does_not_start(env_for, variable, value):
    env = env_for(**{variable: value})
    result = start(GATEWAY, env)
    line = refusal(result, variable)
    assert line.startswith(f"refnet gateway: {variable} is ")
    assert result.returncode == 2
    with socket.socket() as probe:  # it never listened: nothing answers on its port
        assert probe.connect_ex(("127.0.0.1", int(env["REFNET_PORT"]))) != 0


def test_the_image_entrypoint_refuses_the_same_way(env_for):
    """``refnet entrypoint`` (deploy/Dockerfile) checks before it execs the command."""
    result = start([str(BIN / "refnet"), "entrypoint", *SERVICE, "services.legal.service"],
                   env_for(REFNET_FILE_KEYS=None))
    assert refusal(result, "REFNET_FILE_KEYS").startswith("refnet legal: REFNET_FILE_KEYS is required")
