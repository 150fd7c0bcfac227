"""Liveness and readiness probes (no authentication, no data)."""

import kombu
from flask import Blueprint, current_app, jsonify

from services.common import dead_letters

from .probes import Remembered

SERVICES = ("referral", "shelter", "legal", "notify")

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@blueprint.get("/readyz")
def readyz():
    """Ready when the broker and every service answer; asked at most once a second per worker
    (``gateway/probes.py``), so a flood of hits does not become a flood of broker connections."""
    remembered = current_app.extensions.get("refnet.readiness")
    if remembered is None:
        app = current_app._get_current_object()
        remembered = current_app.extensions["refnet.readiness"] = Remembered(lambda: _readiness(app))
    ready, body = remembered.get()
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    return response


def _readiness(app) -> tuple[bool, dict]:
    checks, ready = {}, True
    try:
        with kombu.Connection(app.config["AMQP_URI"], connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"], ready = f"unreachable ({type(exc).__name__})", False
    if ready:
        rpc = app.extensions["refnet.rpc"]
        for service in SERVICES:
            try:
                rpc.call(service, "ping")
                checks[service] = "ok"
            except Exception as exc:
                checks[service], ready = f"not answering ({type(exc).__name__})", False
    parked = dead_letters.count(app.config["AMQP_URI"]) if checks.get("broker") == "ok" else None
    return ready, {"status": "ready" if ready else "not ready", "checks": checks,
                   "dead_letters": parked}
