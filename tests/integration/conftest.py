"""Integration layer: real RabbitMQ (a fresh vhost), real SQLite files and real PostgreSQL
databases, the real alembic migrations. No mocks.

nameko containers need eventlet's monkey patch before anything imports threading or socket
(since nameko 2.13 nothing patches for you, and a container then hangs at its first test), so it
is the first thing this package does. Run this layer in its own
pytest process: ``.venv/bin/pytest -q tests/integration``.
"""

import eventlet; eventlet.monkey_patch()  # noqa: E702 - first, before threading or socket

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import date, datetime, timezone  # noqa: E402

import kombu  # noqa: E402
import pytest  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from sqlalchemy import func, inspect, select, text  # noqa: E402

from services.common import atrest, broker  # noqa: E402
from services.common.caller import Caller  # noqa: E402
from services.common.db import Database  # noqa: E402
from services.common.migrations import upgrade  # noqa: E402
from services.common.sealing import FileCipher, new_keypair, seal  # noqa: E402
from services.contracts.references import random_reference  # noqa: E402
from services.common.signed_caller import Signer  # noqa: E402
from services.common.signed_caller import new_keypair as new_caller_keypair  # noqa: E402
from services.contracts.submission import seal_binding  # noqa: E402
from refnet.harness import broker as support_broker  # noqa: E402
from refnet.harness import postgres as support_postgres  # noqa: E402

# Every writer of an audit trail seals it with the process's key (services/common/audit.py): the
# layer's service containers and use cases share one, as a network's processes do.
AUDIT_KEY = os.environ.setdefault("REFNET_AUDIT_KEY", "integration-layer-audit-key-" + "k" * 20)
# Likewise one caller-signing pair for the layer: every service container verifies with the
# public half (read from the environment), every test's signer signs with the private one.
CALLER_SIGNING, CALLER_VERIFY = new_caller_keypair()
os.environ["REFNET_CALLER_VERIFY_KEY"] = CALLER_VERIFY
# And file keys for the encrypted columns, as every service process has them from its start
# (``FileKeys``): a use case called directly then stores and reads sealed text whatever ran
# before it, in a whole run or in a part of one (tests/parts.py). A test about other keys, or
# none, sets them itself and puts these back.
atrest.use_keys(FileCipher(FileCipher.new_key()))

SURVIVOR_NAME = "Zerya Qasimova-Testperson"
SURVIVOR_PHONE = "+9647501234987"


def pytest_sessionfinish(session):
    """The PostgreSQL databases this process emptied for reuse are dropped when its tests end
    (``refnet.harness.postgres``; at exit otherwise)."""
    from refnet.harness.postgres import release_databases
    release_databases()


# --- polling ---------------------------------------------------------------------------------

