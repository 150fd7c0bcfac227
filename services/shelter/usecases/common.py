"""What every shelter use case shares: the events it queues and the time it acts at."""

from datetime import datetime

from services.common.db import WriteTransaction

from services.common.messaging import add_to_outbox
from services.common.clock import SystemClock
from services.contracts.envelope import make_event

from ..tables import outbox

SOURCE = "shelter"


def emit(s: WriteTransaction, now: datetime, event_type: str, payload: dict,
         correlation_id: str | None = None) -> None:
    """Queue one of the shelter's events, occurred ``now``, in the transaction of the change it
    announces."""
    add_to_outbox(s, outbox, make_event(event_type, payload, source=SOURCE,
                                        correlation_id=correlation_id, occurred_at=now))


def at(now: datetime | None) -> datetime:
    """The time a use case acts at: the one it was given (the service passes its clock's), else
    the system clock's (a caller with no clock of its own, such as a test of storage)."""
    return now if now is not None else SystemClock().now()
