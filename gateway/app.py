"""The gateway's Flask app factory: ``create_app(overrides)``; gunicorn calls it with none."""

import logging
import re
import uuid

from flask import Flask, g, jsonify, request

from . import api, config, errors, health, openapi
from .intake import IntakePublisher
from .ratelimit import RateLimiter
from .revocation import RevocationStore
from .rpc import RpcPool

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config.load(overrides))
    app.json.sort_keys = False
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    app.extensions["refnet.rpc"] = app.config.get("RPC_POOL") or RpcPool(
        app.config["AMQP_URI"], size=app.config["RPC_POOL_SIZE"], timeout=app.config["RPC_TIMEOUT"])
    app.extensions["refnet.intake"] = app.config.get("INTAKE") or IntakePublisher(
        app.config["AMQP_URI"], app.config["INTAKE_PUBLIC_KEY"], app.config["REFERENCE_SECRET"])

    app.extensions["refnet.revocations"] = app.config.get("REVOCATIONS") or RevocationStore(
        app.config.get("GATEWAY_DATABASE_URL"))
    app.extensions["refnet.ratelimit"] = RateLimiter(app.config["RATE_LIMIT_PER_MINUTE"])

    @app.before_request
    def _correlation_id():
        given = request.headers.get("X-Request-ID", "")
        g.correlation_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_correlation_id(response):
        response.headers["X-Request-ID"] = g.get("correlation_id", "")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    errors.register(app)
    api.register(app)
    app.register_blueprint(health.blueprint)
    spec = openapi.build(api.ENDPOINTS)

    @app.get("/api/v1/openapi.json")
    def openapi_document():
        return jsonify(spec)

    return app
