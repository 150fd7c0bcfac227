"""The gateway process's settings: every variable it reads, its default and its meaning, in
one place, loaded and checked once when ``create_app`` builds the app.

``load(overrides)`` gives the Flask config the app reads (``TOKEN_SECRET``, ``RPC_TIMEOUT``, ...),
with a test's overrides (keyed by those config names, as ``create_app`` takes them) applied
last. The secrets are required and their shape checked: gunicorn checks every setting here
before it starts a worker (``deploy/gunicorn.conf.py``), and a gateway without them stops
with one line naming the variable.
"""

import os
from typing import Any, Mapping

from services.common.settings import (SERVICE, Setting, Settings, database_url as url_of_database,
                                      intake_public_key, caller_signing_key, long_secret,
                                      optional)

APP = Settings(
    "gateway-app",
    *(s for s in SERVICE if s.env in ("AMQP_URI", "REFNET_DEMO_CLOCK_FILE",
                                      "REFNET_TEST_CLOCK_OFFSET_FILE",
                                      "REFNET_ATTACHMENT_MAX_BYTES")),
    Setting("REFNET_RPC_TIMEOUT", "5",
            "seconds the gateway waits on a service before answering 503", float),
    Setting("REFNET_RPC_POOL_SIZE", "4",
            "RPC calls a gateway worker lets wait at once (its threads)", int),
    Setting("REFNET_TOKEN_SECRET", None, "signs bearer tokens (HS256)", long_secret,
            required=True, secret=True),
    Setting("REFNET_REFERENCE_SECRET", None, "derives references from idempotency keys",
            long_secret, required=True, secret=True),
    Setting("REFNET_INTAKE_PUBLIC_KEY", None, "the gateway seals submissions with the public key",
            intake_public_key, required=True),
    Setting("REFNET_CALLER_SIGNING_KEY", None,
            "the gateway signs the caller of every RPC with this private key (services hold "
            "the public one)", caller_signing_key, required=True, secret=True),
    Setting("REFNET_RATE_LIMIT_PER_MINUTE", "600",
            "requests per user per minute, per gateway worker, before 429", int),
    Setting("REFNET_VAR", "var", "where make up keeps databases, secrets, logs and the pid file"),
    Setting("REFNET_GATEWAY_DATABASE_URL", None,
            "the gateway's own tables: revoked tokens, web users, web sessions, sign-in delays "
            "and the availability and status generations (default: gateway.db under REFNET_VAR)",
            url_of_database, secret=True),
    Setting("REFNET_AVAILABILITY_MAX_AGE", "1",
            "seconds a gateway worker reuses bed availability; 0 asks the shelter service "
            "every time", float),
    Setting("REFNET_STATUS_MAX_AGE", "5",
            "seconds a gateway worker reuses a police or legal status answer; consent and "
            "status changes drop it at once (docs/decisions/0048); 0 asks the referral service "
            "every time", float),
    Setting("REFNET_WEB_TIME_ZONE", "Asia/Baghdad", "the zone the web pages show times in"),
    Setting("REFNET_WEB_SESSION_HOURS", "12", "a web session ends this long after sign-in",
            float),
    Setting("REFNET_WEB_IDLE_MINUTES", "120", "... or after this long unused", float),
    Setting("REFNET_SIGNIN_HASH_MEMORY_MIB", "256",
            "memory a gateway worker lets sign-in password checks take at once (argon2id: "
            "64 MiB each, so 256 lets four run together)", int),
    Setting("REFNET_SIGNIN_HASH_WAIT", "2",
            "seconds a sign-in waits for a free password-check slot before 429", float),
    Setting("REFNET_SIGNIN_PER_CLIENT_PER_MINUTE", "20",
            "sign-in attempts per client address per minute, per gateway worker, before 429", int),
    Setting("REFNET_SIGNIN_PER_MINUTE", "300",
            "sign-in attempts per minute from everyone, per gateway worker, before 429", int),
    Setting("REFNET_TRUSTED_PROXIES", "0",
            "proxies in front of the gateway whose X-Forwarded-For entry names the client "
            "(0: the peer's address is the client's)", int),
    Setting("REFNET_METRICS_TOKEN", None,
            "when set, the gateway's /metrics answers only `Authorization: Bearer` this token",
            optional, secret=True),
)

