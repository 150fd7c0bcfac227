"""Police and legal status reads served from a copy in each gateway worker (decision 0048).

A status answer depends on the caller's role and agency, the survivor's consent for that
audience (given, withdrawn, or ending on a date), the referral's status, holder and timeline,
and its legal and partner updates. The copy keeps the referral service's answer per
``(reference, role, agency)`` and serves it only while nothing it depends on can have changed:

* a request through the gateway that changes consent or status (endpoints marked
  ``changes_status``: consent, withdrawal) drops every worker's copy before it answers: it
  bumps a generation number the gateways share (as availability does, decision 0026),
  and each read compares it with its entry's; if the bump fails the request answers 503;
* each worker consumes, on an exclusive queue of its own, what the referral service announces
  after its commits and what it consumes itself (``STATUS_COPY_KEYS``). A referral event drops
  that reference's entries. A shelter or legal event (which the referral service is applying
  at about the same moment) drops them too and makes the reference *unsettled*: its reads ask
  the service and keep nothing until the referral service announces a change of it, or for
  ``max_age`` (the events it applies without announcing one: legal and partner updates, offers,
  transfers). So a read never keeps an answer from before a change the service is applying;
  while that queue is not consumed (start-up, broker restart) every read asks the service and
  nothing is kept, and the copy starts empty once it is consumed again;
* an answer the service says holds only until a date (``valid_until``: the audience's consent
  ends then) is not served from ``CLOCK_MARGIN`` before that date on, by the gateway's clock;
* after ``max_age`` seconds (``REFNET_STATUS_MAX_AGE``; 0 turns the copy off), which bounds
  what no event tells (retention's anonymised notes) and an event applied later than that.

Shelter staff always ask the service: their access follows the provider holding the referral,
which moves by an event the referral service applies without announcing it. Refusals are never
kept, so every refused read still reaches the service and its audit trail.
"""

import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Callable

import kombu

from services.common.timeutil import aware
from services.contracts.topology import EVENTS_EXCHANGE, STATUS_COPY_KEYS

from .kept import KeptAnswer
from .metrics import STATUS_COPY
from .rpc import drain_until

log = logging.getLogger(__name__)

NAME = "status"               # its generation (gateway/generations.py)
KEPT_ROLES = frozenset({"police", "legal"})  # the consent audiences
MAX_REFERENCES = 4096         # per worker; the least recently read go first
CLOCK_MARGIN = timedelta(seconds=5)  # the gateway's and the referral service's clocks may differ


