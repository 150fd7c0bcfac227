"""JSON log lines that carry the correlation id of the request they belong to.

The gateway assigns a correlation id to every HTTP request (or takes ``X-Request-ID``); it
travels in RPC calls (nameko context data), in the intake command and in every event envelope.
Each process keeps the id of the work in hand in a context variable (per thread in the gateway,
per green thread in a service), and ``JsonFormatter`` writes it into every line, so one grep of
the id follows a referral through every process's log.

Log lines name references, codes and ids, never a person: message arguments are the caller's
responsibility, and this module adds nothing but the process, level, logger and id.
"""

import collections
import contextvars
import json
import logging
import os
import threading
import time

from .settings import SERVICE, Settings

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "refnet_correlation_id", default=None)

# No line shows a thread's name, and finding it is not free: every record asks
# ``threading.current_thread()``, which under eventlet searches the green threads (a sixth of
# each line's cost in a service answering status reads: py-spy, bench/README.md).
logging.logThreads = False

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


class BatchedStreamHandler(logging.StreamHandler):
    """A stream handler for a line written at every request (the gateway's access log): the
    line is formatted in the caller's thread (with its correlation id) and queued; a thread of
    the handler's own writes what is queued every ``interval`` seconds in one write, and
    ``flush`` (``logging.shutdown`` at exit among others) writes the rest at once.

    Why: a line written by the request's own thread is a system call and a lock under which
    the GIL passes to the worker's other threads, about 100 µs of CPU per request under load
    (bench/README.md). The cost: a line reaches the stream up to ``interval`` seconds late,
    and a process killed outright loses at most that much of it."""

    def __init__(self, stream=None, interval: float = 0.1):
        super().__init__(stream)
        self.interval = interval
        self._queued: collections.deque[str] = collections.deque()
        self._writer_pid: int | None = None  # the process whose writer thread runs

    def handle(self, record: logging.LogRecord) -> bool:
        """Filter and queue, without the handler's lock (the queue is thread-safe)."""
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._queued.append(self.format(record) + self.terminator)
        except Exception:  # noqa: BLE001 - logging's own way: report and go on
            self.handleError(record)
        if self._writer_pid != os.getpid():  # the first line, or the first after a fork
            self._start_writer()

    def _start_writer(self) -> None:
        with self.lock:
            if self._writer_pid == os.getpid():
                return
            self._writer_pid = os.getpid()
            threading.Thread(target=self._write_queued, name="log-writer", daemon=True).start()

    def _write_queued(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()

    def flush(self) -> None:
        """Write every queued line now, in one write."""
        with self.lock:
            lines = []
            while self._queued:
                lines.append(self._queued.popleft())
            if self.stream is None:
                return
            try:
                if lines:
                    self.stream.write("".join(lines))
                self.stream.flush()
            except (OSError, ValueError):  # the stream is gone (closed at exit): nothing to do
                pass
