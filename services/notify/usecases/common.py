"""What the notify use cases share: the time on the injected clock, and page cursors
(``services.common.cursors``)."""

from datetime import datetime

from services.common.clock import SystemClock
from services.common.cursors import decode_cursor, encode_cursor  # noqa: F401 - shared


def now_of(clock) -> datetime:
    """The time on ``clock`` (the service injects its own), else the system clock's."""
    return (clock or SystemClock()).now()
