"""gunicorn settings for the gateway: gthread workers (gunicorn >= 26 has no eventlet worker),
each with an RPC client (gateway/rpc.py) that lets as many calls wait as it has threads.

Logs are JSON lines (services/common/logs.py); the access log is written by the app itself
(one line per request with its correlation id), so gunicorn's own access log is off.

Metrics: several worker processes each count their own requests, so prometheus_client's
multiprocess mode collects them in ``PROMETHEUS_MULTIPROC_DIR`` (a fresh directory of this
gunicorn when not set; emptied at start) and ``/metrics`` adds up every worker's figures.

Settings: the server's are read here; the gateway app's (its secrets among them) are checked
by the master, in a child process of its own, before any worker starts (``on_starting``): a
missing or malformed one stops gunicorn with one line naming the variable and exit status 2.
The benchmark's baseline app (bench/baseline_app.py) runs under these server settings without
the gateway's.
"""

import os
import shutil
import tempfile

from gunicorn.glogging import Logger

from gateway.settings import SERVER, SETTINGS as GATEWAY

settings = SERVER.load_at_start()  # a bad value stops gunicorn here, naming the variable
bind = f"{settings.host}:{settings.port}"
worker_class = "gthread"
# One worker with eight threads by default: the gateway mostly waits on the broker, and on the
# two-core server the benchmark assumes a second worker measured slower (its CPU competes with
# the services' and costs ~70 MB more; bench/README.md). More cores: more workers or replicas.
workers = settings.gateway_workers
threads = settings.gateway_threads
os.environ.setdefault("REFNET_RPC_POOL_SIZE", str(threads))
os.environ.setdefault("REFNET_PROCESS_NAME", "gateway")
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None
# gunicorn >= 25 opens a control socket at $HOME/.gunicorn/gunicorn.ctl by default: one path
# for every gunicorn of the user, so two gateways on one machine (replicas, tests, `make up`)
# would take it from each other, and a read-only container cannot create it. Off unless a path
# is given.
if settings.gateway_control_socket:
    control_socket = settings.gateway_control_socket
else:
    control_socket_disable = True

_OWN_METRICS_DIR = not settings.prometheus_multiproc_dir
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="refnet-gateway-metrics-")
_METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]


class WithoutAccessLine(Logger):
    """gunicorn's logger without its access line: the app writes its own (with the correlation
    id). gunicorn builds its line on every request once a logging config is given, even for a
    logger with no handler: about 7% of a read's CPU in the worker (py-spy, bench/README.md)."""

    def access(self, resp, req, environ, request_time):
        return None


logger_class = WithoutAccessLine
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "services.common.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                             "stream": "ext://sys.stderr"},
                 # the app's access line, one per request: written in batches by a thread of
                 # its own (services/common/logs.py), not by the request's thread
                 "access": {"class": "services.common.logs.BatchedStreamHandler",
                            "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": settings.log_level, "handlers": ["console"]},
    "loggers": {
        "refnet.access": {"level": settings.log_level, "handlers": ["access"], "propagate": False},
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}


def on_starting(server):
    """Check the gateway's settings before a worker starts (the app is loaded in the workers),
    in a child process, so the master never holds what the checks import; then start from an
    empty metrics directory: files of an earlier run would be added in."""
    if (server.app.app_uri or "").startswith("gateway."):
        try:
            GATEWAY.check_at_start_apart()
        except SystemExit:
            on_exit(server)
            raise
    os.makedirs(_METRICS_DIR, exist_ok=True)
    for name in os.listdir(_METRICS_DIR):
        path = os.path.join(_METRICS_DIR, name)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def post_worker_init(_worker):
    """The worker has built the app: its start-up objects leave the collector's reach."""
    from services.common.runtime.startup import freeze_startup_objects
    freeze_startup_objects()


def child_exit(_server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(_METRICS_DIR, ignore_errors=True)
