"""The outbox relay: publishes committed event rows, marks them sent once confirmed.

Plain Python (threads): the nameko dependency provider runs ``run_forever`` in a green thread,
and tests drive ``publish_pending`` directly. Low latency comes from the hand-over: with
``hand_over_seconds`` set, a write transaction claims its outbox rows for this relay as it
inserts them, and the commit hands them over (``committed``), so the relay publishes them at
once, before the committing thread goes on, without a claim transaction of its own; then one
read tells whether other rows wait (another process's, say), and a poll takes them, as every
commit's wake did before. Polling every ``poll_interval`` seconds is the safety net: rows a dead
process left (their lease ran out), rows a failed publish gave back, and rows written without a
hand-over.
"""

import json
import logging
import threading
import time
from collections import deque
from datetime import timedelta
from typing import Callable

from sqlalchemy import Table

from services.contracts import topology

from . import messaging
from .broker import EVENTS_EXCHANGE, ConfirmingPublisher, Unroutable
from .db import Database

log = logging.getLogger(__name__)

Rows = list[tuple[int, str, str]]  # (row id, event type, body)


class OutboxRelay:
    """Publishes a service's outbox rows after each commit, and polls for rows a dead process left."""
    def __init__(self, db: Database, outbox: Table, publisher: ConfirmingPublisher, *,
                 batch_size: int = 100, lease_seconds: float = 30.0, poll_interval: float = 1.0,
                 hand_over_seconds: float | None = None,
                 on_published: Callable[[dict], None] | None = None,
                 must_route: Callable[[str], bool] = topology.consumed):
        self.db = db
        self.outbox = outbox
        self.publisher = publisher
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.hand_over = timedelta(seconds=hand_over_seconds) if hand_over_seconds else None
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._handed: deque[tuple[str, Rows]] = deque()  # (claim, rows) committed, not published
        self._poll_now = True
        self.published = 0
        self.on_published = on_published  # called with each confirmed envelope (metrics, logs)
        # whether an event type must reach a queue (published ``mandatory``): a row of such a
        # type that no queue takes stays unsent; one of a type no service consumes goes out
        self.must_route = must_route

    def hand_over_lease(self) -> timedelta | None:
        """The lease a write transaction claims its rows under for this relay, or None (no
        hand-over configured, or a batch already waiting: those rows are left to the poll)."""
        if self.hand_over is None or len(self._handed) >= self.batch_size:
            return None
        return self.hand_over

    def committed(self, info: dict) -> None:
        """After a commit that queued events (``Database.on_commit``): take the rows it handed
        over, or look for them; wake the relay and let it run before this thread goes on (under
        eventlet the sleep yields to the relay's green thread, which publishes at once)."""
        handed = info.get("outbox_handed")
        if handed and info.get("outbox_for") == self.hand_over_lease:  # claimed for this relay
            self._handed.append((info["outbox_claim"], list(handed)))
        else:
            self._poll_now = True
        self._wake.set()
        time.sleep(0)

    def stop(self) -> None:
        """Finish the batch in hand and stop."""
        self._stopping.set()
        self._wake.set()

    def publish_pending(self) -> int:
        """Publish one batch of unsent events; return how many the broker confirmed."""
        with self.db.write() as session:
            claim, rows = messaging.claim_pending(session, self.outbox, limit=self.batch_size,
                                                  lease=self.lease, skip_locked=not self.db.sqlite)
        if not rows:
            return 0
        return self._publish([(claim, rows)])

    def publish_handed(self) -> int:
        """Publish the rows commits handed over (up to a batch); return how many were confirmed."""
        groups, count = [], 0
        while self._handed and count < self.batch_size:
            claim, rows = self._handed.popleft()
            groups.append((claim, rows))
            count += len(rows)
        return self._publish(groups) if groups else 0

    def others_waiting(self) -> bool:
        """Whether rows not handed to this relay wait to be claimed (one read)."""
        with self.db.read() as connection:
            return messaging.any_claimable(connection, self.outbox)

    def _publish(self, groups: list[tuple[str, Rows]]) -> int:
        """Publish each claim's rows in order, mark the confirmed ones sent and give the others
        back (to any relay's poll) in one transaction; raise ``RelayFailure`` if any failed."""
        sent: dict[str, list[int]] = {claim: [] for claim, _ in groups}
        unroutable = 0
        failure = None
        try:
            for claim, rows in groups:
                for row_id, event_type, body in rows:
                    envelope = json.loads(body)
                    try:
                        self.publisher.publish(envelope, exchange=EVENTS_EXCHANGE,
                                               routing_key=event_type,
                                               message_id=envelope["event_id"],
                                               headers={"correlation_id": envelope.get("correlation_id")},
                                               mandatory=self.must_route(event_type))
                    except Unroutable:
                        unroutable += 1  # stays unsent; the rows after it still go out
                        continue
                    sent[claim].append(row_id)
                    if self.on_published is not None:
                        self.on_published(envelope)
        except Exception as exc:  # broker away: rows stay unsent, any relay retries them
            failure = type(exc).__name__
            log.warning("outbox relay: publish failed (%s); will retry", failure)
        if unroutable and failure is None:
            failure = f"unroutable: no queue bound for {unroutable} event(s)"
        with self.db.write() as session:
            for claim, row_ids in sent.items():
                messaging.mark_sent(session, self.outbox, claim, row_ids)
                if failure:
                    messaging.release(session, self.outbox, claim, failure)
        published = sum(len(row_ids) for row_ids in sent.values())
        self.published += published
        if failure:
            self._poll_now = True  # what was given back goes out with the next poll
            raise RelayFailure(failure)
        return published

    def run_forever(self) -> None:
        """Publish until ``stop()``: what commits hand over at once, a poll when woken without
        rows or every ``poll_interval``; back off (up to 10 s) while the broker fails."""
        backoff = 0.0
        next_poll = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                count = self.publish_handed()
                if count and not self._poll_now:
                    # a commit also publishes what waits besides its own rows (written by
                    # another process, given back by a failed publish), as a wake always did
                    if self.others_waiting():  # never cleared here: a commit may set it meanwhile
                        self._poll_now = True
                if self._poll_now or time.monotonic() >= next_poll:
                    self._poll_now = False  # before the poll: a commit meanwhile sets it again
                    next_poll = time.monotonic() + self.poll_interval
                    polled = self.publish_pending()
                    if polled >= self.batch_size:
                        # a full batch: more may wait (a backlog the hand-over could not take),
                        # polled again at once rather than a batch per poll_interval
                        self._poll_now = True
                    count += polled
                backoff = 0.0
                if self._poll_now or self._handed:
                    continue
            except Exception as exc:
                backoff = min(10.0, max(0.2, backoff * 2))
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                self._stopping.wait(backoff)
                continue
            self._wake.wait(max(0.0, next_poll - time.monotonic()))
        try:  # a clean stop publishes what commits handed over, rather than leave it to a lease
            while self._handed:
                self.publish_handed()
        except Exception as exc:
            log.warning("outbox relay: %s at stop; the lease will give it to another relay", exc)
        self.publisher.close()


class RelayFailure(Exception):
    """A batch stopped part-way; what was confirmed is marked sent, the rest retried."""
