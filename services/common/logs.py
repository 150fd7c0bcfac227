"""JSON log lines that carry the correlation id of the request they belong to.

The gateway assigns a correlation id to every HTTP request (or takes ``X-Request-ID``); it
travels in RPC calls (nameko context data), in the intake command and in every event envelope.
Each process keeps the id of the work in hand in a context variable (per thread in the gateway,
per green thread in a service), and ``JsonFormatter`` writes it into every line, so one grep of
the id follows a referral through every process's log.

Log lines name references, codes and ids, never a person: message arguments are the caller's
responsibility, and this module adds nothing but the process, level, logger and id.
"""

import contextvars
import json
import logging
import time

from .settings import SERVICE, Settings

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "refnet_correlation_id", default=None)

# Which process writes: "gateway", "referral", "shelter", "legal", "notify" (set once at start-up).
PROCESS = {"name": Settings("logs", *(s for s in SERVICE if s.env == "REFNET_PROCESS_NAME"))
            .load().process_name or ""}

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def set_process_name(name: str) -> None:
    PROCESS["name"] = name


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, process, logger, message, correlation id, and
    any ``extra={...}`` fields the caller gave."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                  + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "process": PROCESS["name"] or record.processName,
            "pid": record.process,
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None) or correlation_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RefusalsAreNotErrors(logging.Filter):
    """nameko logs every exception an entrypoint raises; a ``ServiceError`` (declared
    ``expected_exceptions`` of the services' ``@rpc``) is a refusal the caller is answered with
    (404, 409, 422...), not a fault: its line is kept, at INFO and without a traceback, so
    ERROR lines mean something went wrong. (The refusal's message names a field and a code,
    never personal data: services.common.errors.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "nameko.containers" and str(record.msg).startswith("(expected)"):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


def configure(process_name: str, level: int = logging.INFO) -> None:
    """JSON lines on stderr for this process (the gateway; services use nameko's LOGGING)."""
    set_process_name(process_name)
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
