"""Gateway pieces outside the request cycle: settings, the intake publisher (with a fake
broker publisher), and the broker topology objects it relies on."""

import json
import threading
import time

import pytest
from cryptography.exceptions import InvalidTag

from gateway import settings
from gateway.intake import INTAKE_QUEUE, IntakePublisher
from services.common import broker
from services.common.sealing import unseal
from services.common.settings import SettingsError
from services.contracts import topology
from services.contracts.references import is_reference, reference_for_key
from services.contracts.submission import ReferralSubmissionSchema, SubmitReferralV1, seal_binding

from .conftest import CALLER_SIGNING_KEY, REF, REFERENCE_SECRET, TOKEN_SECRET

ENV_VARS = [setting.env for setting in settings.SETTINGS]


@pytest.fixture
def clean_env(monkeypatch):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


# --- settings ---------------------------------------------------------------------------------------

def test_a_missing_secret_is_refused_by_name(clean_env, keypair):
    with pytest.raises(SettingsError) as info:
        settings.load({"TOKEN_SECRET": TOKEN_SECRET, "INTAKE_PUBLIC_KEY": keypair[1]})
    assert str(info.value).startswith("REFNET_REFERENCE_SECRET is required")


def test_environment_then_overrides(clean_env, keypair):
    clean_env.setenv("REFNET_TOKEN_SECRET", "from-env-" + "x" * 32)
    clean_env.setenv("REFNET_REFERENCE_SECRET", REFERENCE_SECRET)
    clean_env.setenv("REFNET_INTAKE_PUBLIC_KEY", keypair[1])
    clean_env.setenv("REFNET_CALLER_SIGNING_KEY", CALLER_SIGNING_KEY)
    clean_env.setenv("REFNET_RPC_TIMEOUT", "2.5")
    clean_env.setenv("REFNET_RPC_POOL_SIZE", "7")
    loaded = settings.load({"TOKEN_SECRET": TOKEN_SECRET})
    assert loaded["TOKEN_SECRET"] == TOKEN_SECRET
    assert loaded["REFERENCE_SECRET"] == REFERENCE_SECRET
    assert loaded["RPC_TIMEOUT"] == 2.5 and loaded["RPC_POOL_SIZE"] == 7
    assert loaded["MAX_CONTENT_LENGTH"] == 64 * 1024


def test_an_override_is_checked_as_the_environment_is(clean_env, keypair):
    with pytest.raises(SettingsError) as info:
        settings.load({"TOKEN_SECRET": "tiny-token", "REFERENCE_SECRET": REFERENCE_SECRET,
                       "INTAKE_PUBLIC_KEY": keypair[1]})
    assert str(info.value).startswith("REFNET_TOKEN_SECRET is malformed")
    assert "tiny-token" not in str(info.value)


# --- the intake publisher -------------------------------------------------------------------------

class FakePublisher:
    def __init__(self, failures=0):
        self.failures = failures
        self.published = []

    def publish(self, body, **kwargs):
        if self.failures:
            self.failures -= 1
            raise ConnectionResetError("stale connection")
        self.published.append((body, kwargs))


def publisher_with(fake, keypair):
    intake = IntakePublisher("amqp://nowhere/", keypair[1], REFERENCE_SECRET)
    intake._local.publisher = fake  # bypass the real broker connection
    return intake


def test_intake_reference(keypair):
    intake = IntakePublisher("amqp://nowhere/", keypair[1], REFERENCE_SECRET)
    assert intake.reference("erbil-police", "k-1") == reference_for_key(REFERENCE_SECRET.encode(),
                                                                        "erbil-police", "k-1")
    assert intake.reference("erbil-police", "k-1") != intake.reference("duhok-police", "k-1")
    random_a, random_b = intake.reference("erbil-police", None), intake.reference("erbil-police", "")
    assert is_reference(random_a) and is_reference(random_b) and random_a != random_b


def test_intake_submit_seals_a_valid_command(keypair, body):
    fake = FakePublisher()
    command = publisher_with(fake, keypair).submit(body, reference=REF, agency="erbil-police",
                                                   user="officer-7", correlation_id="req-1")
    assert len(fake.published) == 1
    published, kwargs = fake.published[0]
    assert published is command
    loaded = SubmitReferralV1().load(json.loads(json.dumps(command)))
    assert (loaded["reference"], loaded["agency"], loaded["submitted_by"]) == (REF, "erbil-police", "officer-7")
    assert loaded["submitted_at"].tzinfo is not None
    assert "Amina" not in json.dumps(command)  # personal data travels sealed only
    binding = seal_binding(REF, "erbil-police", "officer-7")
    assert json.loads(unseal(command["sealed_submission"], keypair[0], binding)) == body
    ReferralSubmissionSchema().load(json.loads(unseal(command["sealed_submission"], keypair[0],
                                                      binding)))
    for moved in (seal_binding(REF, "other-police", "officer-7"),  # agency, user, reference
                  seal_binding(REF, "erbil-police", "officer-8"),  # are bound into the seal
                  seal_binding("RN-QRST-UVWX-YZ23-4567", "erbil-police", "officer-7"), None):
        with pytest.raises(InvalidTag):
            unseal(command["sealed_submission"], keypair[0], moved)
    assert kwargs["routing_key"] == topology.INTAKE_QUEUE
    assert kwargs["message_id"] == command["command_id"]


