"""Shared fixtures of the unit layer: a canonical submission, keys, tokens, and a gateway app
wired to in-memory fakes instead of RabbitMQ. Nothing here opens a socket, a file or a database.
"""

import copy
import socket
import sqlite3
from datetime import datetime, timezone

import pytest

from services.common.signed_caller import new_keypair as new_caller_keypair

CANONICAL_BODY = {
    "survivor": {"name": "Amina K.", "sex": "female", "birth_year": 1998, "age_estimated": True,
                 "nationality": "ET", "languages": ["am", "ar"], "phone": "+9647501234567"},
    "exploitation_types": ["labour"],
    "identified_on": "2026-11-20",
    "identified_place": "Erbil",
    "needs": ["shelter", "legal", "documents"],
    "children": [{"sex": "female", "age": 6}],
    "urgency": "urgent",
    "consent": {"given": True, "recorded_by": "Officer Hawre", "basis": "informed_consent"},
    "officer": {"name": "Officer Hawre", "unit": "Erbil TIP Unit"},
}

TOKEN_SECRET = "unit-test-token-secret-" + "0123456789abcdef" * 4
CALLER_SIGNING_KEY, CALLER_VERIFY_KEY = new_caller_keypair()
OTHER_SECRET = "another-token-secret-" + "fedcba9876543210" * 4
REFERENCE_SECRET = "unit-test-reference-secret-0123456789"
REF = "RN-ABCD-EFGH-IJKL-MNOP"
REF2 = "RN-QRST-UVWX-YZ23-4567"
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def service_secrets(**more) -> dict:
    """An environment with the secrets a service process cannot start without (fresh and well
    formed: file keys, the audit key, the intake private key, the caller verify key), and
    ``more``."""
    from services.common.sealing import FileCipher, new_keypair
    return {"REFNET_FILE_KEYS": FileCipher.new_key(), "REFNET_AUDIT_KEY": "unit-audit-key-" + "k" * 32,
            "REFNET_INTAKE_PRIVATE_KEY": new_keypair()[0],
            "REFNET_CALLER_VERIFY_KEY": CALLER_VERIFY_KEY, **more}


def pytest_configure(config):
    # nameko's pytest plugin imports eventlet at session start only to warn that it did not
    # monkey-patch; the unit layer wants neither (no monkey patching, no eventlet if avoidable).
    if hasattr(config.option, "suppress_eventlet_notification"):
        config.option.suppress_eventlet_notification = True
    # The gateway imports nameko, which imports eventlet, which warns that it is deprecated.
    config.addinivalue_line("filterwarnings", "ignore:(?s).*Eventlet is deprecated")


