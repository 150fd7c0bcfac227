"""Gateway pieces outside the request cycle: settings, the intake publisher (with a fake
broker publisher), and the broker topology objects it relies on."""

import json

import pytest

from gateway import config
from gateway.intake import INTAKE_QUEUE, IntakePublisher
from services.common import broker
from services.common.sealing import unseal
from services.contracts import topology
from services.contracts.references import is_reference, reference_for_key
from services.contracts.submission import ReferralSubmissionSchema, SubmitReferralV1

from .conftest import REF, REFERENCE_SECRET

ENV_VARS = list(config.ENVIRONMENT.values())


@pytest.fixture
def clean_env(monkeypatch):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


# --- settings ---------------------------------------------------------------------------------------

def test_missing_secrets_are_refused(clean_env):
    with pytest.raises(RuntimeError) as info:
        config.load({"TOKEN_SECRET": "t"})
    assert "REFERENCE_SECRET" in str(info.value) and "INTAKE_PUBLIC_KEY" in str(info.value)
    assert "TOKEN_SECRET" not in str(info.value).split("missing:")[1].split("(")[0]


def test_environment_then_overrides(clean_env):
    clean_env.setenv("REFNET_TOKEN_SECRET", "from-env")
    clean_env.setenv("REFNET_REFERENCE_SECRET", "ref-env")
    clean_env.setenv("REFNET_INTAKE_PUBLIC_KEY", "pub-env")
    clean_env.setenv("REFNET_RPC_TIMEOUT", "2.5")
    clean_env.setenv("REFNET_RPC_POOL_SIZE", "7")
    loaded = config.load({"TOKEN_SECRET": "from-test"})
    assert loaded["TOKEN_SECRET"] == "from-test"
    assert loaded["REFERENCE_SECRET"] == "ref-env"
    assert loaded["RPC_TIMEOUT"] == 2.5 and loaded["RPC_POOL_SIZE"] == 7
    assert loaded["MAX_CONTENT_LENGTH"] == 64 * 1024


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
    assert json.loads(unseal(command["sealed_submission"], keypair[0])) == body
    ReferralSubmissionSchema().load(json.loads(unseal(command["sealed_submission"], keypair[0])))
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


# --- the RPC pool, with fake nameko proxies ---------------------------------------------------------

class FakeClusterProxy:
    """Stands in for nameko's ClusterRpcProxy: holds a worker context and a reply listener."""
    created: list["FakeClusterProxy"] = []

    def __init__(self, config, timeout):
        self.config, self.timeout, self.stopped, self.behaviour = config, timeout, False, None
        self._worker_ctx, self._reply_listener = object(), object()
        FakeClusterProxy.created.append(self)

    def start(self):
        return self

    def stop(self):
        self.stopped = True


class FakeServiceProxy:
    """Stands in for nameko's ServiceProxy: answers or raises what its runner is set to."""
    made: list[dict] = []

    def __init__(self, worker_ctx, service, reply_listener, **options):
        self.runner = next(r for r in FakeClusterProxy.created if r._worker_ctx is worker_ctx)
        assert self.runner._reply_listener is reply_listener
        self.service = service
        FakeServiceProxy.made.append({"service": service, **options})

    def __getattr__(self, method):
        def call(**kwargs):
            if self.runner.behaviour is not None:
                raise self.runner.behaviour
            return {"service": self.service, "method": method, "kwargs": kwargs}
        return call


@pytest.fixture
def pool(monkeypatch):
    from gateway import rpc as rpc_module
    FakeClusterProxy.created, FakeServiceProxy.made = [], []
    monkeypatch.setattr(rpc_module, "ClusterRpcProxy", FakeClusterProxy)
    monkeypatch.setattr(rpc_module, "ServiceProxy", FakeServiceProxy)
    return rpc_module.RpcPool("amqp://nowhere/", size=1, timeout=2.5)


def test_pool_calls_and_reuses_one_proxy(pool):
    assert pool.call("shelter", "availability", caller={"role": "admin"}) == {
        "service": "shelter", "method": "availability", "kwargs": {"caller": {"role": "admin"}}}
    pool.call("legal", "list_eligible")
    assert len(FakeClusterProxy.created) == 1
    assert FakeClusterProxy.created[0].config == {"AMQP_URI": "amqp://nowhere/"}


def test_pool_requests_expire_with_the_timeout(pool):
    """A request nobody took within the timeout must expire in its queue, not run later."""
    pool.call("referral", "ping")
    assert FakeServiceProxy.made == [{"service": "referral", "expiration": 2.5}]
    assert FakeClusterProxy.created[0].timeout == 2.5


@pytest.mark.parametrize("error", ["service", "remote"])
def test_pool_keeps_the_proxy_after_a_service_answer(pool, error):
    from nameko.exceptions import RemoteError

    from services.common.errors import NotFound
    pool.call("referral", "ping")
    proxy = FakeClusterProxy.created[0]
    proxy.behaviour = {"service": NotFound("no referral"),
                       "remote": RemoteError("KeyError", "x")}[error]
    with pytest.raises(type(proxy.behaviour)):
        pool.call("referral", "get_status", reference=REF)
    proxy.behaviour = None
    pool.call("referral", "ping")   # the slot was released and the same proxy reused
    assert FakeClusterProxy.created == [proxy] and not proxy.stopped


def test_pool_replaces_a_proxy_after_a_timeout(pool):
    """After a broker restart a proxy's reply queue is gone: one kept after a timeout would time
    out for good."""
    from nameko.exceptions import RpcTimeout
    pool.call("referral", "ping")
    proxy = FakeClusterProxy.created[0]
    proxy.behaviour = RpcTimeout(2.5)
    with pytest.raises(RpcTimeout):
        pool.call("referral", "get_status", reference=REF)
    pool.call("referral", "ping")
    assert proxy.stopped and len(FakeClusterProxy.created) == 2


def test_pool_discards_a_proxy_whose_connection_failed(pool):
    pool.call("referral", "ping")
    broken = FakeClusterProxy.created[0]
    broken.behaviour = ConnectionResetError("broker restarted")
    with pytest.raises(ConnectionResetError):
        pool.call("referral", "ping")
    assert broken.stopped
    pool.call("referral", "ping")   # the slot was released; a fresh proxy is made
    assert len(FakeClusterProxy.created) == 2 and not FakeClusterProxy.created[1].stopped


def test_pool_close_stops_idle_proxies(pool):
    pool.call("referral", "ping")
    pool.close()
    assert FakeClusterProxy.created[0].stopped
