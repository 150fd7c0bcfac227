"""nameko dependency providers and entrypoint helpers shared by the services.

This is the only module of services.common that imports nameko (and so eventlet).
"""

import logging
import os
import socket
import time

import eventlet
import eventlet.wsgi
import kombu
from nameko.extensions import DependencyProvider
from amqp.exceptions import ConnectionError as AmqpConnectionError
from nameko.messaging import Consumer, QueueConsumer
from nameko.rpc import Rpc, RpcConsumer

from services.contracts import topology

from . import broker, logs, metrics
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
        publisher = broker.ConfirmingPublisher(amqp_uri)
        if os.environ.get("REFNET_FAULT_DUPLICATE_EVENTS") == "1":
            log.warning("fault injection: every event is published twice")
            publisher = DuplicatingPublisher(publisher)
        published = metrics.for_service(self.service_name).published

        def on_published(envelope: dict) -> None:
            published.labels(self.service_name, metrics.event_type_label(envelope.get("type"))).inc()
            log.debug("published %s %s", envelope.get("type"), envelope.get("event_id"),
                      extra={"correlation_id": envelope.get("correlation_id")})

        self.relay = OutboxRelay(db, self.outbox_table, publisher, on_published=on_published,
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


class DuplicatingPublisher:
    """Test-only fault (``REFNET_FAULT_DUPLICATE_EVENTS=1``): delivers every event twice, to show
    that consumers apply each effect once."""

    def __init__(self, inner):
        self.inner = inner

    def publish(self, body, **kwargs):
        self.inner.publish(body, **kwargs)
        self.inner.publish(body, **kwargs)

    def close(self):
        self.inner.close()


def retry_delay(delivery_count: int) -> float:
    """Seconds to wait before handing a failed message back: base, 2x, 4x... 16x at most
    (base ``REFNET_RETRY_BASE_SECONDS``, default 0.5)."""
    base = float(os.environ.get("REFNET_RETRY_BASE_SECONDS", "0.5"))
    return base * (2 ** min(4, max(0, delivery_count)))


class SafeQueueConsumer(QueueConsumer):
    """nameko's shared queue consumer, surviving an ack or requeue on a dead connection.

    nameko only catches amqp's ``ConnectionError`` there; a socket error (the broker restarted
    mid-ack) escapes into the worker and kills the whole container. The broker redelivers an
    unacknowledged message once the consumer reconnects, and every handler is idempotent, so
    the right answer to a failed ack is to log it and go on.
    """

    def ack_message(self, message):
        try:
            super().ack_message(message)
        except (OSError, AmqpConnectionError) as exc:
            log.warning("ack lost with the broker connection (%s); the broker will redeliver",
                        type(exc).__name__)
            self._drop_connection(message)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except (OSError, AmqpConnectionError) as exc:
            log.warning("requeue lost with the broker connection (%s); the broker will redeliver",
                        type(exc).__name__)
            self._drop_connection(message)

    @staticmethod
    def _drop_connection(message):
        """Shut the dead connection's socket so the consuming loop, which may be parked reading
        it, wakes with an error and reconnects (seen: without this it could wait for good)."""
        try:
            message.channel.connection.transport.sock.shutdown(socket.SHUT_RDWR)
        except Exception:  # already gone: the loop has noticed by itself
            pass


class ReliableConsumer(Consumer):
    """nameko's ``consume`` entrypoint with bounded, backed-off redelivery.

    Success acks. A failure requeues the message after ``retry_delay`` (in a green thread, so
    other messages go on meanwhile); the quorum queue counts deliveries and, past its
    ``x-delivery-limit``, dead-letters the message to ``refnet.dead-letters``. Logs name the
    message id and type, never the body.
    """

    queue_consumer = SafeQueueConsumer()

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        headers = message.headers or {}
        count = int(headers.get("x-delivery-count") or 0)
        delay = retry_delay(count)
        if count + 1 > topology.DELIVERY_LIMIT:  # this return makes the broker park it
            metrics.for_service(self.container.service_name).dead_lettered.labels(
                self.container.service_name, self.queue.name).inc()
        log.warning("message %s (%s) failed on %s: %s; redelivery %d in %.1fs",
                    message.properties.get("message_id"), message.delivery_info.get("routing_key"),
                    self.queue.name, exc_info[0].__name__, count + 1, delay)

        def requeue_later():
            eventlet.sleep(delay)
            self.queue_consumer.requeue_message(message)

        self.container.spawn_managed_thread(requeue_later)


def consume_events(service_name: str):
    """Entrypoint decorator: consume the service's event queue, with retries and dead letters."""
    return ReliableConsumer.decorator(broker.event_queue(service_name))


def consume_intake():
    """Entrypoint decorator: consume police submissions, with retries and dead letters."""
    return ReliableConsumer.decorator(broker.intake_queue())


# --- RPC on the safe queue consumer ---------------------------------------------------------------

class _RpcConsumer(RpcConsumer):
    """nameko's ``RpcConsumer`` on the ``SafeQueueConsumer`` that the event consumers share (one
    connection per service process), so a reply's ack on a dead connection cannot kill the
    container. Replies keep nameko's publisher confirms: a benchmark-driven variant without them
    lost replies after a broker restart (docs/decisions/0013)."""

    queue_consumer = SafeQueueConsumer()


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


rpc = _Rpc.decorator
"""The services' ``@rpc``: nameko's, on the safe queue consumer. Use it for every RPC
entrypoint of a service (one consumer of the service's RPC queue)."""


# --- observability ------------------------------------------------------------------------

def metrics_port(config: dict, service_name: str) -> int | None:
    """The port of the service's /metrics: ``REFNET_METRICS_PORT_<SERVICE>``, then
    ``REFNET_METRICS_PORT``, then nameko config ``METRICS_PORT``, then ``PORT`` (set per process
    by honcho), else 0 (the system picks one; the service logs it). ``off`` disables it."""
    for value in (os.environ.get(f"REFNET_METRICS_PORT_{service_name.upper()}"),
                  os.environ.get("REFNET_METRICS_PORT"), config.get("METRICS_PORT"),
                  os.environ.get("PORT")):
        if value not in (None, ""):
            return None if str(value).lower() == "off" else int(value)
    return 0


def _correlation_of(worker_ctx) -> str | None:
    """The id the caller sent: RPC context data, an argument, or the message body's field."""
    cid = worker_ctx.data.get("correlation_id") or worker_ctx.kwargs.get("correlation_id")
    if not cid and worker_ctx.args and isinstance(worker_ctx.args[0], dict):
        cid = worker_ctx.args[0].get("correlation_id")
    return str(cid)[:100] if cid else None


def _reference_of(worker_ctx) -> str | None:
    reference = worker_ctx.kwargs.get("reference")
    if not reference and worker_ctx.args and isinstance(worker_ctx.args[0], dict):
        body = worker_ctx.args[0]
        reference = body.get("reference") or (body.get("payload") or {}).get("reference")
    return reference if isinstance(reference, str) else None


class Observability(DependencyProvider):
    """Correlation ids in logs, one JSON line per handled call or message, and ``/metrics``.

    ``worker_setup`` puts the caller's correlation id (RPC context data, a ``correlation_id``
    argument, or the message body's) into the log context of the worker's green thread, and
    into the worker's own context data so any call it makes passes it on. ``worker_result``
    logs what was handled (entrypoint, event type, reference, outcome, duration; never a body)
    and records the latency histograms and consumed-event counters. ``start`` serves
    ``/metrics`` and ``/healthz`` on the metrics port (see ``metrics_port``).

    ``collectors`` are callables ``(service_name, db) -> collector`` for gauges of the
    service's own state (the shelter's beds); the outbox gauges are always there.
    """

    QUIET_METHODS = {"ping"}  # readiness probes, several a second: metrics yes, log lines no

    def __init__(self, service_name: str, outbox_table, collectors=()):
        self.service_name = service_name
        self.outbox_table = outbox_table
        self.collector_factories = tuple(collectors)
        self.port: int | None = None
        self._socket = None

    def setup(self):
        logs.set_process_name(self.service_name)
        self.metrics = metrics.for_service(self.service_name)
        db = Database.for_url(database_url(self.container.config, self.service_name))
        self.metrics.set_state_collectors(
            [metrics.OutboxGauges(self.service_name, db, self.outbox_table)]
            + [factory(self.service_name, db) for factory in self.collector_factories])

    def start(self):
        port = metrics_port(self.container.config, self.service_name)
        if port is None:
            return
        host = os.environ.get("REFNET_METRICS_HOST", "127.0.0.1")
        try:
            self._socket = eventlet.listen((host, port))
        except OSError as exc:  # the service's work matters more than its metrics: say so, go on
            log.error("metrics: cannot listen on %s:%d (%s); this process serves no /metrics",
                      host, port, exc.strerror or exc, extra={"metrics_port": port})
            return
        self.port = self._socket.getsockname()[1]
        app = metrics.wsgi_app(self.metrics)
        self.container.spawn_managed_thread(
            lambda: eventlet.wsgi.server(self._socket, app, log_output=False),
            identifier=f"{self.service_name}.metrics")
        log.info("metrics on http://%s:%d/metrics", host, self.port,
                 extra={"metrics_port": self.port})

    def stop(self):
        if self._socket is not None:
            try:
                self._socket.close()
            except OSError:
                pass
            self._socket = None

    def kill(self):
        self.stop()

    def worker_setup(self, worker_ctx):
        cid = _correlation_of(worker_ctx)
        if cid:
            worker_ctx.data["correlation_id"] = cid
        logs.correlation_id.set(cid)
        worker_ctx.refnet_started = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = getattr(worker_ctx, "refnet_started", None)
        seconds = time.perf_counter() - started if started is not None else 0.0
        outcome = "ok" if exc_info is None else "error"
        entrypoint = worker_ctx.entrypoint
        method = entrypoint.method_name
        fields = {"entrypoint": f"{self.service_name}.{method}", "outcome": outcome,
                  "duration_ms": round(seconds * 1000, 2)}
        if isinstance(entrypoint, Consumer):
            body = worker_ctx.args[0] if worker_ctx.args and isinstance(worker_ctx.args[0], dict) else {}
            queue = entrypoint.queue.name
            event_type = metrics.INTAKE_TYPE if queue == topology.INTAKE_QUEUE else \
                metrics.event_type_label(body.get("type"))
            self.metrics.handler_duration.labels(self.service_name, queue, event_type, outcome).observe(seconds)
            self.metrics.consumed.labels(self.service_name, queue, event_type, outcome).inc()
            fields.update(queue=queue, event_type=event_type, event_id=body.get("event_id"))
            what = f"consumed {event_type} from {queue}"
        else:
            if isinstance(entrypoint, Rpc):
                self.metrics.rpc_duration.labels(self.service_name, method, outcome).observe(seconds)
            what = f"rpc {self.service_name}.{method}"
            if method in self.QUIET_METHODS:
                return
        reference = _reference_of(worker_ctx)
        if reference:
            fields["reference"] = reference
        if exc_info is not None:
            fields["error"] = exc_info[0].__name__
        log.info("%s %s in %.1f ms", what, outcome, seconds * 1000, extra=fields)

    def worker_teardown(self, worker_ctx):
        logs.correlation_id.set(None)