# What gunicorn reads (deploy/gunicorn.conf.py): where the gateway listens and how many workers
# and threads serve it. Part of the gateway's settings; not Flask config.
SERVER = Settings(
    "gateway-server",
    Setting("REFNET_HOST", "127.0.0.1", "the address the gateway listens on"),
    Setting("REFNET_PORT", "8000", "the gateway's port", int),
    Setting("REFNET_GATEWAY_WORKERS", "1", "gunicorn gthread worker processes of the gateway",
            int),
    Setting("REFNET_GATEWAY_THREADS", "8",
            "threads per gateway worker (= RPC calls a worker lets wait at once)", int),
    Setting("REFNET_GATEWAY_CONTROL_SOCKET", None,
            "path of gunicorn's control socket; none unless given", optional),
    Setting("PROMETHEUS_MULTIPROC_DIR", None,
            "where the gateway's workers keep their counters so /metrics adds them up "
            "(a fresh temporary directory when unset)", optional),
    *(s for s in SERVICE if s.env in ("REFNET_LOG_LEVEL", "REFNET_PROCESS_NAME")),
)
SETTINGS = Settings("gateway", APP, SERVER)
"""Every variable the gateway process reads (the app's and gunicorn's)."""

# the Flask config key each setting fills
CONFIG_KEYS = {
    "AMQP_URI": "AMQP_URI",
    "REFNET_DEMO_CLOCK_FILE": "DEMO_CLOCK_FILE",
    "REFNET_TEST_CLOCK_OFFSET_FILE": "TEST_CLOCK_OFFSET_FILE",
    "REFNET_RPC_TIMEOUT": "RPC_TIMEOUT",
    "REFNET_RPC_POOL_SIZE": "RPC_POOL_SIZE",
    "REFNET_TOKEN_SECRET": "TOKEN_SECRET",
    "REFNET_REFERENCE_SECRET": "REFERENCE_SECRET",
    "REFNET_INTAKE_PUBLIC_KEY": "INTAKE_PUBLIC_KEY",
    "REFNET_CALLER_SIGNING_KEY": "CALLER_SIGNING_KEY",
    "REFNET_RATE_LIMIT_PER_MINUTE": "RATE_LIMIT_PER_MINUTE",
    "REFNET_VAR": "VAR",
    "REFNET_GATEWAY_DATABASE_URL": "GATEWAY_DATABASE_URL",
    "REFNET_AVAILABILITY_MAX_AGE": "AVAILABILITY_MAX_AGE",
    "REFNET_STATUS_MAX_AGE": "STATUS_MAX_AGE",
    "REFNET_WEB_TIME_ZONE": "WEB_TIME_ZONE",
    "REFNET_WEB_SESSION_HOURS": "WEB_SESSION_HOURS",
    "REFNET_WEB_IDLE_MINUTES": "WEB_IDLE_MINUTES",
    "REFNET_SIGNIN_HASH_MEMORY_MIB": "SIGNIN_HASH_MEMORY_MIB",
    "REFNET_SIGNIN_HASH_WAIT": "SIGNIN_HASH_WAIT",
    "REFNET_SIGNIN_PER_CLIENT_PER_MINUTE": "SIGNIN_PER_CLIENT_PER_MINUTE",
    "REFNET_SIGNIN_PER_MINUTE": "SIGNIN_PER_MINUTE",
    "REFNET_TRUSTED_PROXIES": "TRUSTED_PROXIES",
    "REFNET_METRICS_TOKEN": "METRICS_TOKEN",
    "REFNET_ATTACHMENT_MAX_BYTES": "ATTACHMENT_MAX_BYTES",
}
# fixed, not read from the environment
CONSTANTS = {"MAX_CONTENT_LENGTH": 64 * 1024, "RETRY_AFTER_SECONDS": 5}
# where the gateway's own database is: all a command that opens it reads (no secret needed)
DATABASE = Settings("gateway-database", *(s for s in APP if s.env in (
    "REFNET_GATEWAY_DATABASE_URL", "REFNET_VAR")))


def database_url(values: Mapping[str, Any] | None = None) -> str:
    """The gateway database's URL: ``REFNET_GATEWAY_DATABASE_URL``, else ``gateway.db`` under
    ``REFNET_VAR`` (from the environment when no loaded settings are given)."""
    values = DATABASE.load() if values is None else values
    return (values["REFNET_GATEWAY_DATABASE_URL"]
            or f"sqlite:///{os.path.join(values['REFNET_VAR'] or 'var', 'gateway.db')}")


def load(overrides: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict:
    """The gateway's Flask config: the settings from the environment, then ``overrides`` (a
    text value of a setting is parsed and checked as the environment's would be). Raises
    ``SettingsError`` naming a missing or malformed variable (never its value)."""
    overrides = dict(overrides or {})
    env_of = {key: env for env, key in CONFIG_KEYS.items()}
    environ = dict(os.environ if environ is None else environ)
    given = {}
    for key, value in overrides.items():
        if key in env_of and isinstance(value, str):
            environ[env_of[key]] = value
        elif key in env_of:
            given[env_of[key]] = value
    values = APP.load(environ, given)
    config = {**CONSTANTS, **{key: values[env] for env, key in CONFIG_KEYS.items()}}
    config["GATEWAY_DATABASE_URL"] = database_url(values)
    config.update({key: value for key, value in overrides.items() if key not in env_of})
    return config
