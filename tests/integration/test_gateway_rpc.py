"""The gateway's RPC client (gateway/rpc.py) against a real nameko service on a real broker:
the protocol is nameko's, spoken with kombu alone, so these tests hold the two together."""

import eventlet
import pytest
from nameko.contextdata import ContextDataProvider
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from nameko import exceptions as nameko_exceptions

from gateway.rpc import RpcClient
from services.common import logs
from services.common.errors import NotFound
from services.common.runtime.entrypoints import rpc


class RequestId(ContextDataProvider):
    context_key = "correlation_id"  # the header nameko.correlation_id, as the services read it


class Probe:
    """A small service on the services' own ``@rpc`` entrypoint."""

    name = "probe"
    request_id = RequestId()

    @rpc
    def echo(self, **kwargs):
        return {"kwargs": kwargs}

    @rpc
    def refuse(self, reference):
        raise NotFound("no such referral", field="reference")

    @rpc
    def crash(self):
        raise KeyError("a bug")

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)
        return "late"

    @rpc
    def correlation(self):
        return self.request_id


@pytest.fixture
def service(fresh_vhost, container_factory, monkeypatch):
    # what gateway/errors.py does at import, for this test only: other integration tests read
    # the services' errors as nameko's RemoteError
    monkeypatch.setattr(nameko_exceptions, "registry", dict(nameko_exceptions.registry))
    nameko_exceptions.deserialize_to_instance(NotFound)
    _name, uri = fresh_vhost
    container = container_factory(Probe, {"AMQP_URI": uri})
    container.start()
    client = RpcClient(uri, size=4, timeout=2)
    yield client
    client.close()
    container.stop()


def test_a_call_round_trips_with_its_arguments(service):
    assert service.call("probe", "echo", reference="RN-A", caller={"role": "police"}) == {
        "kwargs": {"reference": "RN-A", "caller": {"role": "police"}}}


def test_calls_from_many_threads_each_get_their_own_answer(service):
    pool = eventlet.GreenPool(4)
    answers = list(pool.imap(lambda n: service.call("probe", "echo", n=n)["kwargs"]["n"], range(40)))
    assert answers == list(range(40))


def test_a_service_error_is_rebuilt_with_its_field(service):
    with pytest.raises(NotFound) as raised:
        service.call("probe", "refuse", reference="RN-A")
    assert raised.value.field == "reference"
    with pytest.raises(RemoteError):
        service.call("probe", "crash")


def test_an_unknown_service_is_refused_at_once(service):
    with pytest.raises(UnknownService):
        service.call("nobody", "anything")


def test_a_slow_answer_times_out_and_does_not_confuse_the_next_call(service):
    with pytest.raises(RpcTimeout):
        service.call("probe", "slow", seconds=3)
    assert service.call("probe", "echo", after="timeout") == {"kwargs": {"after": "timeout"}}


def test_the_request_id_travels_to_the_service(service):
    token = logs.correlation_id.set("req-abcdef123456")
    try:
        answer = service.call("probe", "correlation")
    finally:
        logs.correlation_id.reset(token)
    assert answer == "req-abcdef123456"


def test_a_call_within_a_timeout_of_its_own_gives_up_before_the_clients(service):
    """The pages' unread badge: a second, not the client's timeout (here 2 s)."""
    with pytest.raises(RpcTimeout):
        service.call_within(0.2, "probe", "slow", seconds=1)  # the client would wait for it
    assert service.call_within(2, "probe", "echo", after="timeout") == {"kwargs": {"after": "timeout"}}


def test_closing_wakes_the_reply_thread_with_a_message_to_its_own_queue(service, monkeypatch):
    """A command such as `refnet seed-demo` ends when its client closes: the reply thread gets
    an empty message on its own queue and stops, instead of waiting for its next timeout."""
    received, on_reply = [], service._on_reply

    def recording(body, message):  # the consumer takes its callback when the thread starts
        received.append((body, message.properties.get("correlation_id")))
        on_reply(body, message)
    monkeypatch.setattr(service, "_on_reply", recording)
    assert service.call("probe", "echo", n=1) == {"kwargs": {"n": 1}}
    listener = service._listener
    service.close()
    assert not listener.is_alive()
    assert len(received) == 2 and received[0][1] is not None  # the answer to the call
    assert received[1] == ({}, None)                          # then the wake
