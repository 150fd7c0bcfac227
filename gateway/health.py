"""Liveness and readiness probes (no authentication, no data)."""

import kombu
from flask import Blueprint, current_app, jsonify

from services.common import dead_letters

SERVICES = ("referral", "shelter", "legal")

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@blueprint.get("/readyz")
def readyz():
    checks, ready = {}, True
    try:
        with kombu.Connection(current_app.config["AMQP_URI"], connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"], ready = f"unreachable ({type(exc).__name__})", False
    if ready:
        rpc = current_app.extensions["refnet.rpc"]
        for service in SERVICES:
            try:
                rpc.call(service, "ping")
                checks[service] = "ok"
            except Exception as exc:
                checks[service], ready = f"not answering ({type(exc).__name__})", False
    parked = dead_letters.count(current_app.config["AMQP_URI"]) if checks.get("broker") == "ok" else None
    response = jsonify({"status": "ready" if ready else "not ready", "checks": checks,
                        "dead_letters": parked})
    response.status_code = 200 if ready else 503
    return response
