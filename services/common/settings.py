"""Settings: every variable a process kind reads, its default and meaning, declared in one place.

A process kind (each service, the gateway, the ``refnet`` command) has one settings module that
builds a ``Settings`` from ``Setting`` rows; it loads them once at start, so a bad value stops the
process with a message naming the variable instead of failing on first use. The README's
configuration table is checked against these declarations by a test.

``SERVICE`` holds what every nameko service process reads; ``service_settings(name)`` adds a
service's database URL and metrics port to it, and is what a service's own settings module
starts from.

Secrets are required where a process needs them and their shape is checked by their parser
(``fernet_keys``, ``intake_private_key``, ``intake_public_key``, ``caller_signing_key``,
``caller_verify_key``, ``long_secret``, ``database_url``): a process without them refuses to start (``Settings.load_at_start``), with
one line naming the variable and never its value; nothing falls back to storing in clear.
"""

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping
import os
import sys


class SettingsError(ValueError):
    """A variable is missing or does not parse; the message names it (never its value)."""


class Malformed(ValueError):
    """Raised by a parser with a reason that never quotes the value (shown in the error)."""


def boolean(text: str) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case)."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected a yes/no value")


def optional(text: str) -> str | None:
    """The text, or None when empty."""
    return text or None


MIN_SECRET_LENGTH = 32
KNOWN_DATABASES = ("sqlite", "postgresql")


def long_secret(text: str) -> str:
    """A secret of at least ``MIN_SECRET_LENGTH`` characters (``refnet init-secrets`` writes 64)."""
    if len(text.strip()) < MIN_SECRET_LENGTH:
        raise Malformed(f"shorter than {MIN_SECRET_LENGTH} characters")
    return text.strip()


def fernet_keys(text: str) -> str:
    """Comma-separated Fernet keys, newest first; every item must be one."""
    from cryptography.fernet import Fernet
    items = [item.strip() for item in text.split(",")]
    for number, item in enumerate(items, 1):
        try:
            Fernet(item.encode())
        except (TypeError, ValueError):
            raise Malformed(f"item {number} of {len(items)} is not a Fernet key "
                            "(32 url-safe base64-encoded bytes)") from None
    return ",".join(items)


def intake_private_key(text: str) -> str:
    """The referral service's intake key, as ``services.common.sealing`` loads it."""
    from services.common.sealing import load_private_key
    try:
        load_private_key(text.strip())
    except (TypeError, ValueError):
        raise Malformed("not an X25519 private key (32 url-safe base64-encoded bytes)") from None
    return text.strip()


def intake_public_key(text: str) -> str:
    """The public half of the intake key, as ``services.common.sealing`` loads it."""
    from services.common.sealing import load_public_key
    try:
        load_public_key(text.strip())
    except (TypeError, ValueError):
        raise Malformed("not an X25519 public key (32 url-safe base64-encoded bytes)") from None
    return text.strip()


def caller_signing_key(text: str) -> str:
    """The key the gateway signs callers with, as ``services.common.signed_caller`` loads it."""
    from services.common.signed_caller import load_signing_key
    try:
        load_signing_key(text.strip())
    except (TypeError, ValueError):
        raise Malformed("not an Ed25519 private key (32 url-safe base64-encoded bytes)") from None
    return text.strip()


def caller_verify_key(text: str) -> str:
    """The public half of the caller signing key, as a service loads it."""
    from services.common.signed_caller import load_verify_key
    try:
        load_verify_key(text.strip())
    except (TypeError, ValueError):
        raise Malformed("not an Ed25519 public key (32 url-safe base64-encoded bytes)") from None
    return text.strip()


def database_url(text: str) -> str:
    """A SQLAlchemy URL (``make_url``) of a database refnet runs on, whose driver is installed."""
    from sqlalchemy.engine import make_url
    try:
        url = make_url(text.strip())
    except Exception:  # noqa: BLE001 - its message quotes the URL, password and all
        raise Malformed("not a SQLAlchemy URL (dialect+driver://user:password@host/database)") \
            from None
    if url.get_backend_name() not in KNOWN_DATABASES:
        raise Malformed(f"not a database refnet runs on ({', '.join(KNOWN_DATABASES)})")
    try:
        url.get_dialect()
    except Exception:  # noqa: BLE001 - NoSuchModuleError: a driver that is not installed
        raise Malformed("its driver is not one installed here") from None
    return text.strip()


