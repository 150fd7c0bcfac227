"""Observability of a service process: correlation ids in logs, one JSON line per handled call
or message, latency histograms and counters, and ``/metrics`` on a port of its own."""

import logging
import time

import eventlet
import eventlet.wsgi
from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer
from nameko.rpc import Rpc

from services.contracts import topology

from .. import logs, metrics
from ..db import Database
from .providers import database_url, settings_of

log = logging.getLogger(__name__)



def metrics_port(config: dict, service_name: str, settings) -> int | None:
    """The port of the service's /metrics: ``REFNET_METRICS_PORT_<SERVICE>``, then
    ``REFNET_METRICS_PORT``, then nameko config ``METRICS_PORT``, then ``PORT`` (set per process
    by ``refnet up``), else 0 (the system picks one; the service logs it). ``off`` disables it."""
    for value in (settings[f"REFNET_METRICS_PORT_{service_name.upper()}"], settings.metrics_port,
                  config.get("METRICS_PORT"), settings.port):
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
        settings = settings_of(self.container, self.service_name)
        port = metrics_port(self.container.config, self.service_name, settings)
        if port is None:
            return
        host = settings.metrics_host
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
