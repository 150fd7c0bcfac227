"""`refnet up` (what `make up` runs) takes a clean directory to a running, seeded network."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import ROOT, free_port

BIN = Path(sys.executable).parent


@pytest.fixture
def own_vhost():
    """A vhost of the test's own: on the session network's vhost, its services would compete
    for the RPC requests of the network `refnet up` starts (each with its own databases)."""
    name, uri = create_vhost("refnet-up")
    yield uri
    delete_vhost(name)


def test_refnet_up_prints_where_to_go_and_down_stops_everything(tmp_path, own_vhost):
    port = free_port()
    env = {**os.environ, "REFNET_VAR": str(tmp_path), "REFNET_PORT": str(port), "AMQP_URI": own_vhost,
           "PYTHONWARNINGS": "ignore"}
    for name in ("REFERRAL", "SHELTER", "LEGAL"):
        env.pop(f"{name}_DATABASE_URL", None)
    for key in [k for k in env if k.startswith("REFNET_") and k not in ("REFNET_VAR", "REFNET_PORT")]:
        env.pop(key)
    try:
        up = subprocess.run([str(BIN / "refnet"), "up"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=180)
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"http://127.0.0.1:{port}" in up.stdout
        for role in ("police", "shelter", "legal", "court", "admin", "analyst"):
            assert f"  {role} " in up.stdout
        assert (tmp_path / "refnet.env").stat().st_mode & 0o077 == 0  # secrets readable by owner only
        ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        token = next(line.split()[-1] for line in up.stdout.splitlines() if line.startswith("  police "))
        beds = requests.get(f"http://127.0.0.1:{port}/api/v1/shelters/availability",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        assert sum(row["capacity"] for row in beds["facilities"]) == 45
        # the demo people of the web pages, with their invented passwords, can sign in
        web = {line.split()[2]: line.split()[3] for line in up.stdout.splitlines()
               if line.startswith("  web ")}
        assert set(web) >= {"officer.demo", "intake.demo", "lawyer.demo"}
        page = requests.get(f"http://127.0.0.1:{port}/sign-in", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        signed = requests.post(f"http://127.0.0.1:{port}/sign-in", allow_redirects=False, timeout=10,
                               cookies={"refnet_presession": page.cookies["refnet_presession"]},
                               data={"username": "officer.demo", "password": web["officer.demo"],
                                     "csrf_token": token})
        assert signed.status_code == 302 and signed.headers["Location"] == "/police/referrals"
        assert "refnet_session=" in signed.headers["Set-Cookie"]
    finally:
        down = subprocess.run([str(BIN / "refnet"), "down"], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    assert down.returncode == 0 and "stopped" in down.stdout
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=3)
        still_up = True
    except requests.ConnectionError:
        still_up = False
    assert not still_up


def test_refnet_up_says_how_to_start_a_broker_when_none_answers(tmp_path):
    env = {**os.environ, "REFNET_VAR": str(tmp_path), "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/",
           "PYTHONWARNINGS": "ignore"}
    up = subprocess.run([str(BIN / "refnet"), "up"], env=env, cwd=ROOT, capture_output=True, text=True,
                        timeout=60)
    assert up.returncode != 0
    assert "RabbitMQ does not answer" in up.stderr and "rabbitmq-server" in up.stderr
    assert "guest:guest" not in up.stderr  # no password in messages


def free_base_port() -> int:
    """A base whose six metrics ports (honcho: base + 100 x line + replica) are free now."""
    import random
    import socket
    for _ in range(50):
        base = random.randrange(20000, 29000)
        try:
            for offset in (0, 1, 100, 101, 200, 201):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise AssertionError("no free range of metrics ports")


def test_refnet_up_with_two_replicas_runs_two_of_each_service(tmp_path, own_vhost):
    """`make up REPLICAS=2`: honcho runs two processes of each service, each serving /metrics on
    its own port (base + 100 x Procfile line + replica), all on the same broker and databases."""
    port, base = free_port(), free_base_port()
    env = {**os.environ, "REFNET_VAR": str(tmp_path), "REFNET_PORT": str(port), "AMQP_URI": own_vhost,
           "PYTHONWARNINGS": "ignore", "REFNET_REPLICAS": "2", "REFNET_METRICS_BASE_PORT": str(base)}
    for name in ("REFERRAL", "SHELTER", "LEGAL"):
        env.pop(f"{name}_DATABASE_URL", None)
    for key in [k for k in env if k.startswith("REFNET_") and k not in
                ("REFNET_VAR", "REFNET_PORT", "REFNET_REPLICAS", "REFNET_METRICS_BASE_PORT")]:
        env.pop(key)
    env.pop("PORT", None)
    try:
        up = subprocess.run([str(BIN / "refnet"), "up"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=180)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "2 replica(s)" in up.stdout
        for line_number, service in enumerate(("referral", "shelter", "legal")):
            for replica in (0, 1):
                page = requests.get(f"http://127.0.0.1:{base + 100 * line_number + replica}/metrics", timeout=10)
                assert page.status_code == 200 and f'refnet_outbox_backlog{{service="{service}"}}' in page.text
    finally:
        down = subprocess.run([str(BIN / "refnet"), "down"], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    assert down.returncode == 0
