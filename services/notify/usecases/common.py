"""What the notify use cases share: the time on the injected clock, and page cursors."""

import base64
from datetime import datetime

from services.common.clock import SystemClock
from services.common.errors import InvalidInput


def now_of(clock) -> datetime:
    """The time on ``clock`` (the service injects its own), else the system clock's."""
    return (clock or SystemClock()).now()


def encode_cursor(row_id: int) -> str:
    """An opaque page cursor (the last row's id)."""
    return base64.urlsafe_b64encode(str(row_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The row id of a cursor ``encode_cursor`` gave out; ``InvalidInput`` for anything else."""
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except Exception:
        raise InvalidInput("not a cursor this service gave out", field="cursor") from None
