"""What every shelter use case shares: the events it queues and the time it acts at."""

from datetime import datetime

from sqlalchemy.orm import Session

from services.common.messaging import add_to_outbox
from services.common.timeutil import utcnow
from services.contracts.envelope import make_event

from ..tables import outbox

SOURCE = "shelter"


def emit(s: Session, event_type: str, payload: dict, correlation_id: str | None = None) -> None:
    """Queue one of the shelter's events in the transaction of the change it announces."""
    add_to_outbox(s, outbox, make_event(event_type, payload, source=SOURCE,
                                        correlation_id=correlation_id))


def at(now: datetime | None) -> datetime:
    """The time a use case acts at: the one it was given (the service passes its clocks'), else
    the recorded time of a caller without a clock (the system clock moved by the demo clock)."""
    return now if now is not None else utcnow()
