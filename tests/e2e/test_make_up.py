"""`refnet up` (what `make up` runs) takes a clean directory to a running, seeded network; a
second `refnet up` changes nothing that is there; a step that fails is one line and stops what
`refnet up` started."""

import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from refnet import demo
from refnet.harness.broker import (connection_users, create_vhost, delete_users_and_vhosts,
                                   delete_vhost)
from refnet.harness.network import ROOT, free_port
from refnet.harness.polling import poll
from tests.e2e.conftest import BROKER_WIDE_NAMES

BIN = Path(sys.executable).parent
FACILITY = demo.FACILITY["id"]

# `refnet up` makes the broker-wide users refnet-<kind> and the test deletes them after: never
# at once with another test that does (pytest-xdist workers; tests/e2e/conftest.py)
pytestmark = pytest.mark.xdist_group(BROKER_WIDE_NAMES)


@pytest.fixture
def own_vhost():
    """A vhost of the test's own: on the session network's vhost, its services would compete
    for the RPC requests of the network `refnet up` starts (each with its own databases)."""
    name, uri = create_vhost("refnet-up")
    yield uri
    delete_vhost(name)
    delete_users_and_vhosts([f"refnet-{kind}" for kind in  # `refnet up` made them
                             ("gateway", "referral", "shelter", "legal", "notify")], [])


def free_base_port() -> int:
    """A base whose eight metrics ports (the supervisor's: base + 100 x line + replica) are free now."""
    import random
    import socket
    for _ in range(50):
        base = random.randrange(20000, 29000)
        try:
            for offset in (0, 1, 100, 101, 200, 201, 300, 301):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise AssertionError("no free range of metrics ports")


