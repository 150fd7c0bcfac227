"""Calls from the gateway to the services, in nameko's RPC protocol, with kombu alone.

The services run nameko ``@rpc`` entrypoints. The gateway speaks the same protocol without
nameko's standalone proxy: a request goes to the ``nameko-rpc`` exchange with routing key
``service.method``, a JSON body ``{"args": [], "kwargs": {...}}``, the caller's ``reply_to``
routing key, a ``correlation_id`` and the context header ``nameko.correlation_id`` (the request's
id, so the service logs its work under it); the service answers ``{"result", "error"}`` on the
``reply_to`` key, and ``nameko.exceptions.deserialize`` turns an error back into the service's
exception (gateway/errors.py registers them).

Why not the standalone proxy (decision 0026): it made every gunicorn worker import eventlet and
nameko's container machinery (about 5 MB each), and each proxy held a connection and a reply
queue that the calling thread had to poll. Here one reply queue, consumed by one thread, serves
every thread of the worker, and each thread publishes on a confirmed channel of its own.

* The ``caller`` argument is signed for the one method called (``signer``:
  ``services.common.signed_caller.Signer``); a service believes no other.
* Requests carry ``mandatory`` routing and publisher confirms: no service consuming the
  queue is ``UnknownService`` at once; a dead connection is noticed at the publish (one retry
  on a fresh connection, as the intake does).
* Requests expire with the timeout, so a request nobody took in time never runs late.
* After a broker restart the reply thread reconnects under a new reply queue; calls that were
  waiting on the old one fail at once with ``ConnectionError`` (503) instead of waiting out
  their timeout.
"""

import contextvars
import logging
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

import kombu
from kombu.utils.json import dumps
from nameko.exceptions import RpcTimeout, UnknownService, deserialize

from services.common import logs
from services.common.broker import ConfirmingPublisher, Unroutable

from .metrics import RPC_DURATION

log = logging.getLogger(__name__)

# threads per worker that make one request's independent calls at the same time (``call_all``):
# the three services a public report asks; long-lived, so each keeps its publisher
AT_ONCE = 3

RPC_EXCHANGE = kombu.Exchange("nameko-rpc", type="topic", durable=True)  # nameko's default
# the reply queue binds to the exchange the services declare: the gateway's broker user may not
# configure it (services/contracts/broker_users.py)
REPLY_EXCHANGE = kombu.Exchange("nameko-rpc", type="topic", durable=True, no_declare=True)
REPLY_QUEUE_PREFIX = "rpc.reply-gateway-"


class _Waiting:
    """One call waiting for its reply."""

    __slots__ = ("done", "reply", "error")

    def __init__(self):
        self.done = threading.Event()
        self.reply: dict | None = None
        self.error: BaseException | None = None


