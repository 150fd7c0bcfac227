"""What every legal use case shares: new ids, the event written with the change (outbox), and
the time on the injected clock."""

import uuid
from datetime import datetime

from services.common.db import WriteTransaction

from services.common.messaging import add_to_outbox
from services.common.clock import SystemClock
from services.contracts.envelope import make_event

from ..tables import outbox

SOURCE = "legal"


def new_id() -> str:
    """A new object id: 32 lower-case hex digits."""
    return uuid.uuid4().hex


def emit(s: WriteTransaction, now: datetime, event_type: str, payload: dict,
         correlation_id: str | None) -> None:
    """Queue an event, occurred ``now``, in the outbox, in the transaction of the change it
    announces."""
    add_to_outbox(s, outbox, make_event(event_type, payload, source=SOURCE,
                                        correlation_id=correlation_id, occurred_at=now))


def now_of(clock) -> datetime:
    """The time on ``clock`` (the service injects its own), else the system clock's (a caller
    with no clock of its own, such as a test of storage)."""
    return (clock or SystemClock()).now()
