"""The broker is stopped and started while police submit 500 referrals."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.conftest import CANONICAL
from tests.faults.conftest import restart_broker, unique_agency, wait_all

SUBMISSIONS = 500


def submit_until_acknowledged(network, token, key, deadline) -> tuple[str, int]:
    """Submit with one Idempotency-Key until the gateway answers 202; return (reference, tries)."""
    tries = 0
    while time.time() < deadline:
        tries += 1
        try:
            answer = requests.post(f"{network.url}/api/v1/referrals", json=CANONICAL, timeout=15,
                                   headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
            if answer.status_code == 202:
                return answer.json()["reference"], tries
            assert answer.status_code == 503, answer.text  # the only acceptable refusal
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"submission {key} never acknowledged")


def test_broker_restart_while_submitting_loses_nothing_and_duplicates_nothing(make_network):
    network = make_network()
    token = network.token("police", agency=unique_agency())
    acknowledged: dict[str, str] = {}
    retried = []
    lock = threading.Lock()
    deadline = time.time() + 240
    started = threading.Event()  # the restart begins once the stream is flowing
    ack_times: list[float] = []
    window: dict[str, float] = {}

    def restart():
        started.wait(60)
        window["from"] = time.time()
        restart_broker()
        window["to"] = time.time()

    def one(i):
        time.sleep(0.1)  # ~100 submissions a second in all: the stream spans the restart
        reference, tries = submit_until_acknowledged(network, token, f"restart-{i}", deadline)
        with lock:
            acknowledged[f"restart-{i}"] = reference
            ack_times.append(time.time())
            if tries > 1:
                retried.append(i)
            if len(acknowledged) >= 50:
                started.set()

    restarter = threading.Thread(target=restart)
    with ThreadPoolExecutor(max_workers=10) as pool:
        futures = [pool.submit(one, i) for i in range(SUBMISSIONS)]
        restarter.start()
        for future in futures:
            future.result()
    restarter.join()

    references = set(acknowledged.values())
    assert len(acknowledged) == SUBMISSIONS and len(references) == SUBMISSIONS
    # The restart happened in the middle of the stream (else the test would prove nothing).
    assert min(ack_times) < window["from"] and max(ack_times) > window["to"], (window, len(retried))
    network.wait_ready(timeout=120)
    items = wait_all(network, token, references, "received", timeout=240)
    listed = [i["reference"] for i in items]
    lost = references - set(listed)
    duplicated = len(listed) - len(set(listed))
    unexpected = set(listed) - references
    assert (len(lost), duplicated, len(unexpected)) == (0, 0, 0)
    for reference in list(references)[:50]:
        timeline = network.api("GET", f"/referrals/{reference}/status", token).json()["timeline"]
        assert [e["status"] for e in timeline] == ["submitted", "received"]
    print(f"\n{SUBMISSIONS} acknowledged, {len(retried)} needed a retry, lost=0, duplicated=0")