class RpcClient:
    """``call(service, method, **kwargs)`` from any thread of the process; ``size`` caps how
    many calls wait at once (the worker's threads), ``timeout`` is how long a person waits;
    ``signer`` signs the ``caller`` of each call (None: sent as given, which services refuse)."""

    def __init__(self, amqp_uri: str, *, size: int, timeout: float, signer=None):
        self.amqp_uri = amqp_uri
        self.signer = signer
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(size)
        self._local = threading.local()
        self._publishers: list[ConfirmingPublisher] = []
        self._waiting: dict[str, _Waiting] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()     # the reply queue exists and is consumed
        self._reply_key: str | None = None
        self._listener: threading.Thread | None = None
        self._stopping = threading.Event()
        self._at_once: ThreadPoolExecutor | None = None

    # --- calling -------------------------------------------------------------------------------

    def call(self, service: str, method: str, **kwargs):
        """Call ``service.method(**kwargs)`` and return its result; service errors re-raise."""
        return self.call_within(self.timeout, service, method, **kwargs)

    def call_within(self, timeout: float, service: str, method: str, **kwargs):
        """``call`` with a timeout of its own: what a page can do without (the unread count in
        its header) waits a second, not the ``timeout`` a person waits for what they asked."""
        started, outcome = time.perf_counter(), "error"
        if self.signer is not None and "caller" in kwargs:
            kwargs = self.signer.sign_arguments(service, method, (), kwargs)[1]
        try:
            result = self._call(service, method, kwargs, timeout)
            outcome = "ok"
            return result
        except RpcTimeout:
            outcome = "timeout"
            raise
        except _ServiceAnswered as answered:
            outcome = "refused"  # the service answered with an error of its own
            raise answered.error from None
        finally:
            RPC_DURATION.labels(service, method, outcome).observe(time.perf_counter() - started)

    def call_all(self, calls: list[tuple[str, str, dict]], timeout: float | None = None) -> list:
        """Make independent calls ``(service, method, kwargs)`` at the same time; return their
        results in order. The wait is the slowest call's, not their sum; an error is raised
        (the first in order) once every call has ended."""
        timeout = self.timeout if timeout is None else timeout
        if len(calls) <= 1:
            return [self.call_within(timeout, s, m, **kw) for s, m, kw in calls]
        futures = [self._at_once_pool().submit(contextvars.copy_context().run, self.call_within,
                                               timeout, s, m, **kw) for s, m, kw in calls]
        wait(futures)  # every call ends before the first error (in order) is raised
        return [f.result() for f in futures]

    def _at_once_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._at_once is None:
                self._at_once = ThreadPoolExecutor(max_workers=AT_ONCE,
                                                   thread_name_prefix="rpc-at-once")
            return self._at_once

    def _call(self, service: str, method: str, kwargs: dict, timeout: float):
        deadline = time.monotonic() + timeout
        if not self._slots.acquire(timeout=timeout):
            raise RpcTimeout(timeout)
        try:
            self._start_listener()
            if not self._ready.wait(max(0.0, deadline - time.monotonic())):
                raise ConnectionError("no reply queue: the message broker is unreachable")
            correlation_id, waiting = uuid.uuid4().hex, _Waiting()
            self._waiting[correlation_id] = waiting
            try:
                reply_to = self._reply_key
                if reply_to is None:  # the reply connection died since the check above
                    raise ConnectionError("no reply queue: the message broker is unreachable")
                self._publish(service, method, kwargs, correlation_id, reply_to, timeout)
                if not waiting.done.wait(max(0.0, deadline - time.monotonic())):
                    raise RpcTimeout(timeout)
            finally:
                self._waiting.pop(correlation_id, None)
        finally:
            self._slots.release()
        if waiting.error is not None:
            raise waiting.error
        reply = waiting.reply or {}
        if reply.get("error"):
            raise _ServiceAnswered(deserialize(reply["error"]))
        return reply.get("result")

    def _publish(self, service: str, method: str, kwargs: dict, correlation_id: str,
                 reply_to: str | None, timeout: float) -> None:
        headers = {}
        request_id = logs.correlation_id.get()
        if request_id:
            headers["nameko.correlation_id"] = request_id
        body = dumps({"args": [], "kwargs": kwargs})
        last_error: Exception | None = None
        for _attempt in range(2):  # a stale connection (after a broker restart) gets one retry
            try:
                self._publisher().publish_raw(
                    body, content_type="application/json", exchange=RPC_EXCHANGE,
                    routing_key=f"{service}.{method}", headers=headers,
                    properties={"reply_to": reply_to, "correlation_id": correlation_id,
                                "expiration": timeout})
                return
            except Unroutable:
                raise UnknownService(service) from None
            except Exception as exc:  # noqa: BLE001 - retried once, then raised
                last_error = exc
        raise last_error

    def _publisher(self) -> ConfirmingPublisher:
        publisher = getattr(self._local, "publisher", None)
        if publisher is None:
            publisher = self._local.publisher = ConfirmingPublisher(self.amqp_uri, connect_timeout=3)
            with self._lock:
                self._publishers.append(publisher)
        return publisher

    # --- replies -------------------------------------------------------------------------------

    def _start_listener(self) -> None:
        if self._listener is not None and self._listener.is_alive():
            return
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._stopping.clear()
                self._listener = threading.Thread(target=self._listen, name="rpc-replies",
                                                  daemon=True)
                self._listener.start()

    def _listen(self) -> None:
        """Consume this process's reply queue; reconnect (new queue) whenever it is lost."""
        backoff = 0.2
        while not self._stopping.is_set():
            key = uuid.uuid4().hex
            queue = kombu.Queue(f"{REPLY_QUEUE_PREFIX}{key}", exchange=REPLY_EXCHANGE, routing_key=key,
                                exclusive=True, auto_delete=True, durable=False)
            try:
                with kombu.Connection(self.amqp_uri, connect_timeout=3, heartbeat=10) as conn:
                    conn.connect()
                    with conn.Consumer(queue, callbacks=[self._on_reply], accept=["json"],
                                       no_ack=True):
                        self._reply_key = key
                        self._ready.set()
                        backoff = 0.2
                        drain_until(conn, self._stopping)
            except Exception as exc:  # noqa: BLE001 - the broker went away: start again
                log.warning("rpc replies: connection lost (%s); reconnecting", type(exc).__name__)
            finally:
                self._ready.clear()
                self._reply_key = None
                self._fail_waiting()
            self._stopping.wait(backoff)
            backoff = min(2.0, backoff * 2)

    def _on_reply(self, body, message) -> None:
        waiting = self._waiting.get(message.properties.get("correlation_id"))
        if waiting is None:
            return  # its caller timed out already
        waiting.reply = body if isinstance(body, dict) else {"result": body}
        waiting.done.set()

    def _fail_waiting(self) -> None:
        for waiting in list(self._waiting.values()):
            if not waiting.done.is_set():
                waiting.error = ConnectionError("the reply queue was lost with the broker connection")
                waiting.done.set()

    def _wake_listener(self) -> None:
        """An empty message to this process's own reply queue, so the reply thread returns from
        its wait for the broker now rather than at its next timeout (a second: the time a
        command like `refnet seed-demo` would otherwise spend exiting). Best effort: without a
        broker the thread ends at that timeout anyway."""
        key = self._reply_key
        if key is None or not self._listener.is_alive():
            return
        try:
            # by the default exchange: the gateway's broker user may write to its own reply
            # queue that way, and to the RPC exchange only with a service's keys
            self._publisher().publish_raw(b"{}", content_type="application/json", exchange="",
                                          routing_key=f"{REPLY_QUEUE_PREFIX}{key}")
        except Exception:  # noqa: BLE001 - the broker is gone: the join's timeout bounds the wait
            log.debug("rpc replies: could not wake the reply thread; it stops at its timeout")

    def close(self) -> None:
        """Stop the reply thread and close every publisher's connection."""
        self._stopping.set()
        if self._at_once is not None:
            self._at_once.shutdown(wait=False)
        if self._listener is not None:
            self._wake_listener()
            self._listener.join(timeout=3)
        with self._lock:
            publishers, self._publishers = self._publishers, []
        for publisher in publishers:
            publisher.close()


class _ServiceAnswered(Exception):
    """Carries the service's own error out of ``_call`` (so the metric says "refused")."""

    def __init__(self, error: BaseException):
        super().__init__(type(error).__name__)
        self.error = error


def drain_until(conn, stopping: threading.Event) -> None:
    """Deliver a consuming connection's messages until ``stopping`` is set; raises when the
    connection is lost. The heartbeat is checked after every wake, not only when idle: a
    connection that only receives would otherwise tell the broker nothing under steady traffic,
    and be closed for missed heartbeats."""
    while not stopping.is_set():
        try:
            conn.drain_events(timeout=1)
        except (socket.timeout, TimeoutError):
            pass
        conn.heartbeat_check()
