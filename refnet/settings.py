"""Every environment variable the ``refnet`` command and its local runner read: name, default
and meaning, in one place (``services.common.settings``).

``refnet up`` keeps its secrets, databases, logs and pid file under ``REFNET_VAR``; the secrets
file there (``refnet.env``, written by ``refnet init-secrets``) is put into the environment
before the settings are read, without overriding what is already set, so the processes the
runner starts see the same values.

The command reads some of the processes' secrets (``REFNET_FILE_KEYS`` for ``rotate-keys``,
``REFNET_TOKEN_SECRET`` for ``issue-token``) as they do, but needs them only for the commands
that use them. ``KINDS`` names each process kind's settings module; ``kind_of_command`` tells
which kind a command line starts (the image's entrypoint and the configuration test use both).
"""

import dataclasses
import importlib
import os
import re
from contextlib import contextmanager
from pathlib import Path

from gateway.settings import SETTINGS as GATEWAY
from services.referral.settings import SETTINGS as REFERRAL
from services.common.settings import SERVICE, Setting, Settings, database_setting, optional

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("referral", "shelter", "legal", "notify")


def positive(text: str) -> int:
    """A whole number, 1 or more."""
    count = int(text)
    if count < 1:
        raise ValueError("must be 1 or more")
    return count


# process kind -> the module whose SETTINGS is everything that kind reads
KINDS = {"referral": "services.referral.settings", "shelter": "services.shelter.settings",
         "legal": "services.legal.settings", "notify": "services.notify.settings",
         "gateway": "gateway.settings",
         "refnet": "refnet.settings"}


def settings_of_kind(kind: str) -> Settings:
    """The ``Settings`` of a process kind (one of ``KINDS``)."""
    return importlib.import_module(KINDS[kind]).SETTINGS


def kind_of_command(argv: list[str]) -> str | None:
    """The process kind a command line starts: ``python -m services.common.runtime.launcher ...
    services.<kind>.service`` (or ``nameko run ...``), ``gunicorn ... gateway.app:...``,
    ``refnet ...`` (also inside ``sh -c``); else None."""
    text = " ".join(argv)
    service = re.search(r"\bservices\.(referral|shelter|legal|notify)\.service\b", text)
    if re.search(r"\bnameko\b|\bservices\.common\.runtime\.launcher\b", text) and service:
        return service.group(1)
    if "gunicorn" in text and re.search(r"\bgateway\.app:", text):
        return "gateway"
    if re.search(r"(?:^|[\s;&|/])refnet(?:\s|$)", text):
        return "refnet"
    return None


def _as_read_by(kind: Settings, *names: str) -> list[Setting]:
    """The rows of variables the command reads as a process kind does (one declaration of
    default, meaning and shape), none of them required by the command as a whole."""
    rows = {setting.env: setting for setting in kind}
    return [dataclasses.replace(rows[name], required=False) for name in names]


LOCATION = Settings(
    "refnet-location",
    *_as_read_by(GATEWAY, "REFNET_VAR", "REFNET_PORT"),
)

SETTINGS = Settings(
    "cli",
    LOCATION,
    *_as_read_by(SERVICE, "AMQP_URI", "REFNET_FILE_KEYS", "REFNET_AUDIT_KEY",
                 "REFNET_DEMO_CLOCK_FILE"),
    *(database_setting(service) for service in SERVICES),
    *_as_read_by(GATEWAY, "REFNET_GATEWAY_DATABASE_URL", "REFNET_TOKEN_SECRET",
                 "REFNET_CALLER_SIGNING_KEY"),
    Setting("REFNET_REPLICAS", "1", "how many processes of each service `refnet up` runs",
            positive),
    Setting("REFNET_METRICS_BASE_PORT", "9500",
            "the first /metrics port of `refnet up`'s services: base + 100 x Procfile line + "
            "replica", int),
    *_as_read_by(REFERRAL, "REFNET_RETENTION_DAYS"),
    Setting("REFNET_TOKEN_MAX_HOURS", "12", "the longest lifetime `refnet issue-token` gives "
            "a bearer token", float),
    Setting("REFNET_TOKEN", None, "`refnet report`: the bearer token to ask the API with "
            "(else one issued with REFNET_TOKEN_SECRET)", optional, secret=True),
    *(Setting(f"REFNET_BROKER_PASSWORD_{kind.upper()}", None,
              f"the password of the {kind}'s own broker user, refnet-{kind}: `refnet "
              "broker-setup` creates the user, `refnet up` gives the process its AMQP_URI",
              optional, secret=True) for kind in ("gateway", *SERVICES)),
    Setting("REFNET_BROKER_MANAGEMENT_URL", None, "`refnet broker-setup`: RabbitMQ's management "
            "API, where it creates the broker users (else http://<AMQP_URI's host>:15672)",
            optional),
)


def _default(env: str) -> str | None:
    """The declared default of one of the command's variables."""
    return next(setting.default for setting in SETTINGS if setting.env == env)


def var() -> Path:
    """The folder of the local network: ``REFNET_VAR`` as given, else var/ in the repository."""
    folder = LOCATION.load().var
    return ROOT / "var" if folder == _default("REFNET_VAR") else Path(folder)


def base_url(values) -> str:
    """The local gateway's URL (``REFNET_PORT``), from loaded settings."""
    return f"http://127.0.0.1:{values.port}"


def env_file() -> Path:
    """The secrets file ``refnet init-secrets`` writes."""
    return var() / "refnet.env"


def load_env() -> None:
    """Put refnet.env into the environment without overriding what is already set, then the
    defaults every process of the local network needs (the broker, each database)."""
    folder, path = var(), env_file()
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                os.environ.setdefault(key.strip(), value.strip())
    os.environ.setdefault("AMQP_URI", _default("AMQP_URI"))
    for service in SERVICES:
        os.environ.setdefault(f"{service.upper()}_DATABASE_URL", f"sqlite:///{folder / (service + '.db')}")
    os.environ.setdefault("REFNET_GATEWAY_DATABASE_URL", f"sqlite:///{folder / 'gateway.db'}")


def load():
    """The command's settings, after :func:`load_env`; a bad value stops with its name."""
    load_env()
    return SETTINGS.load()


def database_url(values, service: str) -> str:
    """A service's database URL from loaded settings."""
    return values[f"{service.upper()}_DATABASE_URL"]


@contextmanager
def service_database(values, service: str):
    """A service's ``Database``, read by URL (the network may be stopped), disposed after."""
    from services.common.db import Database
    db = Database(database_url(values, service))
    try:
        yield db
    finally:
        db.dispose()
