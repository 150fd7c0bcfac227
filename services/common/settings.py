"""Settings: every variable a process kind reads, its default and meaning, declared in one place.

A process kind (each service, the gateway, the ``refnet`` command) has one settings module that
builds a ``Settings`` from ``Setting`` rows; it loads them once at start, so a bad value stops the
process with a message naming the variable instead of failing on first use. The README's
configuration table is checked against these declarations by a test.

``SERVICE`` holds what every nameko service process reads; ``service_settings(name)`` adds a
service's database URL and metrics port to it, and is what a service's own settings module
starts from.
"""

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping
import os


class SettingsError(ValueError):
    """A variable is missing or does not parse; the message names it (never its value)."""


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


def secret_key(text: str) -> str:
    """A key of at least 32 characters (``refnet init-secrets`` writes 64)."""
    if len(text) < 32:
        raise ValueError("must be 32 characters or more")
    return text


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


def database_setting(service_name: str) -> Setting:
    """The ``<SERVICE>_DATABASE_URL`` of a service (SQLite under ``var/`` by default)."""
    return Setting(f"{service_name.upper()}_DATABASE_URL", f"sqlite:///var/{service_name}.db",
                   f"the {service_name} service's database (SQLAlchemy URL)", secret=True)


SERVICE = Settings(
    "service",
    Setting("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", "the RabbitMQ broker", secret=True),
    Setting("REFNET_FILE_KEYS", None,
            "Fernet keys, comma-separated, newest first: personal data at rest", optional,
            secret=True),
    Setting("REFNET_AUDIT_KEY", None,
            "HMAC key of each service's audit chain, held by the processes and never by a "
            "database (32 characters or more; required by every service)", secret_key,
            secret=True),
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
)


def service_settings(service_name: str) -> Settings:
    """What the service ``service_name`` reads as every service does: ``SERVICE``, its database
    URL, and its own metrics port (``REFNET_METRICS_PORT_<SERVICE>``, before the common one)."""
    return Settings(
        service_name, SERVICE, database_setting(service_name),
        Setting(f"REFNET_METRICS_PORT_{service_name.upper()}", None,
                f"port of the {service_name} service's /metrics (before REFNET_METRICS_PORT)",
                optional))
