"""End-to-end fixtures: the whole network as real processes on a fresh broker vhost.

`make test-e2e` runs this layer on several pytest-xdist workers (``--dist loadgroup``; see
docs/decisions/0041-end-to-end-layer-in-parallel.md). Each network has its own vhost, broker
users, databases, ports and folder, so networks of different workers never meet; the tests a
worker must not split share a group (``_group``), and a group runs on one worker, its tests in
order (``pytest_xdist_make_scheduler``):

- the tests on the session ``network`` below share one group, so one worker starts it once;
- every other module is a group of its own, one per value of a module-scoped parametrized
  fixture (``test_reports.py:year_net=sqlite`` and ``...=postgres``: the two networks may run on
  two workers at once), so a module's network starts once, on one worker;
- a module marked ``pytestmark = pytest.mark.xdist_group(BROKER_WIDE_NAMES)`` keeps that mark:
  the tests that make broker-wide users and fixed database names (``refnet up``'s
  ``refnet-<kind>`` users, a deployed form's vhost, roles and databases) run on one worker,
  one after the other, as they would without xdist.

Groups start longest first (``SLOWEST_FIRST``; ``--no-loadscope-reorder`` keeps that order):
a long group started last would end the run alone on one worker.
"""

import json
import os
import tempfile
import uuid
from pathlib import Path

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


BROKER_WIDE_NAMES = "broker-wide-names"

# Modules by time on their own, longest first (`--durations`, decision 0041); a module not named
# here starts after these. Only the order of starting depends on it, never a result.
SLOWEST_FIRST = (
    "test_shelter_capacity_concurrency.py", BROKER_WIDE_NAMES, "test_reports.py",
    "test_bench_smoke.py", "test_status_copy.py", "test_schemathesis.py", "test_privacy.py", "test_notifications.py",
    "test_key_rotation.py",
    "test_shelter_capacity_expiry.py", "network", "test_retention_flow.py", "test_legal_flow.py",
    "test_observability.py", "test_follow_up.py", "test_care_flow.py",
)


def _group(item) -> str:
    """The xdist group of an end-to-end test (see the module's docstring)."""
    marked = item.get_closest_marker("xdist_group")
    if marked is not None:
        return marked.args[0] if marked.args else marked.kwargs.get("name", "default")
    if "network" in item.fixturenames:
        return "network"
    module = item.path.name
    callspec = getattr(item, "callspec", None)
    params = []
    for name, definitions in item._fixtureinfo.name2fixturedefs.items():
        if callspec is not None and name in callspec.params and definitions[-1].scope == "module":
            params.append(f"{name}={callspec.params[name]}")
    # no "]" nor "@" in a group's name: xdist finds the group after the last "@" of a test's id
    # only when no "]" follows it
    return ":".join([module, *sorted(params)])


GROUPS_FILE = "E2E_XDIST_GROUPS_FILE"  # names the file of test id -> group (not a setting)


