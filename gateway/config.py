"""Gateway settings: defaults, overridden by the environment, overridden by a test's mapping."""

import os

DEFAULTS = {
    "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
    "RPC_TIMEOUT": 5.0,           # seconds a person waits on a service before 503
    "RPC_POOL_SIZE": 4,           # RPC calls a worker process lets wait at once (its threads)
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "TOKEN_SECRET": None,         # REFNET_TOKEN_SECRET
    "REFERENCE_SECRET": None,     # REFNET_REFERENCE_SECRET
    "INTAKE_PUBLIC_KEY": None,    # REFNET_INTAKE_PUBLIC_KEY
    "RETRY_AFTER_SECONDS": 5,
    "RATE_LIMIT_PER_MINUTE": 600,  # per user, per worker (gateway/ratelimit.py)
    "GATEWAY_DATABASE_URL": None,  # revoked tokens (gateway/revocation.py); default var/gateway.db
    "AVAILABILITY_MAX_AGE": 1.0,   # seconds a worker reuses bed availability (gateway/availability.py)
    "GATEWAY_DATABASE_URL": None,  # revoked tokens, web users and sessions; default var/gateway.db
    "WEB_TIME_ZONE": "Asia/Baghdad",  # the zone the web pages show times in
    "WEB_SESSION_HOURS": 12,       # a web session ends this long after sign-in
    "WEB_IDLE_MINUTES": 120,       # ... or after this long unused
}

ENVIRONMENT = {
    "AMQP_URI": "AMQP_URI",
    "RPC_TIMEOUT": "REFNET_RPC_TIMEOUT",
    "RPC_POOL_SIZE": "REFNET_RPC_POOL_SIZE",
    "TOKEN_SECRET": "REFNET_TOKEN_SECRET",
    "REFERENCE_SECRET": "REFNET_REFERENCE_SECRET",
    "INTAKE_PUBLIC_KEY": "REFNET_INTAKE_PUBLIC_KEY",
    "RATE_LIMIT_PER_MINUTE": "REFNET_RATE_LIMIT_PER_MINUTE",
    "GATEWAY_DATABASE_URL": "REFNET_GATEWAY_DATABASE_URL",
    "AVAILABILITY_MAX_AGE": "REFNET_AVAILABILITY_MAX_AGE",
    "WEB_TIME_ZONE": "REFNET_WEB_TIME_ZONE",
    "WEB_SESSION_HOURS": "REFNET_WEB_SESSION_HOURS",
    "WEB_IDLE_MINUTES": "REFNET_WEB_IDLE_MINUTES",
}

REQUIRED = ("TOKEN_SECRET", "REFERENCE_SECRET", "INTAKE_PUBLIC_KEY")


def load(overrides: dict | None = None) -> dict:
    config = dict(DEFAULTS)
    for key, var in ENVIRONMENT.items():
        if os.environ.get(var):
            config[key] = os.environ[var]
    config.update(overrides or {})
    config["RPC_TIMEOUT"] = float(config["RPC_TIMEOUT"])
    config["RPC_POOL_SIZE"] = int(config["RPC_POOL_SIZE"])
    config["RATE_LIMIT_PER_MINUTE"] = int(config["RATE_LIMIT_PER_MINUTE"])
    config["AVAILABILITY_MAX_AGE"] = float(config["AVAILABILITY_MAX_AGE"])
    config["WEB_SESSION_HOURS"] = float(config["WEB_SESSION_HOURS"])
    config["WEB_IDLE_MINUTES"] = float(config["WEB_IDLE_MINUTES"])
    missing = [key for key in REQUIRED if not config.get(key)]
    if missing:
        raise RuntimeError(f"gateway settings missing: {', '.join(missing)} "
                           "(run `refnet init-secrets`, then load var/refnet.env)")
    return config