class StatusCopy:
    """One worker's copy of status answers. ``generation``: the shared generation number
    (``generations.for_database(url, NAME)``); ``now``: the gateway's clock (aware
    datetimes); ``feed``: what keeps the copy fresh (``EventFeed``), started at the first read."""

    def __init__(self, max_age: float, generation, now: Callable[[], datetime], *,
                 feed=None, clock: Callable[[], float] = time.monotonic):
        self.max_age, self.generation, self.now, self.clock = max_age, generation, now, clock
        self.feed = feed
        self._lock = threading.Lock()
        # reference -> {(role, agency): (kept at, generation, answer, valid until or None)}
        self._entries: OrderedDict[str, dict] = OrderedDict()
        self._live = False   # the events that drop entries are being consumed
        self._epoch = 0      # moves at every drop: an answer asked for before it is not kept
        # reference -> when a shelter or legal event about it came, until the referral service
        # announces a change of it: read through, never kept
        self._unsettled: OrderedDict[str, float] = OrderedDict()

    def get(self, reference: str, role: str, agency: str, fetch: Callable[[], dict]) -> dict:
        """The status answer for the caller; ``fetch`` asks the referral service."""
        generation = self._generation(role)
        if generation is None:
            STATUS_COPY.labels("asked").inc()
            return fetch()
        key = (role, agency)
        with self._lock:
            since = self._unsettled.get(reference)
            if since is not None and self.clock() - since < self.max_age:
                STATUS_COPY.labels("asked").inc()
                return fetch()  # the referral service may be applying a change of it
            entry = self._entries.get(reference, {}).get(key)
            if entry is not None and self._fresh(entry, generation):
                self._entries.move_to_end(reference)
                STATUS_COPY.labels("kept").inc()
                return entry[2]
            epoch = self._epoch
        STATUS_COPY.labels("asked").inc()
        answer = fetch()
        self._keep(reference, key, answer, generation, epoch)
        return answer

    def _generation(self, role: str) -> int | None:
        """The shared generation to read and keep under, or None: ask the service, keep
        nothing (off, a role not kept, the events not consumed, the generation unreadable)."""
        if self.max_age <= 0 or role not in KEPT_ROLES:
            return None
        if self.feed is not None:
            self.feed.start(self)
        if not self._live:
            return None
        try:
            return self.generation.current()
        except Exception as exc:  # noqa: BLE001 - the service answers instead
            log.warning("status copy: generation unreadable (%s); asking the service",
                        type(exc).__name__)
            return None

    def _fresh(self, entry, generation: int) -> bool:
        kept_at, kept_generation, _answer, until = entry
        return (kept_generation == generation and self.clock() - kept_at < self.max_age
                and (until is None or self.now() < until - CLOCK_MARGIN))

    def _keep(self, reference: str, key, answer, generation: int, epoch: int) -> None:
        if not isinstance(answer, dict):
            return
        until = answer.get("valid_until")
        until = aware(datetime.fromisoformat(until.replace("Z", "+00:00"))) if until else None
        with self._lock:
            if not self._live or epoch != self._epoch:  # a drop came while it was asked for
                return
            self._entries.setdefault(reference, {})[key] = (self.clock(), generation,
                                                            KeptAnswer(answer), until)
            self._entries.move_to_end(reference)
            while len(self._entries) > MAX_REFERENCES:
                self._entries.popitem(last=False)

    # --- what drops entries ---------------------------------------------------------------------

    def changed(self) -> None:
        """A request through this gateway changed consent or status: every worker of every
        gateway on this database drops its copy. Raises when the others cannot be told (the
        caller answers 503: the change holds, the person retries)."""
        self.drop(None)
        if self.max_age > 0:
            self.generation.bump()

    def on_event(self, body) -> None:
        """An event off the feed's queue: a referral event drops its reference's entries (one
        naming no referral, e.g. an agency's new names, drops all) and settles it; a shelter or
        legal event drops them and unsettles it (one naming no referral changes no answer)."""
        kind, reference = event_of(body)
        if kind == "referral":
            self.drop(reference)
        elif reference is not None:
            self.drop(reference, unsettle=True)

    def drop(self, reference: str | None, unsettle: bool = False) -> None:
        """Drop the entries of ``reference`` (None: all); ``unsettle``: and read it through
        until the referral service announces a change of it, or for ``max_age``."""
        with self._lock:
            self._epoch += 1
            if reference is None:
                self._entries.clear()
                return
            self._entries.pop(reference, None)
            self._unsettled.pop(reference, None)
            if unsettle:
                self._unsettled[reference] = self.clock()
                while len(self._unsettled) > MAX_REFERENCES:  # the oldest are settled by age
                    self._unsettled.popitem(last=False)

    def connected(self) -> None:
        """The feed consumes its queue: the copy may be used, starting empty."""
        with self._lock:
            self._epoch += 1
            self._entries.clear()
            self._unsettled.clear()
            self._live = True

    def disconnected(self) -> None:
        """The feed lost its queue: events may be missed, so nothing is served or kept."""
        with self._lock:
            self._epoch += 1
            self._live = False
            self._entries.clear()

    def size(self) -> int:
        """How many answers are kept (not ``__len__``: an empty copy is still a copy)."""
        return sum(len(by_caller) for by_caller in self._entries.values())


def event_of(body) -> tuple[str | None, str | None]:
    """The service an event comes from (its type's first part) and the referral it names."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return None, None
    if not isinstance(body, dict):
        return None, None
    kind = body.get("type").split(".", 1)[0] if isinstance(body.get("type"), str) else None
    payload = body.get("payload")
    reference = payload.get("reference") if isinstance(payload, dict) else None
    return kind, reference if isinstance(reference, str) else None


# the exchange the services declare: the gateway's broker user binds to it, never declares it
EVENTS = kombu.Exchange(EVENTS_EXCHANGE, type="topic", durable=True, no_declare=True)


class EventFeed:
    """A daemon thread per worker consuming ``STATUS_COPY_KEYS`` on an exclusive, auto-delete
    queue of its own (``gateway.status-<hex>``, services/contracts/broker_users.py); reconnects
    under a new queue whenever the connection is lost, telling the copy each time."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self, copy: StatusCopy) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._listen, args=(copy,), daemon=True,
                                                name="status-copy-events")
                self._thread.start()

    def _listen(self, copy: StatusCopy) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            queue = kombu.Queue(
                f"gateway.status-{uuid.uuid4().hex}", exclusive=True, auto_delete=True,
                durable=False, bindings=[kombu.binding(EVENTS, routing_key=key)
                                         for key in STATUS_COPY_KEYS])
            try:
                with kombu.Connection(self.amqp_uri, connect_timeout=3, heartbeat=10) as conn:
                    conn.connect()
                    with conn.Consumer(queue, callbacks=[lambda body, _m: copy.on_event(body)],
                                       accept=["json"], no_ack=True):
                        copy.connected()
                        backoff = 0.2
                        drain_until(conn, self._stopping)
            except Exception as exc:  # noqa: BLE001 - the broker went away: start again
                log.warning("status copy: event queue lost (%s); reading status from the "
                            "referral service until it is back", type(exc).__name__)
            finally:
                copy.disconnected()
            self._stopping.wait(backoff)
            backoff = min(2.0, backoff * 2)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