def pytest_configure(config):
    """In the controller of an xdist run: a file for the workers to write the groups to; the
    workers inherit the variable naming it. The group mark is known without xdist too
    (``-p no:xdist``, ``--strict-markers``)."""
    config.addinivalue_line("markers", "xdist_group(name): tests that run on one worker, in order")
    if not hasattr(config, "workerinput") and config.pluginmanager.hasplugin("xdist") \
            and config.getoption("dist", "no") == "loadgroup":
        handle, path = tempfile.mkstemp(prefix="refnet-e2e-groups-", suffix=".json")
        os.close(handle)
        os.environ[GROUPS_FILE] = path
        config.add_cleanup(lambda: os.path.exists(path) and os.unlink(path))


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """The slowest groups first, after every other plugin has ordered the tests; in an xdist
    worker, each test's group written for the controller's scheduler."""
    result = yield
    groups = {item: _group(item) for item in items}

    def rank(item):
        base = groups[item].split(":", 1)[0]
        return SLOWEST_FIRST.index(base) if base in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: a group's tests keep their order
    if hasattr(config, "workerinput") and os.environ.get(GROUPS_FILE):
        # every worker collects the same tests and writes the same content; whole or not at all
        target = Path(os.environ[GROUPS_FILE])
        partial = target.with_name(f"{target.name}.{config.workerinput['workerid']}")
        partial.write_text(json.dumps({item.nodeid: groups[item] for item in items}))
        partial.replace(target)
    return result


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` by this layer's groups. xdist's own reads ``xdist_group`` marks by
    renaming each test's id, which pytest 9 no longer lets a plugin do (the id is derived),
    so every test would be a group of its own; this scheduler takes each test's group from the
    file the workers wrote (``pytest_collection_modifyitems``) and is xdist's otherwise."""
    if config.getoption("dist", "no") != "loadgroup" or not os.environ.get(GROUPS_FILE):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        groups = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # read once, when the workers have collected
                self.groups = json.loads(Path(os.environ[GROUPS_FILE]).read_text() or "{}")
            return self.groups.get(nodeid, nodeid)

    return ByGroup(config, log)


def pytest_sessionfinish(session):
    """The PostgreSQL databases this process emptied for reuse are dropped when its tests end
    (``refnet.harness.postgres``; at exit otherwise)."""
    from refnet.harness.postgres import release_databases
    release_databases()


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


class ReconnectingTap(Tap):
    """The shared tap, reconnecting when the broker dropped its idle connection (seen once on a
    loaded machine: connection reset on channel open). The queue is durable to the connection,
    so nothing is lost by reconnecting."""

    def drain(self) -> list[dict]:
        try:
            return super().drain()
        except (ConnectionError, OSError, kombu.exceptions.OperationalError):
            self.connection = self.connection.clone()
            return super().drain()


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


def own_network(tmp_path_factory, label: str, extra_env: dict[str, str] | None = None):
    """A network of a module's own, on a vhost of its own, ready and seeded with the demo
    facilities; stopped and its vhost deleted afterwards. For a module whose tests register
    agencies, providers or consents the session network's other tests must not meet, or that
    runs with settings of its own (``extra_env``). Use as
    ``yield from own_network(tmp_path_factory, "label")`` in a module-scoped fixture."""
    yield from network_on("sqlite", tmp_path_factory, label, extra_env)


SERVICES = ("referral", "shelter", "legal", "notify")
ON_BOTH_DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def network_on(database: str, tmp_path_factory, label: str, extra_env: dict[str, str] | None = None,
               *, tap_key: str | None = None):
    """A network of a module's own on ``database`` (``sqlite``, or ``postgres``: a new
    database per service), on a vhost of its own, ready and seeded; stopped, its vhost and
    databases dropped afterwards. ``tap_key``: the network's ``tap`` (``Tap``) sees the events
    of that binding key from before the services start. Use in a module-scoped fixture
    parametrized with ``ON_BOTH_DATABASES``:
    ``yield from network_on(request.param, tmp_path_factory, "label")``."""
    from refnet.harness import postgres as support_postgres
    from services.common.db import Database

    vhost, uri = create_vhost(f"refnet-e2e-{label}")
    urls, network, connection = {}, None, None
    try:
        if database == "postgres":
            urls = {s: support_postgres.create_database(f"refnet_e2e_{s}") for s in SERVICES}
        network = Network(tmp_path_factory.mktemp(f"{label}-{database}"), uri,
                          database_urls=urls, extra_env=extra_env)
        if tap_key is not None:
            connection = kombu.Connection(uri)
            exchange = kombu.Exchange("refnet.events", type="topic", durable=True)
            queue = kombu.Queue(f"tap-{uuid.uuid4().hex[:6]}", exchange=exchange,
                                routing_key=tap_key, durable=False, auto_delete=False)
            queue(connection.channel()).declare()
            network.tap = Tap(connection, queue)
        network.prepare()
        network.start()
        network.wait_ready()
        network.seed_facility()
        yield network
    finally:
        if network is not None:
            network.stop()
        if connection is not None:
            connection.release()
        delete_vhost(vhost)  # takes a tap's queue with it
        for url in urls.values():
            Database._instances.pop(url, None)
            support_postgres.drop_database(url)


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


def ok(response, status: int = 200):
    """The JSON of an answer that must have ``status`` (its text in the failure otherwise)."""
    assert response.status_code == status, response.text
    return response.json()


def refused(response, status: int, field: str) -> dict:
    """The ``application/problem+json`` of ``status`` an answer must be, naming ``field`` (as
    its ``field`` or in its ``errors``); the problem."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
    problem = response.json()
    fields = {problem.get("field")} | {e.get("field") for e in problem.get("errors") or []}
    assert field in fields, problem
    return problem


def record_consent(net, staff, reference, audience, share, **extra) -> dict:
    """The survivor's consent for ``audience`` recorded by shelter staff through the API
    (``extra``: purpose, agency, until...); asserts it was taken and returns the consent state."""
    body = {"audience": audience, "share": share, **extra}
    response = net.api("POST", f"/referrals/{reference}/consent", staff, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def submit(network, token, body=None, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return network.api("POST", "/referrals", token, json=body or CANONICAL, headers=headers)
