"""The shape of what a caller sends the legal service: texts, amounts, ids, dates and times.
No I/O. Each refusal names the field it is about."""

from datetime import datetime

from services.common.errors import InvalidInput, NotFound
from services.common.timeutil import aware

HEX = frozenset("0123456789abcdef")


def check_text(value, max_len: int, field: str) -> str:
    """1 to ``max_len`` characters, not only spaces."""
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise InvalidInput(f"1 to {max_len} characters", field=field)
    return value


def check_code(value, codes, field: str) -> str:
    """One of the shared codes (services/contracts/vocabulary.py)."""
    if value not in codes:
        raise InvalidInput(f"{field} is one of {', '.join(codes)}", field=field)
    return value


def check_amount(value, field: str) -> None:
    """A whole, non-negative amount, or nothing."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise InvalidInput("a whole, non-negative amount", field=field)


def check_id(value, field: str) -> str:
    """An object id (32 lower-case hex digits); anything else is an object that does not exist."""
    if not isinstance(value, str) or len(value) != 32 or not all(c in HEX for c in value):
        raise NotFound("no such object", field=field)
    return value


def parse_local(value, field: str) -> datetime:
    """A local wall time as a court gives it (the zone comes separately)."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("a local date and time, e.g. 2026-12-10T09:30", field=field) from None


def parse_instant(value, field: str = "until") -> datetime:
    """An ISO time (``Z`` or an offset; none means UTC), as an aware datetime."""
    try:
        return aware(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        raise InvalidInput("not a time", field=field) from None
