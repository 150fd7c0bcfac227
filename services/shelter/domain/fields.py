"""Checks of the plain values the shelter's requests carry: staff ids, dates, whole numbers.
No I/O."""

from datetime import date

from services.common.errors import InvalidInput
from services.common.inputs import parse_date

STAFF_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


def check_staff_id(value, field: str = "case_manager") -> str:
    """A staff user id (not a name): 1-100 letters, digits, '.', '_', '-', '@'."""
    if not isinstance(value, str) or not 1 <= len(value) <= 100 or not set(value) <= STAFF_ID_CHARS:
        raise InvalidInput("a staff user id: 1-100 characters of letters, digits . _ - @", field=field)
    return value


def check_date(value, field: str) -> date | None:
    """A calendar day given as YYYY-MM-DD (or a ``date``); None stays None."""
    return None if value is None else parse_date(value, field)


def check_whole_number(value, field: str) -> int:
    """A whole number (an id, a count) as sent: an int or its digits, never a boolean."""
    if isinstance(value, bool):
        raise InvalidInput("must be a whole number", field=field)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput("must be a whole number", field=field) from None