def test_intake_submit_retries_once_on_a_stale_connection(keypair, body):
    fake = FakePublisher(failures=1)
    publisher_with(fake, keypair).submit(body, reference=REF, agency="a", user="u", correlation_id=None)
    assert len(fake.published) == 1


def test_intake_submit_gives_up_after_two_failures(keypair, body):
    fake = FakePublisher(failures=2)
    with pytest.raises(ConnectionResetError):
        publisher_with(fake, keypair).submit(body, reference=REF, agency="a", user="u", correlation_id=None)
    assert fake.published == []


# --- topology objects ------------------------------------------------------------------------------

def test_intake_queue_is_a_durable_quorum_queue_with_dead_lettering():
    queue = broker.intake_queue()
    assert queue.name == topology.INTAKE_QUEUE == INTAKE_QUEUE.name
    assert queue.durable
    assert queue.queue_arguments == {"x-queue-type": "quorum", "x-delivery-limit": topology.DELIVERY_LIMIT,
                                     "x-dead-letter-exchange": topology.DEAD_LETTER_EXCHANGE}


@pytest.mark.parametrize("service", ["referral", "shelter", "legal"])
def test_event_queue_bindings(service):
    queue = broker.event_queue(service)
    assert queue.name == f"{service}.events"
    keys = {b.routing_key for b in queue.bindings}
    assert keys == set(topology.EVENT_QUEUES[queue.name])
    assert f"{service}.#" not in keys
    assert queue.queue_arguments["x-queue-type"] == "quorum"


def test_all_queues_cover_dead_letters_intake_and_events():
    names = {q.name for q in broker.all_queues()}
    assert names == {topology.DEAD_LETTER_QUEUE, topology.INTAKE_QUEUE, *topology.EVENT_QUEUES}


# --- the RPC client, with a fake broker (tests/integration/test_gateway_rpc.py has the real one) --

class FakeRpcBroker:
    """Records each request; the "service" answers through the client's reply handler."""

    def __init__(self, client, answer=None, failures=()):
        self.client, self.answer, self.failures = client, answer, list(failures)
        self.sent: list[dict] = []

    def publish_raw(self, body, *, content_type, exchange, routing_key, headers=None,
                    properties=None, **_):
        if self.failures:
            raise self.failures.pop(0)
        request = {"body": json.loads(body), "content_type": content_type, "exchange": exchange.name,
                   "routing_key": routing_key, "headers": headers, **properties}
        self.sent.append(request)
        if self.answer is not None:
            message = type("Message", (), {"properties": {"correlation_id": properties["correlation_id"]}})
            self.client._on_reply(self.answer, message)


@pytest.fixture
def client(monkeypatch):
    from gateway import rpc as rpc_module
    client = rpc_module.RpcClient("amqp://nowhere/", size=2, timeout=0.3)

    def listening():
        client._reply_key = "reply-key"
        client._ready.set()

    monkeypatch.setattr(client, "_start_listener", listening)
    client.fake = FakeRpcBroker(client)
    monkeypatch.setattr(client, "_publisher", lambda: client.fake)
    return client


def test_a_call_is_a_nameko_rpc_request_and_returns_the_result(client):
    from services.common import logs
    client.fake.answer = {"result": {"status": "received"}, "error": None}
    token = logs.correlation_id.set("req-1234567890")
    try:
        assert client.call("referral", "get_status", reference=REF) == {"status": "received"}
    finally:
        logs.correlation_id.reset(token)
    [sent] = client.fake.sent
    assert sent["exchange"] == "nameko-rpc" and sent["routing_key"] == "referral.get_status"
    assert sent["body"] == {"args": [], "kwargs": {"reference": REF}}
    assert sent["content_type"] == "application/json" and sent["reply_to"] == "reply-key"
    assert sent["headers"] == {"nameko.correlation_id": "req-1234567890"}
    assert sent["expiration"] == 0.3  # a request nobody took in time expires in its queue
    assert client._waiting == {}


def test_the_caller_goes_signed_for_the_one_method_called(client):
    from services.common.signed_caller import Signer, Verifier
    from .conftest import CALLER_VERIFY_KEY
    client.signer = Signer(CALLER_SIGNING_KEY)
    client.fake.answer = {"result": {"status": "received"}, "error": None}
    caller = {"user": "officer.one", "role": "police", "agency": "erbil-police",
              "correlation_id": "req-1234567890"}
    client.call("referral", "get_status", caller=caller, reference=REF)
    [sent] = client.fake.sent
    signed = sent["body"]["kwargs"]["caller"]
    assert isinstance(signed, str) and sent["body"]["kwargs"]["reference"] == REF
    assert Verifier(CALLER_VERIFY_KEY).verify(signed, "referral", "get_status").role == "police"


