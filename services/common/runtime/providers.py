"""Dependency providers every service uses: its database, its outbox relay, its clock, the
cipher of personal data at rest, the audit chain's key and the check of its callers'
signatures."""

import logging

import kombu
from nameko.extensions import DependencyProvider

from .. import atrest, broker, metrics
from ..clock import Clock, process_clock
from ..db import Database
from ..relay import OutboxRelay
from ..sealing import FileCipher
from ..signed_caller import Verifier
from ..settings import Settings, Values, database_setting, service_settings

log = logging.getLogger(__name__)


def settings_of(container, service_name: str, settings: Settings | None = None) -> Values:
    """The settings every service reads (``services.common.settings.service_settings``), or the
    service's own ``settings``, with the nameko config's ``AMQP_URI`` first: the one the
    container itself connects to. A service without its secrets never gets here: its module
    stopped the process at import (``Settings.load_at_start``)."""
    overrides = {"AMQP_URI": container.config["AMQP_URI"]} if container.config.get("AMQP_URI") else {}
    return (settings or service_settings(service_name)).load(overrides=overrides)


def database_url(config: dict, service_name: str) -> str:
    """The service's database URL: nameko config ``DB_URIS``, then ``<SERVICE>_DATABASE_URL``,
    then SQLite under ``var/``."""
    url = (config.get("DB_URIS") or {}).get(service_name)
    setting = database_setting(service_name)
    return url or Settings(service_name, setting).load()[setting.env]


class ServiceDatabase(DependencyProvider):
    """Injects the service's ``Database`` (read/write transactions)."""

    def __init__(self, service_name: str):
        self.service_name = service_name
        self.db: Database | None = None

    def setup(self):
        self.db = Database.for_url(database_url(self.container.config, self.service_name))

    def get_dependency(self, worker_ctx):
        return self.db


# how long a committed event stays claimed for its own process's relay: if the process dies
# before publishing it, any relay publishes it once this has passed
HAND_OVER_SECONDS = 10.0


class Outbox(DependencyProvider):
    """Declares the broker topology at start-up and runs the outbox relay in the background.

    Events are queued by writing outbox rows in the same transaction as the change; the relay
    publishes them after each commit. Injects the relay (its figures feed readiness).
    """

    def __init__(self, service_name: str, outbox_table):
        self.service_name = service_name
        self.outbox_table = outbox_table
        self.relay: OutboxRelay | None = None

    def make_publisher(self, amqp_uri: str):
        """The publisher the relay hands events to (confirmed, persistent)."""
        return broker.ConfirmingPublisher(amqp_uri)

    def setup(self):
        config = self.container.config
        amqp_uri = config["AMQP_URI"]
        with kombu.Connection(amqp_uri, connect_timeout=10) as conn:
            conn.ensure_connection(max_retries=30, interval_start=0.5, interval_step=0.5,
                                   interval_max=2)
            broker.declare_own(conn, self.service_name)
        db = Database.for_url(database_url(config, self.service_name))
        published = metrics.for_service(self.service_name).published

        def on_published(envelope: dict) -> None:
            published.labels(self.service_name, metrics.event_type_label(envelope.get("type"))).inc()
            log.debug("published %s %s", envelope.get("type"), envelope.get("event_id"),
                      extra={"correlation_id": envelope.get("correlation_id")})

        poll = config.get("OUTBOX_POLL_SECONDS") or settings_of(
            self.container, self.service_name).outbox_poll_seconds
        self.relay = OutboxRelay(db, self.outbox_table, self.make_publisher(amqp_uri),
                                 on_published=on_published, poll_interval=float(poll),
                                 hand_over_seconds=HAND_OVER_SECONDS)
        db.on_commit(self.relay.committed, hand_over=self.relay.hand_over_lease)

    def start(self):
        self.container.spawn_managed_thread(self.relay.run_forever)

    def stop(self):
        if self.relay:
            self.relay.stop()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.relay


class ServiceClock(DependencyProvider):
    """Injects the process's ``Clock`` (``services.common.clock.process_clock``)."""

    def __init__(self, clock: Clock | None = None):
        self.clock = clock

    def setup(self):
        if self.clock is None:
            self.clock = process_clock(settings_of(self.container, self.container.service_name))

    def get_dependency(self, worker_ctx):
        return self.clock


class FileKeys(DependencyProvider):
    """Injects the ``FileCipher`` of personal data at rest (``REFNET_FILE_KEYS``, required by
    every service's settings: there is no service without it, and nothing is stored in clear)."""

    def __init__(self):
        self.cipher: FileCipher | None = None

    def setup(self):
        self.cipher = FileCipher(settings_of(self.container, self.container.service_name).file_keys)
        atrest.use_keys(self.cipher)  # the keys of the service's sealed text columns

    def get_dependency(self, worker_ctx):
        return self.cipher


class AuditKey(DependencyProvider):
    """Injects the audit chain's HMAC key (``REFNET_AUDIT_KEY``, the one setting every writer of
    the trail reads, ``audit.process_key``). Required by every service's settings: a service
    without it refuses to start rather than write a trail it cannot seal."""

    def __init__(self):
        self.key: str | None = None

    def setup(self):
        self.key = settings_of(self.container, self.container.service_name).audit_key

    def get_dependency(self, worker_ctx):
        return self.key


class CallerVerification(DependencyProvider):
    """Injects the process's ``Verifier`` of signed callers (``REFNET_CALLER_VERIFY_KEY``,
    required by every service's settings); ``@rpc`` checks every caller with it."""

    def __init__(self):
        self.verifier: Verifier | None = None

    def setup(self):
        values = settings_of(self.container, self.container.service_name)
        self.verifier = Verifier(values.caller_verify_key)

    def get_dependency(self, worker_ctx):
        return self.verifier


class BrokerUri(DependencyProvider):
    """Injects the broker URI the container connects with (its own broker user): what the
    dead-letter RPCs read and replay with (``skeleton``; docs/decisions/0043)."""

    def get_dependency(self, worker_ctx):
        return self.container.config["AMQP_URI"]
