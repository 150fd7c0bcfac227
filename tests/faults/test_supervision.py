"""The one-machine form survives a crash: under the supervisor `refnet up` runs (`refnet
supervise`), a `kill -9` of any service or of the gateway while referrals are submitted brings
that process back with a new pid, never stops the others, and loses no referral."""

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network
from refnet.harness.settings import VALUES
from refnet.local.runner import Runner
from refnet.settings import ROOT
from tests.e2e.conftest import CANONICAL
from tests.faults.conftest import all_referrals, unique_agency, wait_all

BIN = Path(sys.executable).parent
VICTIMS = ("referral", "shelter", "legal", "gateway")  # the first process of each line


def free_base_port(replicas: int) -> int:
    """A base whose PORTs (base + 100 x Procfile line + replica) are all free now."""
    offsets = [100 * line + replica for line in range(4) for replica in range(replicas)]
    for _ in range(50):
        base = random.randrange(20000, 29000)
        try:
            for offset in offsets:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise AssertionError("no free range of ports")


def poll(what: str, probe, timeout: float = 60.0, network=None):
    """Call ``probe`` until it returns something true; return that."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (requests.RequestException, OSError, KeyError, TypeError) as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise AssertionError(f"{what}: not after {timeout}s ({last})\n{network.tail_logs() if network else ''}")


class Submitter(threading.Thread):
    """Submits referrals one after another through the gateway, each with its own idempotency
    key, sending the same request again (same key) after a connection error or a 5xx."""

    def __init__(self, network: Network, token: str):
        super().__init__(daemon=True)
        self.network, self.token = network, token
        self.references: list[str] = []
        self.retries = 0
        self.refused: list[str] = []
        self.done = threading.Event()

    def run(self):
        number = 0
        while not self.done.is_set() and not self.refused:
            self.references.append(self.submit(f"supervised-{number}"))
            number += 1
            time.sleep(0.1)

    def submit(self, key: str) -> str:
        while True:
            try:
                answer = self.network.api("POST", "/referrals", self.token, json=CANONICAL,
                                          headers={"Idempotency-Key": key})
                if answer.status_code == 202:
                    return answer.json()["reference"]
                if answer.status_code < 500:
                    self.refused.append(f"{answer.status_code} {answer.text[:200]}")
                    return ""
            except requests.RequestException:
                pass
            self.retries += 1
            time.sleep(0.2)

    def wait_for_more(self, count: int) -> None:
        """Wait until ``count`` more referrals were accepted than now."""
        target = len(self.references) + count
        poll(f"{count} more submissions", lambda: len(self.references) >= target or self.refused,
             network=self.network)
        assert not self.refused, self.refused


@pytest.fixture
def supervised(tmp_path):
    """A network run by `refnet supervise` (what `refnet up` starts in the background) on a
    vhost and databases of its own; stopped with `refnet down` if the test did not."""
    name, uri = create_vhost("refnet-fault")
    replicas = VALUES.test_replicas
    network = Network(tmp_path / "net", uri, extra_env={
        "REFNET_RETRY_BASE_SECONDS": "0.05", "REFNET_RATE_LIMIT_PER_MINUTE": "1000000",
        "REFNET_REPLICAS": str(replicas), "REFNET_METRICS_BASE_PORT": str(free_base_port(replicas))})
    network.prepare()
    network.logs.mkdir(parents=True, exist_ok=True)
    with open(network.logs / "supervisor.log", "ab") as log:
        process = subprocess.Popen([str(BIN / "refnet"), "supervise"], cwd=ROOT, env=network.env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    try:
        network.wait_ready()
        network.seed_facility()
        yield network, process
    finally:
        if process.poll() is None:
            subprocess.run([str(BIN / "refnet"), "down"], env=network.env, cwd=ROOT,
                           capture_output=True, timeout=60)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        delete_vhost(name)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_each_process_killed_comes_back_alone_and_no_referral_is_lost(supervised):
    network, supervisor = supervised
    runner = Runner(network.workdir, network.url)
    token = network.token("police", agency=unique_agency())
    submitter = Submitter(network, token)
    submitter.start()
    back_after = {}
    try:
        for victim in VICTIMS:
            submitter.wait_for_more(5)
            before = runner.state()["processes"]
            assert all(p["pid"] and alive(p["pid"]) for p in before.values()), before
            killed_at = time.monotonic()
            os.kill(before[victim]["pid"], signal.SIGKILL)

            def started_again(old=before[victim]["pid"]):
                process = runner.state()["processes"][victim]
                return process if process["pid"] not in (None, old) else None

            poll(f"{victim} started again", started_again, network=network)
            if victim == "gateway":
                network.wait_ready()
            else:  # the new process answers on the same port, and the network is ready again
                port = before[victim]["port"]
                poll(f"{victim} /healthz", lambda: requests.get(
                    f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200, network=network)
                network.wait_service(victim)
                network.wait_ready()
            back_after[victim] = round(time.monotonic() - killed_at, 1)

            after = runner.state()["processes"]
            assert after[victim]["restarts"] == before[victim]["restarts"] + 1
            assert after[victim]["last_exit"]["signal"] == "SIGKILL"
            assert alive(after[victim]["pid"])
            others = {n: p["pid"] for n, p in before.items() if n != victim}
            assert {n: after[n]["pid"] for n in others} == others  # nobody else was stopped
            assert all(alive(pid) and after[n]["restarts"] == before[n]["restarts"]
                       for n, pid in others.items())
        submitter.wait_for_more(5)  # and submissions go on after the last one came back
    finally:
        submitter.done.set()
        submitter.join(60)
    assert not submitter.refused, submitter.refused
    print(f"\n{len(submitter.references)} referrals submitted, {submitter.retries} requests sent "
          f"again; back after (s): {back_after}")

    references = set(submitter.references)
    assert len(references) == len(submitter.references)  # one reference per idempotency key
    wait_all(network, token, references, "received", timeout=300)
    listed = Counter(item["reference"] for item in all_referrals(network, token))
    assert set(listed) == references and set(listed.values()) == {1}
    incoming = network.api("GET", "/shelter/incoming", network.token("shelter"),
                           params={"status": "all", "limit": 500}).json()["items"]
    received = Counter(row["reference"] for row in incoming if row["reference"] in references)
    assert set(received) == references and set(received.values()) == {1}

    status = subprocess.run([str(BIN / "refnet"), "status"], env=network.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stdout + status.stderr
    rows = {line.split()[0]: line for line in status.stdout.splitlines()[2:]}
    assert all("killed by SIGKILL" in rows[victim] for victim in VICTIMS), status.stdout

    children = [p["pid"] for p in runner.state()["processes"].values()]
    down = subprocess.run([str(BIN / "refnet"), "down"], env=network.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert supervisor.wait(30) == 0
    assert not any(alive(pid) for pid in children)
    status = subprocess.run([str(BIN / "refnet"), "status"], env=network.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 1 and status.stdout.strip() == "not running"
