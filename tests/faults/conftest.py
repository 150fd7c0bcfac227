"""Fault tests: real processes, a real broker (a fresh vhost per test), real faults."""

import subprocess
import time
import uuid

import pytest

from tests.e2e.conftest import CANONICAL  # noqa: F401  (the canonical body, shared)
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network


@pytest.fixture
def make_network(tmp_path):
    """Build and start a network; everything it started is stopped and removed afterwards."""
    made = []

    def make(*, replicas: int | None = None, extra_env: dict | None = None,
             duplicate_events: bool = False) -> Network:
        name, uri = create_vhost("refnet-fault")
        env = {"REFNET_RETRY_BASE_SECONDS": "0.05", **(extra_env or {})}
        net = Network(tmp_path / f"net{len(made)}", uri, extra_env=env, replicas=replicas,
                      duplicate_events=duplicate_events)
        made.append((net, name))
        net.prepare()
        net.start()
        net.wait_ready()
        net.seed_facility()
        return net

    yield make
    for net, name in made:
        net.stop()
        delete_vhost(name)


def restart_broker() -> None:
    """Stop and start the RabbitMQ application (definitions and durable queues survive)."""
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    time.sleep(1)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120)


def unique_agency() -> str:
    return f"tip-unit-{uuid.uuid4().hex[:8]}"


def all_referrals(network, token) -> list[dict]:
    """Every referral the token's agency can list, following the cursor."""
    items, cursor = [], None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = network.api("GET", "/referrals", token, params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


PLACED = ("bed_held", "waitlisted")  # where an accepted referral ends: a bed held, or the waitlist


def wait_all(network, token, references: set[str], status, timeout: float = 120.0) -> list[dict]:
    """Poll the list until every reference has ``status`` (one, or a tuple of allowed ones)."""
    wanted = (status,) if isinstance(status, str) else tuple(status)
    deadline, items = time.time() + timeout, []
    while time.time() < deadline:
        items = all_referrals(network, token)
        done = {i["reference"] for i in items if i["status"] in wanted}
        if references <= done:
            return items
        time.sleep(0.5)
    missing = references - {i["reference"] for i in items if i["status"] in wanted}
    raise AssertionError(f"{len(missing)} of {len(references)} never reached {wanted}\n{network.tail_logs()}")


def accepted_and_placed(timeline: list[str]) -> bool:
    """The timeline of an accepted referral: received, accepted, then a bed held or waitlisted."""
    return timeline[:3] == ["submitted", "received", "accepted"] and len(timeline) == 4 \
        and timeline[3] in PLACED


@pytest.fixture
def event_tap_factory():
    """Bind a tap queue to every event of a network's vhost; returns a drain function."""
    opened = []

    def make(network):
        import json

        import kombu
        connection = kombu.Connection(network.amqp_uri)
        queue = kombu.Queue(f"tap-{uuid.uuid4().hex[:6]}", exchange=kombu.Exchange("refnet.events", type="topic"),
                            routing_key="#", durable=False)
        queue(connection.channel()).declare()
        opened.append(connection)
        seen = []

        def drain():
            bound = queue(connection.channel())
            while (message := bound.get(no_ack=True, accept=["json", "application/json"])) is not None:
                seen.append(json.loads(message.body))
            return seen
        return drain

    yield make
    for connection in opened:
        connection.release()
