"""A report period: two ISO days, inclusive, as a half-open UTC interval. Pure."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from .errors import InvalidInput

MAX_DAYS = 3660  # ten years
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass(frozen=True)
class Period:
    """Two days, inclusive; ``start``/``end`` are the half-open UTC interval they cover."""
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        """Inclusive: midnight UTC of the first day."""
        return datetime.combine(self.first_day, time(0), tzinfo=timezone.utc)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=timezone.utc)

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.last_day - self.first_day).days + 1

    def as_dict(self) -> dict:
        """The period as an answer shows it (``from``, ``to``)."""
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}


def parse_period(first, last) -> Period:
    """``Period`` from two ``YYYY-MM-DD`` strings; ``InvalidInput`` names the bad field."""
    days = {}
    for field, value in (("from", first), ("to", last)):
        try:
            days[field] = value if isinstance(value, date) else date.fromisoformat(str(value))
        except (TypeError, ValueError):
            raise InvalidInput(f"{field} is not a day (YYYY-MM-DD)", field=field) from None
    for field, day in days.items():
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise InvalidInput(f"{field}: a year from {MIN_YEAR} to {MAX_YEAR}", field=field)
    if days["to"] < days["from"]:
        raise InvalidInput("to is before from", field="to")
    if (days["to"] - days["from"]).days >= MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days", field="to")
    return Period(days["from"], days["to"])


def report_period(caller, roles, first_day, last_day) -> Period:
    """The period a service's report figures are asked for: ``Forbidden`` unless the caller has
    one of ``roles`` (checked before the days are read), ``InvalidInput`` for a bad period."""
    caller.require(*roles)
    return parse_period(first_day, last_day)