@pytest.fixture(autouse=True)
def _no_io(monkeypatch):
    """Fail loudly if anything under test reaches for the network or a database."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("unit tests must not open connections or databases")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(sqlite3, "connect", refuse)


@pytest.fixture
def body():
    """A fresh deep copy of the canonical police submission (tests may mutate it)."""
    return copy.deepcopy(CANONICAL_BODY)


@pytest.fixture(scope="session")
def keypair():
    from services.common.sealing import new_keypair
    return new_keypair()


# --- fakes standing in for RabbitMQ ----------------------------------------------------------

class FakeRpcPool:
    """Records every call; answers from ``responses[(service, method)]``: an exception instance
    is raised, a callable is called with the kwargs, anything else is returned."""

    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []
        self.responses: dict[tuple[str, str], object] = {}

    def call(self, service, method, **kwargs):
        self.calls.append((service, method, kwargs))
        answer = self.responses.get((service, method), {})
        if isinstance(answer, BaseException):
            raise answer
        return answer(**kwargs) if callable(answer) else answer

    def call_all(self, calls, timeout=None):
        """``RpcClient.call_all``, one call after the other (recorded as ``call`` records)."""
        return [self.call(service, method, **kwargs) for service, method, kwargs in calls]

    def call_within(self, timeout, service, method, **kwargs):
        """``call`` with a timeout of its own (the pages' unread badge); ``timeouts`` records it."""
        self.timeouts = [*getattr(self, "timeouts", []), (service, method, timeout)]
        return self.call(service, method, **kwargs)


class FakeIntake:
    """Records submissions instead of sealing and publishing them."""

    def __init__(self):
        self.references: list[tuple[str, str | None]] = []
        self.submissions: list[dict] = []
        self.fail_with: BaseException | None = None

    def reference(self, agency, key):
        from services.contracts.references import random_reference, reference_for_key
        self.references.append((agency, key))
        return reference_for_key(REFERENCE_SECRET.encode(), agency, key) if key else random_reference()

    def submit(self, submission_json, *, reference, agency, user, correlation_id):
        if self.fail_with is not None:
            raise self.fail_with
        self.submissions.append({"body": submission_json, "reference": reference, "agency": agency,
                                 "user": user, "correlation_id": correlation_id})
        return {"reference": reference}


class FakeDirectory:
    """The gateway's agency directory (``gateway.directory.Directory``) without the referral
    service: ``entries`` by id; any other id is an active agency of kind ``other`` (every
    token of the unit tests names a registered agency), unless it is in ``missing``."""

    def __init__(self):
        self.entries: dict[str, dict] = {}
        self.missing: set[str] = set()
        self.invalidated = 0

    def add(self, agency, kind="other", active=True, **more):
        self.entries[agency] = {"id": agency, "kind": kind, "active": active,
                                "names": {"en": agency}, "region": "", "services": [],
                                "languages": [], "routing_order": None, **more}
        return self.entries[agency]

    def lookup(self, agency):
        if agency in self.missing:
            return None
        return self.entries.get(agency) or {"id": agency, "kind": "other", "active": True,
                                             "names": {"en": agency}}

    def agency(self, agency):
        return self.lookup(agency)

    def agencies(self):
        return [self.entries[k] for k in sorted(self.entries)]

    def invalidate(self):
        self.invalidated += 1


@pytest.fixture
def directory():
    return FakeDirectory()


@pytest.fixture
def rpc():
    return FakeRpcPool()


@pytest.fixture
def intake():
    return FakeIntake()


@pytest.fixture
def app(rpc, intake, keypair, directory, monkeypatch):
    for var in ("AMQP_URI", "REFNET_RPC_TIMEOUT", "REFNET_RPC_POOL_SIZE", "REFNET_TOKEN_SECRET",
                "REFNET_REFERENCE_SECRET", "REFNET_INTAKE_PUBLIC_KEY", "REFNET_CALLER_SIGNING_KEY"):
        monkeypatch.delenv(var, raising=False)
    from gateway.app import create_app
    from gateway.accounts import MemoryAccounts
    from gateway.availability import AvailabilityCache
    from gateway.generations import LocalGeneration
    from gateway.idempotency import MemoryIdempotency
    from gateway.revocation import NoRevocations
    from gateway.statuscopy import StatusCopy
    from services.common.clock import SystemClock
    app = create_app({"TOKEN_SECRET": TOKEN_SECRET, "REFERENCE_SECRET": REFERENCE_SECRET,
                      "INTAKE_PUBLIC_KEY": keypair[1],
                      "CALLER_SIGNING_KEY": CALLER_SIGNING_KEY, "RPC_POOL": rpc, "INTAKE": intake,
                      "REVOCATIONS": NoRevocations(), "ACCOUNTS": MemoryAccounts(),
                      "IDEMPOTENCY": MemoryIdempotency(), "DIRECTORY": directory,
                      "TESTING": True, "AVAILABILITY": AvailabilityCache(1.0, LocalGeneration()),
                      # no event feed: never live, so every status read asks the fake service
                      "STATUS_COPY": StatusCopy(2.0, LocalGeneration(), SystemClock().now)})
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token():
    """``token(role, agency=..., user=...)`` -> a valid bearer token."""
    from gateway.tokens import issue_token

    def make(role, agency=None, user=None, **kw):
        return issue_token(TOKEN_SECRET, user=user or f"{role}-user", role=role,
                           agency=agency or f"{role}-agency", **kw)
    return make


@pytest.fixture
def auth(token):
    """``auth(role, ...)`` -> request headers with a valid bearer token for that role."""
    def make(role, **kw):
        return {"Authorization": f"Bearer {token(role, **kw)}"}
    return make
