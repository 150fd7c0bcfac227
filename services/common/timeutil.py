"""UTC time helpers. SQLite hands back naive datetimes; every stored time is UTC."""

from datetime import datetime, timezone



def aware(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite returns naive ones)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, or None."""
    value = aware(value)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None
