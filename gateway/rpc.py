"""A small pool of started nameko standalone RPC proxies, shared by a worker's threads.

Each proxy holds one AMQP connection and reply queue, so proxies are created once and reused
(STACK-NOTES trap 8). A call borrows a proxy; a proxy whose connection failed is thrown away
and a fresh one made on next use, so the gateway recovers from a broker restart by itself.

Requests are published with a message TTL equal to the timeout: a request that no service
took in time expires in its queue instead of running later, after the person was told 503.
"""

import logging
import queue
import threading
import time

from nameko.exceptions import RemoteError, RpcTimeout
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import logs
from services.common.errors import ServiceError

from .metrics import RPC_DURATION

log = logging.getLogger(__name__)

# Exceptions that leave the proxy healthy: the service answered, with an error. After anything
# else, a timeout included, the proxy is replaced: after a broker restart its reply queue is gone
# and every later call through it would time out.
_HEALTHY_AFTER = (ServiceError, RemoteError)


def _set_context(worker_ctx, correlation_id: str | None) -> None:
    """Put the correlation id into the proxy's context data (sent as a message header)."""
    data = getattr(worker_ctx, "data", None)
    if isinstance(data, dict):
        if correlation_id:
            data["correlation_id"] = correlation_id
        else:
            data.pop("correlation_id", None)


class RpcPool:
    def __init__(self, amqp_uri: str, *, size: int, timeout: float):
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    def _new(self):
        runner = ClusterRpcProxy(self.config, timeout=self.timeout)
        return runner, runner.start()

    def call(self, service: str, method: str, **kwargs):
        """Call ``service.method(**kwargs)`` and return its result; service errors re-raise.

        The request's correlation id (``services.common.logs``) travels as nameko context data,
        so the service logs its work under the same id."""
        started, outcome = time.perf_counter(), "error"
        try:
            result = self._call(service, method, kwargs)
            outcome = "ok"
            return result
        except (ServiceError, RemoteError):
            outcome = "refused"  # the service answered with an error of its own
            raise
        except RpcTimeout:
            outcome = "timeout"
            raise
        finally:
            RPC_DURATION.labels(service, method, outcome).observe(time.perf_counter() - started)

    def _call(self, service: str, method: str, kwargs: dict):
        if not self._slots.acquire(timeout=self.timeout):
            raise RpcTimeout(self.timeout)
        entry = None
        try:
            try:
                entry = self._idle.get_nowait()
            except queue.Empty:
                entry = self._new()
            runner = entry[0]
            _set_context(runner._worker_ctx, logs.correlation_id.get())
            proxy = ServiceProxy(runner._worker_ctx, service, runner._reply_listener,
                                 expiration=self.timeout)
            result = getattr(proxy, method)(**kwargs)
        except _HEALTHY_AFTER:
            raise
        except BaseException:
            self._discard(entry)
            entry = None
            raise
        finally:
            if entry is not None:
                self._idle.put(entry)
            self._slots.release()
        return result

    def _discard(self, entry) -> None:
        if entry is None:
            return
        try:
            entry[0].stop()
        except Exception:  # the connection is already gone
            pass

    def close(self) -> None:
        while True:
            try:
                self._discard(self._idle.get_nowait())
            except queue.Empty:
                return