def wait_for(probe, *, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    """Call ``probe()`` until it returns something truthy; return that. Fails after ``timeout``
    with the last value seen (a deadline for an asynchronous outcome, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = probe()
        except Exception as exc:  # noqa: BLE001 - e.g. NotFound before the referral exists
            last = exc
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last seen: {last!r}")
        time.sleep(interval)


# --- databases -------------------------------------------------------------------------------

def new_database_url(kind: str, tmp_path, name: str = "db") -> str:
    """A fresh, empty database: a SQLite file in ``tmp_path``, or a new PostgreSQL database."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / (name + '-' + uuid.uuid4().hex[:6] + '.db')}"
    return support_postgres.create_database(f"refnet_it_{name}")


def forget_database(url: str) -> None:
    """Dispose the per-URL ``Database`` that nameko dependencies share, and drop a PostgreSQL
    database (a SQLite file goes with tmp_path)."""
    shared = Database._instances.pop(url, None)
    if shared is not None:
        shared.dispose()
    if not url.startswith("sqlite"):
        support_postgres.drop_database(url)


class DatabaseFactory:
    """Fresh databases of one kind, and ``Database`` objects over them; removed after.

    ``first``: an already created, empty database (the test's ``db_url``) handed out by the
    first ``new_url``/``migrated`` call instead of creating one more; its owner removes it.
    """

    def __init__(self, kind: str, tmp_path, first: str | None = None):
        self.kind = kind
        self.tmp_path = tmp_path
        self.first = first
        self.urls: list[str] = []
        self.databases: list[Database] = []

    def new_url(self, name: str = "db") -> str:
        if self.first is not None:
            url, self.first = self.first, None
            return url
        url = new_database_url(self.kind, self.tmp_path, name)
        self.urls.append(url)
        return url

    def migrated(self, service: str, url: str | None = None) -> str:
        """``url`` (else a fresh database) upgraded to head by the service's alembic migrations."""
        if url is not None and url == self.first:
            self.first = None  # handed out explicitly
        url = url or self.new_url(service)
        upgrade(service, url)
        return url

    def database(self, url: str) -> Database:
        db = Database(url)
        self.databases.append(db)
        return db

    def close(self) -> None:
        for db in self.databases:
            db.dispose()
        for url in self.urls:
            forget_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """One fresh, empty database per test: a SQLite file in tmp_path, or a new PostgreSQL
    database (refnet/harness/postgres.py), dropped afterwards."""
    url = new_database_url(request.param, tmp_path, "main")
    yield url
    forget_database(url)


@pytest.fixture
def databases(db_url, tmp_path):
    """Databases of db_url's kind (db_url itself first), and ``Database`` objects (disposed
    before any database is dropped)."""
    factory = DatabaseFactory("sqlite" if db_url.startswith("sqlite") else "postgres", tmp_path,
                              first=db_url)
    yield factory
    factory.close()


@pytest.fixture
def pg_databases(tmp_path):
    """Fresh PostgreSQL databases only (for what only PostgreSQL has: row locks)."""
    factory = DatabaseFactory("postgres", tmp_path)
    yield factory
    factory.close()


def table_dump(db: Database) -> str:
    """Every row of every table as text (bytes decoded as latin-1, so nothing is hidden)."""
    parts = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    parts.append(value.decode("latin-1") if isinstance(value, bytes) else str(value))
            if db.engine.dialect.name == "postgresql":
                parts += [r[0] for r in conn.execute(text(f'SELECT t::text FROM "{table}" t'))]
    return "\n".join(parts)


def count(db: Database, table, *where) -> int:
    with db.read() as s:
        query = select(func.count()).select_from(table)
        for condition in where:
            query = query.where(condition)
        return s.execute(query).scalar_one()


# --- secrets, callers, submissions ------------------------------------------------------------

class Keys:
    def __init__(self):
        self.intake_private, self.intake_public = new_keypair()
        self.caller_signing, self.caller_verify = CALLER_SIGNING, CALLER_VERIFY
        self.signer = Signer(self.caller_signing)
        self.file_keys = FileCipher.new_key()
        self.cipher = FileCipher(self.file_keys)


@pytest.fixture
def keys():
    return Keys()


def caller(role: str, agency: str, user: str | None = None) -> Caller:
    return Caller(user=user or f"{role}.{agency}", role=role, agency=agency)


def submission(*, name: str = SURVIVOR_NAME, phone: str = SURVIVOR_PHONE, sex: str = "female",
               age: int = 29, children: int = 0, share_status: bool = True,
               share_legal: bool = True, urgency: str = "urgent") -> dict:
    """A valid police submission (the body of POST /api/v1/referrals)."""
    return {
        "survivor": {"name": name, "sex": sex, "age": age, "nationality": "IQ",
                     "languages": ["ku", "ar"], "phone": phone},
        "exploitation_types": ["labour"],
        "identified_on": date.today().isoformat(),
        "identified_place": "Checkpoint 7",
        "needs": ["shelter", "medical"],
        "children": [{"sex": "male", "age": 4 + i} for i in range(children)],
        "urgency": urgency,
        "consent": {"given": True, "recorded_by": "Officer Test", "basis": "informed_consent",
                    "share_status_with_referrer": share_status, "share_with_legal": share_legal},
        "officer": {"name": "Officer Test", "unit": "Anti-trafficking unit"},
        "circumstances": "Found at a work site; asked for help.",
    }


def intake_command(public_key: str, body: dict, *, reference: str | None = None,
                   agency: str = "erbil-police", user: str = "officer.one",
                   correlation_id: str | None = None) -> dict:
    """The sealed intake command, built as gateway.intake.IntakePublisher.submit builds it."""
    reference = reference or random_reference()
    return {
        "command_id": str(uuid.uuid4()),
        "reference": reference,
        "agency": agency,
        "submitted_by": user,
        "submitted_at": datetime.now(timezone.utc).isoformat(),
        "correlation_id": correlation_id,
        "sealed_submission": seal(json.dumps(body, sort_keys=True).encode(), public_key,
                                  seal_binding(reference, agency, user)),
    }


# --- broker ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def vhost():
    """A fresh RabbitMQ vhost shared by the session's broker tests: (name, amqp uri)."""
    name, uri = support_broker.create_vhost("refnet-it")
    try:
        yield name, uri
    finally:
        support_broker.delete_vhost(name)


@pytest.fixture
def fresh_vhost():
    """A vhost of its own for one test (service containers): (name, amqp uri), with the
    topology declared before any service starts, as `refnet broker-setup` does (a service
    declares only its own queues)."""
    name, uri = support_broker.create_vhost("refnet-it-flow")
    try:
        with kombu.Connection(uri, connect_timeout=10) as conn:
            broker.declare_topology(conn)
        yield name, uri
    finally:
        support_broker.delete_vhost(name)


@pytest.fixture
def amqp(vhost):
    """An open kombu connection to the session vhost, with the topology declared."""
    with kombu.Connection(vhost[1], connect_timeout=10) as conn:
        broker.declare_topology(conn)
        yield conn


def drain(conn: kombu.Connection, queue_name: str, expected: int, *, timeout: float = 20.0):
    """Take ``expected`` messages off a queue (basic.get, acking each, waiting up to
    ``timeout``); then whatever else is already there, without waiting. Returns them all."""
    channel = conn.channel()
    queue = kombu.Queue(queue_name, channel=channel, no_declare=True)
    messages = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < expected and time.monotonic() < deadline:
            message = queue.get(no_ack=False, accept=["json"])
            if message is None:
                time.sleep(0.05)
                continue
            message.ack()
            messages.append(message)
        while (message := queue.get(no_ack=False, accept=["json"])) is not None:
            message.ack()
            messages.append(message)
    finally:
        channel.close()
    return messages


def queue_depth(conn: kombu.Connection, queue_name: str) -> int:
    """Ready messages on a queue (passive declare: never creates or changes it)."""
    channel = conn.channel()
    try:
        return channel.queue_declare(queue=queue_name, passive=True).message_count
    finally:
        channel.close()


# --- nameko service containers ------------------------------------------------------------------


class FinishedWorkers(DependencyProvider):
    """Records every finished worker of the service: (entrypoint, message key, error type).

    A real nameko extension, added beside the service's own dependencies by ``observed``; it
    replaces nothing. It is how a test knows a redelivered copy was handled: by design that
    leaves no trace in the database.
    """

    def setup(self):
        self.finished: list[tuple[str, str | None, str | None]] = []

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        body = worker_ctx.args[0] if worker_ctx.args else None
        key = None
        if isinstance(body, dict):
            key = body.get("event_id") or body.get("command_id")
        error = exc_info[0].__name__ if exc_info else None
        self.finished.append((worker_ctx.entrypoint.method_name, str(key) if key else None, error))

    def runs(self, method: str, key: str) -> list[str | None]:
        """The outcome (None, or the error's type) of each finished run of ``method`` on ``key``."""
        return [error for name, k, error in list(self.finished) if name == method and k == key]


def observed(service_cls):
    """The service class itself, with a ``FinishedWorkers`` extension added."""
    return type(service_cls.__name__, (service_cls,), {"finished_workers": FinishedWorkers()})


def finished_workers(container) -> FinishedWorkers:
    return next(d for d in container.dependencies if isinstance(d, FinishedWorkers))
