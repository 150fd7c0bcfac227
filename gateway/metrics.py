"""The gateway's ``/metrics``: requests by route and status, RPC latency, status reads the
status copy answered, dead letters.

gunicorn runs several worker processes; each would count only its own requests. When
``PROMETHEUS_MULTIPROC_DIR`` is set (deploy/gunicorn.conf.py sets it and empties it at start),
prometheus_client writes every worker's counters to files there and ``/metrics`` adds them up,
whichever worker answers the scrape. Without it (tests, a single process) the counters are the
process's own.

Labels are route templates (``/api/v1/referrals/<reference>/status``), never a filled-in path,
so no reference and nothing that grows with the number of people becomes a label value.
"""

import hmac
import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from services.common import dead_letters
from services.common.metrics import LATENCY_BUCKETS

from .probes import Remembered

REQUESTS = Counter("refnet_http_requests", "HTTP requests by route, method and status",
                   ["route", "method", "status"])
REQUEST_DURATION = Histogram("refnet_http_request_duration_seconds", "HTTP request duration by route",
                             ["route", "method"], buckets=LATENCY_BUCKETS)
RPC_DURATION = Histogram("refnet_rpc_client_duration_seconds",
                         "Gateway to service RPC latency, by service, method and outcome",
                         ["service", "method", "outcome"], buckets=LATENCY_BUCKETS)
INTAKE = Counter("refnet_intake_published", "Sealed submissions the broker confirmed (or not)", ["outcome"])
STATUS_COPY = Counter("refnet_status_copy_reads",
                      "Status reads by whether the worker's copy answered (kept) or the referral "
                      "service did (asked: no entry, off, or not kept for this role)", ["outcome"])


class DeadLetterGauge:
    """``refnet_dead_letters``: messages parked in refnet.dead-letters, asked of the broker at
    scrape time, at most once a second per worker (-1 when the broker does not answer)."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self.parked = Remembered(self._count)

    def _count(self) -> int:
        try:
            return dead_letters.count(self.amqp_uri)
        except Exception:
            return -1

    def collect(self):
        gauge = GaugeMetricFamily("refnet_dead_letters",
                                  "Messages parked after repeated failures (refnet dead-letters list)")
        gauge.add_metric([], self.parked.get())
        yield gauge


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def register(app: Flask) -> None:
    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.get("metrics_started")
        route = _route()
        if route != "/metrics":
            REQUESTS.labels(route, request.method, str(response.status_code)).inc()
            if started is not None:
                REQUEST_DURATION.labels(route, request.method).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics():
        expected = current_app.config.get("METRICS_TOKEN")
        if expected and not _bearer_is(expected):
            # imported here: gateway.rpc imports this module, and gateway.errors makes nameko
            # rebuild the services' exceptions for whoever imports it
            from .errors import problem
            return problem(401, "unauthenticated", "Authentication required",
                           "This /metrics needs REFNET_METRICS_TOKEN as a bearer token.",
                           headers={"WWW-Authenticate": 'Bearer realm="refnet-metrics"'})
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = CollectorRegistry()
            registry.register(_ProcessMetrics())
        gauge = current_app.extensions.get("refnet.dead_letter_gauge")
        if gauge is None:
            gauge = current_app.extensions["refnet.dead_letter_gauge"] = DeadLetterGauge(
                current_app.config["AMQP_URI"])
        registry.register(gauge)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _bearer_is(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


class _ProcessMetrics:
    """This process's refnet_* metrics from the default registry (single-process mode)."""

    def collect(self):
        for family in REGISTRY.collect():
            if family.name.startswith("refnet_"):
                yield family
