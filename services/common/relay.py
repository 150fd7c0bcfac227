"""The outbox relay: publishes committed event rows, marks them sent once confirmed.

Plain Python (threads): the nameko dependency provider runs ``run_forever`` in a green thread,
and tests drive ``publish_pending`` directly. Low latency comes from ``wake()``, called after
every committed write; polling every ``poll_interval`` seconds is the safety net.
"""

import json
import logging
import threading
from datetime import timedelta
from typing import Callable

from sqlalchemy import Table

from . import messaging
from .broker import EVENTS_EXCHANGE, ConfirmingPublisher, Unroutable
from .db import Database

log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes a service's outbox rows after each commit, and polls for rows a dead process left."""
    def __init__(self, db: Database, outbox: Table, publisher: ConfirmingPublisher, *,
                 batch_size: int = 100, lease_seconds: float = 30.0, poll_interval: float = 1.0,
                 on_published: Callable[[dict], None] | None = None):
        self.db = db
        self.outbox = outbox
        self.publisher = publisher
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.published = 0
        self.on_published = on_published  # called with each confirmed envelope (metrics, logs)

    def wake(self) -> None:
        """Look for new rows now (called after each commit)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the batch in hand and stop."""
        self._stopping.set()
        self._wake.set()

    def publish_pending(self) -> int:
        """Publish one batch of unsent events; return how many the broker confirmed."""
        with self.db.write() as session:
            claim, rows = messaging.claim_pending(session, self.outbox, limit=self.batch_size,
                                                  lease=self.lease, skip_locked=not self.db.sqlite)
        sent: list[int] = []
        unroutable = 0
        failure = None
        try:
            for row_id, event_type, body in rows:
                envelope = json.loads(body)
                try:
                    self.publisher.publish(envelope, exchange=EVENTS_EXCHANGE,
                                           routing_key=event_type,
                                           message_id=envelope["event_id"],
                                           headers={"correlation_id": envelope.get("correlation_id")})
                except Unroutable:
                    unroutable += 1  # stays unsent; the rows after it still go out
                    continue
                sent.append(row_id)
                if self.on_published is not None:
                    self.on_published(envelope)
        except Exception as exc:  # broker away: rows stay unsent, any relay retries them
            failure = type(exc).__name__
            log.warning("outbox relay: publish failed (%s); will retry", failure)
        if unroutable and failure is None:
            failure = f"unroutable: no queue bound for {unroutable} event(s)"
        with self.db.write() as session:
            messaging.mark_sent(session, self.outbox, claim, sent)
            if failure:
                messaging.release(session, self.outbox, claim, failure)
        self.published += len(sent)
        if failure:
            raise RelayFailure(failure)
        return len(sent)

    def run_forever(self) -> None:
        """Publish until ``stop()``; back off (up to 10 s) while the broker fails."""
        backoff = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                count = self.publish_pending()
                backoff = 0.0
                if count >= self.batch_size:
                    continue
            except Exception as exc:
                backoff = min(10.0, max(0.2, backoff * 2))
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                self._stopping.wait(backoff)
                continue
            self._wake.wait(self.poll_interval)
        self.publisher.close()


class RelayFailure(Exception):
    """A batch stopped part-way; what was confirmed is marked sent, the rest retried."""
