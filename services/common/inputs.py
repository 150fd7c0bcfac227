"""Input forms every service parses the same way, refused with ``InvalidInput`` naming the
field. Pure: no I/O."""

from datetime import date

from .errors import InvalidInput


def parse_date(value, field: str) -> date:
    """A calendar day, ``YYYY-MM-DD`` (or a ``date``)."""
    try:
        return value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("a date, YYYY-MM-DD", field=field) from None
