"""What every shelter use case shares: the events it queues and the time it acts at."""

from datetime import datetime

from sqlalchemy.orm import Session

from services.common.messaging import add_to_outbox
from services.common.clock import SystemClock
from services.contracts.envelope import make_event

from ..tables import outbox

SOURCE = "shelter"
SYSTEM_CLOCK = SystemClock()


def emit(s: Session, event_type: str, payload: dict, correlation_id: str | None = None) -> None:
    """Queue one of the shelter's events in the transaction of the change it announces."""
    add_to_outbox(s, outbox, make_event(event_type, payload, source=SOURCE,
                                        correlation_id=correlation_id))


def at(now: datetime | None) -> datetime:
    """The time a use case acts at: the one it was given (the service passes its clock's), else
    the system clock's (a caller that does not care, such as a storage test)."""
    return now if now is not None else SYSTEM_CLOCK.now()