def up_env(var: Path, vhost: str, port: int, **settings: str) -> dict:
    """The environment of a `refnet up` of the test's own: its folder, broker vhost, gateway
    port and metrics ports, its own SQLite databases, the defaults of every other setting."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for name in ("REFERRAL", "SHELTER", "LEGAL"):
        env.pop(f"{name}_DATABASE_URL", None)
    for key in [k for k in env if k.startswith("REFNET_")]:
        env.pop(key)
    env.pop("PORT", None)
    return {**env, "REFNET_VAR": str(var), "REFNET_PORT": str(port), "AMQP_URI": vhost,
            "REFNET_METRICS_BASE_PORT": str(free_base_port()), **settings}


def refnet(env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``.venv/bin/refnet ARGS`` with ``env``."""
    return subprocess.run([str(BIN / "refnet"), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_refnet_up_prints_where_to_go_and_down_stops_everything(tmp_path, own_vhost):
    port = free_port()
    env = up_env(tmp_path, own_vhost, port)
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
        # the NGO shelter's 45 beds, and the government shelter's facility (two providers)
        by_provider = {}
        for row in beds["facilities"]:
            by_provider[row["provider"]] = by_provider.get(row["provider"], 0) + row["capacity"]
        assert by_provider == {"erbil-shelter": 45, "duhok-gov-shelter": 30}
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
        # every process connects as its own kind's broker user, none as the administrator
        vhost = urllib.parse.unquote(urllib.parse.urlsplit(own_vhost).path[1:])
        assert set(connection_users(vhost)) == {f"refnet-{kind}" for kind in
                                                ("gateway", "referral", "shelter", "legal", "notify")}
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
    [line] = up.stderr.splitlines()  # one line, no traceback
    assert "RabbitMQ does not answer" in line and "rabbitmq-server" in line
    assert "guest:guest" not in up.stderr  # no password in messages


def test_refnet_up_with_two_replicas_runs_two_of_each_service(tmp_path, own_vhost):
    """`make up REPLICAS=2`: the supervisor runs two processes of each service, each serving /metrics on
    its own port (base + 100 x Procfile line + replica), all on the same broker and databases."""
    env = up_env(tmp_path, own_vhost, free_port(), REFNET_REPLICAS="2")
    base = int(env["REFNET_METRICS_BASE_PORT"])
    try:
        up = subprocess.run([str(BIN / "refnet"), "up"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=180)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "2 replica(s)" in up.stdout
        for line_number, service in enumerate(("referral", "shelter", "legal", "notify")):
            for replica in (0, 1):
                page = requests.get(f"http://127.0.0.1:{base + 100 * line_number + replica}/metrics", timeout=10)
                assert page.status_code == 200 and f'refnet_outbox_backlog{{service="{service}"}}' in page.text
    finally:
        down = subprocess.run([str(BIN / "refnet"), "down"], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    assert down.returncode == 0


def token_of(up_stdout: str, role: str) -> str:
    """The bearer token `refnet up` printed for the demo user of ``role``."""
    return next(line.split()[-1] for line in up_stdout.splitlines() if line.startswith(f"  {role} "))


def sign_in(port: int, username: str, password: str) -> int:
    """The status of a sign-in on the web pages (302: signed in)."""
    page = requests.get(f"http://127.0.0.1:{port}/sign-in", timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return requests.post(f"http://127.0.0.1:{port}/sign-in", allow_redirects=False, timeout=10,
                         cookies={"refnet_presession": page.cookies["refnet_presession"]},
                         data={"username": username, "password": password,
                               "csrf_token": csrf}).status_code


def test_a_restart_keeps_every_figure_and_what_an_administrator_changed(tmp_path, own_vhost):
    """Up; 30 women's beds, 3 held by accepted referrals, 26 out of service (more in use than
    the demo's 25); a demo person disabled, another's password changed; down; up: all kept."""
    port = free_port()
    env = up_env(tmp_path, own_vhost, port)
    api = f"http://127.0.0.1:{port}/api/v1"

    def call(method, path, token, headers=(), **kwargs):
        return requests.request(method, api + path, timeout=15, **kwargs,
                                headers={"Authorization": f"Bearer {token}", **dict(headers)})

    def women(token):
        rows = call("GET", "/shelters/availability", token).json()["facilities"]
        return {r["population_group"]: r for r in rows if r["facility"] == FACILITY}

    try:
        first = refnet(env, "up")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "demo data seeded into this empty network" in first.stdout
        police, shelter = token_of(first.stdout, "police"), token_of(first.stdout, "shelter")
        web = {line.split()[2]: line.split()[3] for line in first.stdout.splitlines()
               if line.startswith("  web ")}

        changed = call("PUT", f"/shelters/{FACILITY}/capacity", shelter,
                       json={"population_group": "women", "capacity": 30, "reason": "new wing"})
        assert changed.status_code == 200, changed.text
        references = []
        for n in range(3):
            answer = call("POST", "/referrals", police, json=demo.SAMPLE_REFERRAL,
                          headers={"Idempotency-Key": f"restart-{n}"})
            assert answer.status_code == 202, answer.text
            references.append(answer.json()["reference"])
        poll(lambda: set(references) <= {r["reference"] for r in
                                         call("GET", "/shelter/incoming", shelter).json()["items"]},
             "the shelter received the three referrals", timeout=60)
        for reference in references:
            decided = call("POST", f"/referrals/{reference}/decision", shelter, json={"decision": "accept"})
            assert decided.status_code == 200 and decided.json()["placement"]["state"] == "held", decided.text
        repairs = call("PUT", f"/shelters/{FACILITY}/out-of-service", shelter,
                       json={"population_group": "women", "beds": 26, "reason": "repairs",
                             "expected_return": (date.today() + timedelta(days=30)).isoformat()})
        assert repairs.status_code == 200, repairs.text
        before = women(police)
        assert {k: before["women"][k] for k in ("capacity", "held", "out_of_service", "available")} == \
            {"capacity": 30, "held": 3, "out_of_service": 26, "available": 1}

        assert refnet(env, "user", "disable", "--username", "officer.demo").returncode == 0
        (tmp_path / "new-password").write_text("chosen-by-the-administrator\n")
        assert refnet(env, "user", "password", "--username", "lawyer.demo",
                      "--password-file", str(tmp_path / "new-password")).returncode == 0

        assert refnet(env, "down").returncode == 0
        again = refnet(env, "up")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "Traceback" not in again.stderr
        assert "nothing seeded, every figure kept" in again.stdout
        assert f"facility '{FACILITY}': 50 beds (children 8, men 12, women 30)" in again.stdout

        assert women(token_of(again.stdout, "police")) == before  # capacity, holds, beds out: all kept
        board = call("GET", f"/shelters/{FACILITY}/board", token_of(again.stdout, "shelter")).json()
        [group] = [g for g in board["groups"] if g["population_group"] == "women"]
        assert sorted(p["reference"] for p in group["places"] if p["state"] == "held") == sorted(references)

        assert "  web police   officer.demo   (disabled)" in again.stdout
        assert "  web legal    lawyer.demo    (password changed)" in again.stdout
        assert sign_in(port, "officer.demo", web["officer.demo"]) != 302  # still disabled
        assert sign_in(port, "lawyer.demo", web["lawyer.demo"]) != 302  # not given the demo one back
        assert sign_in(port, "lawyer.demo", "chosen-by-the-administrator") == 302
        assert sign_in(port, "intake.demo", web["intake.demo"]) == 302  # untouched: as printed
    finally:
        refnet(env, "down", timeout=60)


def test_a_seeding_failure_is_one_line_and_stops_the_network(tmp_path, own_vhost):
    """The shelter database refuses new facilities (a trigger): `refnet up` says so in one line
    and stops the network it started; once the database takes them, `refnet up` completes the
    seeding of the still empty network."""
    port = free_port()
    env = up_env(tmp_path, own_vhost, port)
    assert refnet(env, "migrate").returncode == 0
    with sqlite3.connect(tmp_path / "shelter.db") as db:
        db.execute("CREATE TRIGGER closed BEFORE INSERT ON facilities "
                   "BEGIN SELECT RAISE(ABORT, 'no new facility today'); END")
    try:
        up = refnet(env, "up")
        assert up.returncode == 1, up.stdout + up.stderr
        [line] = up.stderr.splitlines()
        assert line.startswith("refnet up: seeding the demo data failed (")
        assert "no new facility today" in line
        assert line.endswith("then `make up` again; the network it started is stopped")
        status = refnet(env, "status")
        assert status.returncode == 1 and "not running" in status.stdout
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=3)

        with sqlite3.connect(tmp_path / "shelter.db") as db:
            db.execute("DROP TRIGGER closed")
        again = refnet(env, "up")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "demo data seeded into this empty network" in again.stdout
        assert f"facility '{FACILITY}': 45 beds" in again.stdout
        web = {line.split()[2]: line.split()[3] for line in again.stdout.splitlines()
               if line.startswith("  web ")}
        assert sign_in(port, "officer.demo", web["officer.demo"]) == 302  # made by the first try
    finally:
        refnet(env, "down", timeout=60)