def short_name(env: str) -> str:
    """``REFNET_HOLD_HOURS`` -> ``hold_hours``; ``AMQP_URI`` -> ``amqp_uri``."""
    return env.removeprefix("REFNET_").lower()


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default (text, as it would be written in the environment;
    None for none), what it means (one line, the README's), how it parses, whether it is
    required, and whether its value is a secret (never printed)."""

    env: str
    default: str | None
    meaning: str
    parse: Callable[[str], Any] = str
    required: bool = False
    secret: bool = False

    def read(self, environ: Mapping[str, str], overrides: Mapping[str, Any]) -> Any:
        """The parsed value: an override as given, else the environment, else the default."""
        if self.env in overrides:
            return overrides[self.env]
        text = environ.get(self.env)
        if text in (None, ""):
            if self.required:
                raise SettingsError(f"{self.env} is required: {self.meaning}")
            text = self.default
        if text is None:
            return None
        try:
            return self.parse(text)
        except Malformed as reason:  # a reason written not to quote the value
            raise SettingsError(f"{self.env} is malformed: {reason} - {self.meaning}") from None
        except (TypeError, ValueError):  # the parser's message may quote the value: not shown
            kind = getattr(self.parse, "__name__", "valid")
            raise SettingsError(f"{self.env} is not a {kind} value: {self.meaning}") from None


class Values(Mapping):
    """Loaded settings: ``values.hold_hours`` or ``values["REFNET_HOLD_HOURS"]``."""

    def __init__(self, kind: str, by_env: dict[str, Any]):
        self._kind, self._by_env = kind, by_env
        self._by_name = {short_name(env): value for env, value in by_env.items()}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_by_name"][name]
        except KeyError:
            raise AttributeError(f"{self._kind} settings have no {name!r}") from None

    def __getitem__(self, env: str) -> Any:
        return self._by_env[env]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_env)

    def __len__(self) -> int:
        return len(self._by_env)


class Settings:
    """The settings of one process kind: ``Setting`` rows and other ``Settings`` included whole.
    Iterating yields every ``Setting`` once (the first declaration of a variable wins)."""

    def __init__(self, kind: str, *items: "Setting | Settings"):
        self.kind = kind
        rows: dict[str, Setting] = {}
        for item in items:
            for setting in (item if isinstance(item, Settings) else (item,)):
                rows.setdefault(setting.env, setting)
        self._rows = rows

    def __iter__(self) -> Iterator[Setting]:
        return iter(self._rows.values())

    def __contains__(self, env: object) -> bool:
        return env in self._rows

    def load(self, environ: Mapping[str, str] | None = None,
             overrides: Mapping[str, Any] | None = None) -> Values:
        """Read and validate every setting (``environ`` defaults to ``os.environ``; ``overrides``,
        keyed by variable name, win and are taken as given: tests pass values this way)."""
        environ = os.environ if environ is None else environ
        overrides = overrides or {}
        return Values(self.kind, {s.env: s.read(environ, overrides) for s in self})

    def load_at_start(self, environ: Mapping[str, str] | None = None) -> Values:
        """``load()`` as a process starts: a missing or malformed variable stops the process
        with one line on standard error naming it (never its value) and exit status 2, before
        it serves anything."""
        try:
            return self.load(environ)
        except SettingsError as error:
            print(f"refnet {self.kind}: {error}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None

    def check_at_start_apart(self) -> None:
        """``load_at_start()`` in a child process, for a long-lived parent that only supervises
        (gunicorn's master): the parsers import SQLAlchemy and cryptography (27 MB of a
        process's memory, bench/README.md), which the parent would otherwise hold for as long as
        it runs without ever using them. A failed check stops the caller as ``load_at_start``
        does: the child has printed the line, the caller leaves with its exit status."""
        sys.stdout.flush()  # nothing buffered before the fork is written twice
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; its exit status is the result
            code = 0
            try:
                self.load_at_start()
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 2
            except BaseException as exc:  # noqa: BLE001 - a parser's own failure: refuse
                # its kind only: its message or traceback could quote the value
                print(f"refnet {self.kind}: the settings check failed ({type(exc).__name__})",
                      file=sys.stderr)
                code = 2
            sys.stderr.flush()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise SystemExit(code if code > 0 else 2)

    def required(self) -> list[str]:
        """The variables this process kind cannot start without."""
        return [setting.env for setting in self if setting.required]


def positive_int(text: str) -> int:
    """A whole number above zero."""
    value = int(text)
    if value <= 0:
        raise Malformed("must be a whole number above zero")
    return value


# read by the gateway (it refuses a larger upload before any call) and by each service that
# keeps attachments (it checks again before storing)
ATTACHMENT_MAX_BYTES = Setting(
    "REFNET_ATTACHMENT_MAX_BYTES", "10485760",
    "the largest attachment (identity scan, medical report, power of attorney, court summons) "
    "in bytes", positive_int)


def database_setting(service_name: str) -> Setting:
    """The ``<SERVICE>_DATABASE_URL`` of a service (SQLite under ``var/`` by default)."""
    return Setting(f"{service_name.upper()}_DATABASE_URL", f"sqlite:///var/{service_name}.db",
                   f"the {service_name} service's database (SQLAlchemy URL)", database_url,
                   secret=True)


SERVICE = Settings(
    "service",
    Setting("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", "the RabbitMQ broker", secret=True),
    Setting("REFNET_FILE_KEYS", None,
            "Fernet keys, comma-separated, newest first: personal data at rest", fernet_keys,
            required=True, secret=True),
    Setting("REFNET_AUDIT_KEY", None,
            "HMAC key of each service's audit chain, held by the processes and never by a "
            "database (32 characters or more)", long_secret, required=True, secret=True),
    Setting("REFNET_CALLER_VERIFY_KEY", None,
            "a service checks with this public key that the gateway signed an RPC's caller",
            caller_verify_key, required=True),
    Setting("REFNET_RETRY_BASE_SECONDS", "0.5",
            "first wait before a failed message is handed back (doubles, 16x at most)", float),
    Setting("REFNET_OUTBOX_POLL_SECONDS", "1.0",
            "how often the outbox relay looks for rows a dead process left", float),
    Setting("REFNET_METRICS_PORT", None,
            "port of a service's /metrics (REFNET_METRICS_PORT_<SERVICE> per service; off: none)",
            optional),
    Setting("PORT", None, "the port `refnet up` gives each process; a service's /metrics falls back "
            "to it", optional),
    Setting("REFNET_METRICS_HOST", "127.0.0.1", "address a service's /metrics listens on"),
    Setting("REFNET_LOG_LEVEL", "INFO", "log level of every process"),
    Setting("REFNET_PROCESS_NAME", None,
            "the name a process's log lines carry until it sets its own", optional),
    Setting("REFNET_DEMO_CLOCK_FILE", None,
            "demo networks only: a file of seconds added to every recorded time", optional),
    Setting("REFNET_TEST_CLOCK_OFFSET_FILE", None,
            "tests only: a file of seconds added to the clock of timers and reads", optional),
    ATTACHMENT_MAX_BYTES,
)


def service_settings(service_name: str) -> Settings:
    """What the service ``service_name`` reads as every service does: ``SERVICE``, its database
    URL, and its own metrics port (``REFNET_METRICS_PORT_<SERVICE>``, before the common one)."""
    return Settings(
        service_name, SERVICE, database_setting(service_name),
        Setting(f"REFNET_METRICS_PORT_{service_name.upper()}", None,
                f"port of the {service_name} service's /metrics (before REFNET_METRICS_PORT)",
                optional))
