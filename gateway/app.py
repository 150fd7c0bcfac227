"""The gateway's Flask app factory: ``create_app(overrides)``; gunicorn calls it with none."""

import logging
import random
import re
import time

from flask import Flask, g, jsonify, request

from services.common import logs
from services.common.clock import process_clock
from services.common.signed_caller import Signer

from . import api, errors, health, metrics, openapi, settings, web
from .accounts import AccountStore, hasher, throttle_secret_of
from .auditcheckpoints import LazyCheckpoints
from .availability import NAME as AVAILABILITY_GENERATION, AvailabilityCache
from .directory import GATEWAY_CALLER, Directory
from .generations import for_database as shared_generation
from .idempotency import IdempotencyKeys
from .intake import IntakePublisher
from .ratelimit import RateLimiter
from .revocation import RevocationStore
from .signin_guard import HashGate
from .statuscopy import NAME as STATUS_GENERATION, EventFeed, StatusCopy
from .rpc import RpcClient
from .uploads import GatewayRequest

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("refnet.access")
QUIET_PATHS = {"/healthz", "/readyz", "/metrics"}  # probes and scrapes: counted, not logged


def new_correlation_id() -> str:
    """A request's id for tracing (32 hex digits): not a secret (a caller may send its own), so
    drawn from the process's generator (reseeded in each forked worker), not ``os.urandom``,
    whose system call hands the GIL to another thread at every request under load."""
    return f"{random.getrandbits(128):032x}"


def create_app(overrides: dict | None = None) -> Flask:
    """The gateway app: settings from the environment (``gateway/settings.py``), then
    ``overrides`` (a test's config values and fakes: RPC_POOL, INTAKE, REVOCATIONS, ACCOUNTS,
    AVAILABILITY, STATUS_COPY, CLOCK, HASH_GATE, DIRECTORY, AUDIT_CHECKPOINTS)."""
    app = Flask(__name__)
    app.request_class = GatewayRequest  # uploads stay in memory, never on disk
    app.config.update(settings.load(overrides))
    app.json.sort_keys = False
    if not logging.getLogger().handlers:  # gunicorn.conf.py configures JSON logging itself
        logs.configure("gateway")
    logs.set_process_name("gateway")

    # the gateway's "now": the process clock (moved by the demo clock or a test's offset)
    app.extensions["refnet.clock"] = app.config.get("CLOCK") or process_clock(
        {"REFNET_DEMO_CLOCK_FILE": app.config["DEMO_CLOCK_FILE"],
         "REFNET_TEST_CLOCK_OFFSET_FILE": app.config["TEST_CLOCK_OFFSET_FILE"]})
    app.extensions["refnet.rpc"] = app.config.get("RPC_POOL") or RpcClient(
        app.config["AMQP_URI"], size=app.config["RPC_POOL_SIZE"], timeout=app.config["RPC_TIMEOUT"],
        signer=Signer(app.config["CALLER_SIGNING_KEY"]))
    # the agency directory (the referral service's), read briefly per worker: every request's
    # agency is checked against it, a referral's addressee too (gateway/directory.py)
    rpc = app.extensions["refnet.rpc"]
    app.extensions["refnet.directory"] = app.config.get("DIRECTORY") or Directory(
        lambda: rpc.call("referral", "list_agencies", caller=dict(GATEWAY_CALLER)))
    app.extensions["refnet.intake"] = app.config.get("INTAKE") or IntakePublisher(
        app.config["AMQP_URI"], app.config["INTAKE_PUBLIC_KEY"], app.config["REFERENCE_SECRET"],
        clock=app.extensions["refnet.clock"])

    app.extensions["refnet.revocations"] = app.config.get("REVOCATIONS") or RevocationStore(
        app.config["GATEWAY_DATABASE_URL"])
    # the audit chains' checkpoints (docs/decisions/0030, 0043): opened at the first verify
    app.extensions["refnet.auditcheckpoints"] = app.config.get("AUDIT_CHECKPOINTS") or \
        LazyCheckpoints(app.config["GATEWAY_DATABASE_URL"])
    app.extensions["refnet.idempotency"] = (app.config.get("IDEMPOTENCY") or IdempotencyKeys(
        app.config["GATEWAY_DATABASE_URL"])).keyed(app.config["REFERENCE_SECRET"])
    app.extensions["refnet.availability"] = app.config.get("AVAILABILITY") or AvailabilityCache(
        app.config["AVAILABILITY_MAX_AGE"],
        shared_generation(app.config["GATEWAY_DATABASE_URL"], AVAILABILITY_GENERATION))
    # police and legal status answers, dropped by consent and status changes (decision 0048);
    # its event queue is opened at the first status read, in the worker (after gunicorn's fork)
    app.extensions["refnet.statuscopy"] = app.config.get("STATUS_COPY") or StatusCopy(
        app.config["STATUS_MAX_AGE"],
        shared_generation(app.config["GATEWAY_DATABASE_URL"], STATUS_GENERATION),
        app.extensions["refnet.clock"].now, feed=EventFeed(app.config["AMQP_URI"]))
    app.extensions["refnet.ratelimit"] = RateLimiter(app.config["RATE_LIMIT_PER_MINUTE"])
    # sign-in: attempt buckets per worker, then (in the store) shared delays and bounded hashing
    app.extensions["refnet.signin_clients"] = RateLimiter(app.config["SIGNIN_PER_CLIENT_PER_MINUTE"])
    app.extensions["refnet.signin_everyone"] = RateLimiter(app.config["SIGNIN_PER_MINUTE"])
    gate = app.config.get("HASH_GATE") or HashGate(
        app.config["SIGNIN_HASH_MEMORY_MIB"], hasher().memory_cost, app.config["SIGNIN_HASH_WAIT"])
    app.extensions["refnet.accounts"] = (app.config.get("ACCOUNTS") or AccountStore(
        app.config["GATEWAY_DATABASE_URL"])).configure(
        session_seconds=int(app.config["WEB_SESSION_HOURS"] * 3600),
        idle_seconds=int(app.config["WEB_IDLE_MINUTES"] * 60),
        throttle_secret=throttle_secret_of(app.config["TOKEN_SECRET"]), gate=gate)

    @app.before_request
    def _correlation_id():
        given = request.headers.get("X-Request-ID", "")
        g.correlation_id = given if _REQUEST_ID.match(given) else new_correlation_id()
        g.started = time.perf_counter()
        logs.correlation_id.set(g.correlation_id)  # every log line and RPC call of this request

    @app.after_request
    def _echo_correlation_id(response):
        response.headers["X-Request-ID"] = g.get("correlation_id", "")
        response.headers.setdefault("Cache-Control", "no-store")
        if request.path not in QUIET_PATHS:
            # the access log: method, route, path (references only), status, duration, and what
            # a view adds to it (``g.access_fields``: a submission's new reference); no query
            # string, body or header
            elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
            rule = request.url_rule.rule if request.url_rule is not None else None
            access_log.info("%s %s %s", request.method, request.path, response.status_code,
                            extra={"method": request.method, "route": rule, "path": request.path,
                                   "status": response.status_code, "duration_ms": round(elapsed, 2),
                                   **g.get("access_fields", {})})
        return response

    @app.teardown_request
    def _forget_correlation_id(_exc):
        logs.correlation_id.set(None)

    errors.register(app)
    metrics.register(app)
    api.register(app)
    web.register(app)  # the pages for people (gateway/web): sign-in, police, shelter, legal
    app.register_blueprint(health.blueprint)

    @app.get("/api/v1/openapi.json")
    def openapi_document():
        return jsonify(openapi.document())

    return app
