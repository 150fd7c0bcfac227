"""Prometheus metrics of a service process (no nameko here; the provider is in runtime/observability.py).

Each service has its own registry (several containers may share a process in tests), created
once per process and service name. Gauges that describe stored state (the outbox, the beds) are
read from the database when scraped, so every replica reports the same truth and nothing has to
be kept in step by hand.

Labels are codes only (service, method, queue, event type, facility id, population group):
never a reference, a name or anything else that grows with the number of people.
"""

import threading
from datetime import datetime, timezone
from typing import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import Table, func, select

from services.contracts.events import EVENT_SCHEMAS

from .db import Database

KNOWN_EVENT_TYPES = {event_type for event_type, _version in EVENT_SCHEMAS}
INTAKE_TYPE = "referral.intake_command"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def event_type_label(event_type) -> str:
    """A bounded label value: a known event type, or ``other``."""
    return event_type if event_type in KNOWN_EVENT_TYPES or event_type == INTAKE_TYPE else "other"


class _Delegating:
    """A collector registered once whose sources can be replaced (a restarted container)."""

    def __init__(self):
        self.sources: list = []

    def collect(self):
        for source in list(self.sources):
            yield from source.collect()


class ServiceMetrics:
    def __init__(self, service: str):
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.rpc_duration = Histogram(
            "refnet_rpc_server_duration_seconds", "Time to serve an RPC call, by method and outcome",
            ["service", "method", "outcome"], registry=r, buckets=LATENCY_BUCKETS)
        self.handler_duration = Histogram(
            "refnet_handler_duration_seconds", "Time to handle a consumed message, by queue and type",
            ["service", "queue", "type", "outcome"], registry=r, buckets=LATENCY_BUCKETS)
        self.consumed = Counter(
            "refnet_events_consumed", "Messages consumed, by queue, type and outcome (error: handed back)",
            ["service", "queue", "type", "outcome"], registry=r)
        self.published = Counter(
            "refnet_events_published", "Events the outbox relay published and the broker confirmed",
            ["service", "type"], registry=r)
        self.dead_lettered = Counter(
            "refnet_dead_lettered", "Messages this process handed back past the queue's delivery limit "
            "(the broker parks them in refnet.dead-letters)", ["service", "queue"], registry=r)
        self.state = _Delegating()
        r.register(self.state)

    def set_state_collectors(self, collectors: Iterable) -> None:
        self.state.sources = list(collectors)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


_by_service: dict[str, ServiceMetrics] = {}
_lock = threading.Lock()


def for_service(service: str) -> ServiceMetrics:
    with _lock:
        if service not in _by_service:
            _by_service[service] = ServiceMetrics(service)
        return _by_service[service]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class OutboxGauges:
    """``refnet_outbox_backlog`` (events committed, not yet confirmed by the broker) and
    ``refnet_outbox_oldest_age_seconds`` (how long the oldest of them has waited)."""

    def __init__(self, service: str, db: Database, outbox: Table):
        self.service, self.db, self.outbox = service, db, outbox

    def collect(self):
        with self.db.read() as s:
            count, oldest = s.execute(select(func.count(), func.min(self.outbox.c.created_at))
                                      .where(self.outbox.c.sent_at.is_(None))).one()
        backlog = GaugeMetricFamily("refnet_outbox_backlog", "Outbox events not yet published",
                                    labels=["service"])
        backlog.add_metric([self.service], count)
        age = GaugeMetricFamily("refnet_outbox_oldest_age_seconds",
                                "Age of the oldest unpublished outbox event (0 when none)", labels=["service"])
        if isinstance(oldest, str):  # SQLite may hand back the stored text
            oldest = datetime.fromisoformat(oldest)
        seconds = (datetime.now(timezone.utc) - _aware(oldest)).total_seconds() if oldest else 0.0
        age.add_metric([self.service], max(0.0, seconds))
        yield backlog
        yield age


class FunctionGauges:
    """Gauges computed by a function at scrape time: ``rows()`` yields (labels dict, value)
    per gauge name; used for the shelter's beds."""

    def __init__(self, families: dict[str, str], labels: list[str],
                 rows: Callable[[], Iterable[tuple[str, dict, float]]]):
        self.families, self.labels, self.rows = families, labels, rows

    def collect(self):
        out = {name: GaugeMetricFamily(name, doc, labels=self.labels) for name, doc in self.families.items()}
        for name, labels, value in self.rows():
            out[name].add_metric([str(labels[k]) for k in self.labels], value)
        yield from out.values()


def wsgi_app(metrics: ServiceMetrics):
    """``/metrics`` (Prometheus text) and ``/healthz`` (the process's hub answers) for probes."""

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            try:
                body = metrics.exposition()
            except Exception as exc:  # a database that does not answer: say so, stay up
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [f"metrics unavailable ({type(exc).__name__})\n".encode()]
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return app
