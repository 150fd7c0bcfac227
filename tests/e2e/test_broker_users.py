"""The broker is a trust boundary: each process kind's broker user may do only what that kind
must. The network of these tests runs every process as its own kind's user (the harness's
default), so the other e2e files prove the patterns suffice; these prove they refuse."""

import uuid

import kombu
import pytest
from amqp.exceptions import AccessRefused

from services.contracts import topology
from services.contracts.broker_users import RPC_EXCHANGE
from tests.e2e.conftest import submit



def _refused(uri: str, act) -> bool:
    """True when the broker refuses ``act(channel)`` with ACCESS_REFUSED (403)."""
    with kombu.Connection(uri, connect_timeout=5) as conn:
        channel = conn.channel()
        try:
            act(channel)
        except AccessRefused:
            return True
        return False


def test_the_gateway_cannot_read_the_intake_queue_nor_another_queue(network):
    gateway = network.kind_uris["gateway"]
    assert _refused(gateway, lambda ch: ch.basic_get(topology.INTAKE_QUEUE, no_ack=False))
    assert _refused(gateway, lambda ch: ch.basic_consume(topology.INTAKE_QUEUE, callback=print))
    assert _refused(gateway, lambda ch: ch.basic_get("shelter.events"))
    assert _refused(gateway, lambda ch: ch.basic_get("rpc-referral"))


def test_the_intake_queue_is_read_by_the_referral_service_alone(network):
    # the same read the gateway is refused above is the referral service's own (0 or 1 message
    # taken and handed back: the queue has a live consumer, so it is usually empty)
    def peek(channel):
        message = channel.basic_get(topology.INTAKE_QUEUE, no_ack=False)
        if message is not None:
            channel.basic_reject(message.delivery_tag, requeue=True)
    assert not _refused(network.kind_uris["referral"], peek)
    assert _refused(network.kind_uris["shelter"], peek)
    assert _refused(network.kind_uris["legal"], peek)


@pytest.mark.parametrize("kind", ["referral", "shelter", "legal", "notify"])
def test_no_service_can_bind_a_queue_to_the_gateways_reply_key(network, kind):
    uri = network.kind_uris[kind]
    reply_key = uuid.uuid4().hex  # the form of the gateway's reply routing keys
    own_queue = f"rpc-{kind}"
    assert _refused(uri, lambda ch: ch.queue_bind(own_queue, RPC_EXCHANGE, reply_key))
    # its own binding, the one nameko declares at its start, is allowed
    assert not _refused(uri, lambda ch: ch.queue_bind(own_queue, RPC_EXCHANGE, f"{kind}.*"))


def test_the_gateway_cannot_bind_its_reply_queue_to_a_service_s_requests(network):
    def bind_to_requests(channel):
        queue = f"rpc.reply-gateway-{uuid.uuid4().hex}"
        channel.queue_declare(queue, exclusive=True, auto_delete=True)
        channel.queue_bind(queue, RPC_EXCHANGE, "referral.*")
    assert _refused(network.kind_uris["gateway"], bind_to_requests)


def test_a_service_cannot_declare_another_s_queue(network):
    assert _refused(network.kind_uris["shelter"],
                    lambda ch: ch.queue_declare("rpc.reply-gateway-" + uuid.uuid4().hex,
                                                exclusive=True, auto_delete=True))
    assert _refused(network.kind_uris["legal"],
                    lambda ch: ch.queue_declare("stolen-shelter-events", auto_delete=True))


@pytest.mark.parametrize("kind,forged", [("shelter", "referral.accepted"),
                                         ("legal", "shelter.admitted"),
                                         ("gateway", "referral.submitted")])
def test_no_process_can_publish_another_s_events(network, kind, forged):
    def publish(channel):
        channel.basic_publish(channel.prepare_message(b"{}", content_type="application/json"),
                              exchange=topology.EVENTS_EXCHANGE, routing_key=forged)
        channel.queue_declare("shelter.events", passive=True)  # the refusal closes the channel
    assert _refused(network.kind_uris[kind], publish)


def test_the_network_runs_with_per_kind_users(network, police):
    """The patterns suffice: a submission travels through the gateway's user to referral's."""
    answer = submit(network, police)
    assert answer.status_code == 202, answer.text
    network.wait_status(answer.json()["reference"], "received", police)