def test_a_service_error_comes_back_as_the_services_exception(client):
    import gateway.errors  # noqa: F401 - registers the service exceptions for deserialisation
    from nameko.exceptions import RemoteError

    from services.common.errors import NotFound
    client.fake.answer = {"result": None, "error": {
        "exc_path": "services.common.errors.NotFound", "exc_type": "NotFound",
        "exc_args": ["no such referral", "reference"], "value": "reference: no such referral"}}
    with pytest.raises(NotFound) as raised:
        client.call("referral", "get_status", reference=REF)
    assert raised.value.field == "reference"
    client.fake.answer = {"result": None, "error": {
        "exc_path": "builtins.KeyError", "exc_type": "KeyError", "exc_args": ["x"], "value": "x"}}
    with pytest.raises(RemoteError):
        client.call("referral", "get_status", reference=REF)


def test_no_service_bound_is_unknown_service(client):
    from nameko.exceptions import UnknownService
    client.fake.failures = [broker.Unroutable("legal.list_eligible")]
    with pytest.raises(UnknownService):
        client.call("legal", "list_eligible")


def test_no_answer_in_time_is_a_timeout_and_a_late_answer_is_dropped(client):
    from nameko.exceptions import RpcTimeout
    with pytest.raises(RpcTimeout):
        client.call("referral", "get_status", reference=REF)
    late = type("Message", (), {"properties": {"correlation_id": "gone"}})
    client._on_reply({"result": 1}, late)  # nobody waits for it: ignored
    assert client._waiting == {}


def test_a_stale_connection_gets_one_retry(client):
    client.fake.answer = {"result": "ok", "error": None}
    client.fake.failures = [ConnectionResetError("broker restarted")]
    assert client.call("referral", "ping") == "ok"
    client.fake.failures = [ConnectionResetError("down"), ConnectionResetError("still down")]
    with pytest.raises(ConnectionResetError):
        client.call("referral", "ping")


def test_calls_waiting_when_the_reply_queue_is_lost_fail_at_once(client):
    import threading
    outcome = {}

    def waiting_call():
        try:
            client.call("referral", "ping")
        except BaseException as exc:  # noqa: BLE001
            outcome["error"] = exc

    client.timeout = 30
    caller = threading.Thread(target=waiting_call)
    caller.start()
    deadline = time.monotonic() + 5
    while not client._waiting and time.monotonic() < deadline:
        time.sleep(0.001)
    client._fail_waiting()  # what the reply thread does when its connection dies
    caller.join(timeout=5)
    assert isinstance(outcome["error"], ConnectionError)


def test_no_reply_queue_in_time_means_the_broker_is_unreachable(monkeypatch):
    from gateway import rpc as rpc_module
    client = rpc_module.RpcClient("amqp://nowhere/", size=1, timeout=0.2)
    monkeypatch.setattr(client, "_start_listener", lambda: None)  # never gets a queue
    with pytest.raises(ConnectionError):
        client.call("referral", "ping")


def test_call_all_makes_independent_calls_at_the_same_time_with_the_requests_id(monkeypatch):
    """Three calls that each wait for the other two: made one after the other, the barrier would
    break instead of letting them all through."""
    from gateway import rpc as rpc_module
    from services.common import logs
    client = rpc_module.RpcClient("amqp://nowhere/", size=4, timeout=5)
    together = threading.Barrier(3, timeout=5)
    seen = []

    def call_within(timeout, service, method, **kwargs):
        together.wait()
        seen.append((service, logs.correlation_id.get(), timeout))
        return {"service": service, **kwargs}

    monkeypatch.setattr(client, "call_within", call_within)
    token = logs.correlation_id.set("req-all-at-once")
    try:
        results = client.call_all([(s, "report_figures_for", {"n": i})
                                   for i, s in enumerate(("referral", "shelter", "legal"))])
    finally:
        logs.correlation_id.reset(token)
        client.close()
    assert results == [{"service": "referral", "n": 0}, {"service": "shelter", "n": 1},
                       {"service": "legal", "n": 2}]  # in the order asked
    assert sorted(seen) == [(s, "req-all-at-once", 5) for s in ("legal", "referral", "shelter")]


def test_call_all_raises_the_first_error_once_every_call_has_ended(monkeypatch):
    from gateway import rpc as rpc_module
    client = rpc_module.RpcClient("amqp://nowhere/", size=4, timeout=5)
    ended = []

    def call_within(timeout, service, method, **kwargs):
        if service == "shelter":
            raise LookupError("shelter refused")
        ended.append(service)
        return service

    monkeypatch.setattr(client, "call_within", call_within)
    try:
        with pytest.raises(LookupError):
            client.call_all([(s, "m", {}) for s in ("referral", "shelter", "legal")])
    finally:
        client.close()
    assert sorted(ended) == ["legal", "referral"]
