"""End-to-end fixtures: the whole network as real processes on a fresh broker vhost."""

import json
import uuid

import kombu
import kombu.exceptions
import pytest

from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network

CANONICAL = {
    "survivor": {"name": "Amina K.", "sex": "female", "birth_year": 1998, "age_estimated": True,
                 "nationality": "ET", "languages": ["am", "ar"], "phone": "+9647501234567"},
    "exploitation_types": ["labour"], "identified_on": "2026-11-20",
    "identified_place": "Erbil", "needs": ["shelter", "legal", "documents"],
    "children": [{"sex": "female", "age": 6}], "urgency": "urgent",
    "consent": {"given": True, "recorded_by": "Officer Hawre", "basis": "informed_consent"},
    "officer": {"name": "Officer Hawre", "unit": "Erbil TIP Unit"},
}


@pytest.fixture(scope="session")
def vhost_uri():
    name, uri = create_vhost("refnet-e2e")
    yield uri
    delete_vhost(name)


@pytest.fixture(scope="session")
def event_tap(vhost_uri):
    """A queue bound to every event on the events exchange, declared before anything runs."""
    connection = kombu.Connection(vhost_uri)
    exchange = kombu.Exchange("refnet.events", type="topic", durable=True)
    queue = kombu.Queue(f"tap-{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="#",
                        durable=False, auto_delete=False)
    queue(connection.channel()).declare()
    yield Tap(connection, queue)
    try:  # the vhost is deleted next anyway; a broker restarted meanwhile must not fail the run
        queue(connection.channel()).delete()
    except (OSError, KeyError, kombu.exceptions.OperationalError):
        pass
    connection.release()


class Tap:
    def __init__(self, connection, queue):
        self.connection, self.queue, self.seen = connection, queue, []

    def drain(self) -> list[dict]:
        """Every message that reached the tap so far (raw bodies, decoded as JSON)."""
        bound = self.queue(self.connection.channel())
        while True:
            message = bound.get(no_ack=True, accept=["json", "application/json"])
            if message is None:
                return self.seen
            self.seen.append(json.loads(message.body))


@pytest.fixture(scope="session")
def network(tmp_path_factory, vhost_uri, event_tap):
    net = Network(tmp_path_factory.mktemp("network"), vhost_uri)
    net.prepare()
    net.start()
    try:
        net.wait_ready()
        net.seed_facility()
        yield net
    finally:
        net.stop()


@pytest.fixture
def agency():
    """A police agency of the test's own, so tests never see each other's referrals."""
    return f"tip-unit-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def police(network, agency):
    return network.token("police", agency=agency)


@pytest.fixture
def shelter(network):
    return network.token("shelter")


def submit(network, token, body=None, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return network.api("POST", "/referrals", token, json=body or CANONICAL, headers=headers)
