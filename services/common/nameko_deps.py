"""nameko dependency providers and entrypoint helpers shared by the services.

This is the only module of services.common that imports nameko (and so eventlet).
"""

import logging
import os

import kombu
from nameko.extensions import DependencyProvider
from nameko.messaging import consume

from . import broker
from .db import Database
from .relay import OutboxRelay

log = logging.getLogger(__name__)


def database_url(config: dict, service_name: str) -> str:
    """The service's database URL: nameko config ``DB_URIS``, then the environment, then SQLite."""
    url = (config.get("DB_URIS") or {}).get(service_name)
    return url or os.environ.get(f"{service_name.upper()}_DATABASE_URL") or f"sqlite:///var/{service_name}.db"


class ServiceDatabase(DependencyProvider):
    """Injects the service's ``Database`` (read/write transactions)."""

    def __init__(self, service_name: str):
        self.service_name = service_name
        self.db: Database | None = None

    def setup(self):
        self.db = Database.for_url(database_url(self.container.config, self.service_name))

    def get_dependency(self, worker_ctx):
        return self.db


class Outbox(DependencyProvider):
    """Declares the broker topology at start-up and runs the outbox relay in the background.

    Injects nothing useful to workers beyond the relay itself (for readiness figures); events
    are queued by writing outbox rows in the same transaction as the change.
    """

    def __init__(self, service_name: str, outbox_table):
        self.service_name = service_name
        self.outbox_table = outbox_table
        self.relay: OutboxRelay | None = None

    def setup(self):
        config = self.container.config
        amqp_uri = config["AMQP_URI"]
        with kombu.Connection(amqp_uri, connect_timeout=10) as conn:
            conn.ensure_connection(max_retries=30, interval_start=0.5, interval_step=0.5,
                                   interval_max=2)
            broker.declare_topology(conn)
        db = Database.for_url(database_url(config, self.service_name))
        self.relay = OutboxRelay(db, self.outbox_table, broker.ConfirmingPublisher(amqp_uri),
                                 poll_interval=float(config.get("OUTBOX_POLL_SECONDS", 1.0)))
        db.on_commit(self.relay.wake)

    def start(self):
        self.container.spawn_managed_thread(self.relay.run_forever)

    def stop(self):
        if self.relay:
            self.relay.stop()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.relay


def consume_events(service_name: str):
    """Entrypoint decorator: consume the service's event queue; a failure is redelivered and,
    past the queue's delivery limit, dead-lettered."""
    return consume(broker.event_queue(service_name), requeue_on_error=True)


def consume_intake():
    return consume(broker.intake_queue(), requeue_on_error=True)
