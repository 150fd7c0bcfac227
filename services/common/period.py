"""A report period: two ISO days, inclusive, as a half-open UTC interval; and the calendar
periods (a whole month, quarter or year) the public audience is limited to. Pure."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from .errors import InvalidInput

MAX_DAYS = 3660  # ten years
MIN_YEAR, MAX_YEAR = 1900, 2999
CALENDAR_UNITS = ("month", "quarter", "year")


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


def spanning(periods) -> Period:
    """The period from the first day of any of ``periods`` to the last day of any: what one
    read for several periods covers (a public report's 17)."""
    return Period(min(p.first_day for p in periods), max(p.last_day for p in periods))


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


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))


def calendar_unit(first_day: date, last_day: date) -> str | None:
    """``month``, ``quarter`` or ``year`` when the two days are exactly one whole calendar unit
    (e.g. 2025-04-01 to 2025-06-30: a quarter), else None."""
    if first_day.day != 1 or first_day.year != last_day.year:
        return None
    start_month = first_day.month
    for unit, months in (("month", 1), ("quarter", 3), ("year", 12)):
        if (start_month - 1) % months == 0 and \
                last_day == _month_end(first_day.year, start_month + months - 1):
            return unit
    return None


def check_calendar_period(first_day: date, last_day: date) -> None:
    """``InvalidInput`` unless the period is one whole calendar month, quarter or year: figures
    of overlapping day ranges could be subtracted from each other (1-30 and 1-31 January give
    31 January's exact counts), whole units of one calendar cannot be cut that finely."""
    if first_day.day != 1:
        raise InvalidInput("from must be the first day of a month, quarter or year", field="from")
    if calendar_unit(first_day, last_day) is None:
        raise InvalidInput("to must be the last day of the month, quarter or year that from "
                           "begins (whole calendar months, quarters or years only)", field="to")


def parse_calendar(text) -> Period:
    """The whole calendar unit ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM`` names, as a ``Period``;
    ``InvalidInput`` (field ``period``) otherwise."""
    value = str(text or "").strip().upper()
    try:
        if len(value) == 4:
            year, first, months = int(value), 1, 12
        elif len(value) == 7 and value[4:6] == "-Q" and value[6] in "1234":
            year, first, months = int(value[:4]), 3 * int(value[6]) - 2, 3
        elif len(value) == 7 and value[4] == "-":
            year, first, months = int(value[:4]), int(value[5:]), 1
            if not 1 <= first <= 12:
                raise ValueError
        else:
            raise ValueError
        if not MIN_YEAR <= year <= MAX_YEAR or not value[:4].isdigit():
            raise ValueError
    except ValueError:
        raise InvalidInput("a year (2025), a quarter (2025-Q2) or a month (2025-04)",
                           field="period") from None
    return Period(date(year, first, 1), _month_end(year, first + months - 1))


def overlapping_calendar_periods(period: Period) -> list[Period]:
    """Every calendar period a person can ask for that overlaps ``period`` or another of them:
    the year of a calendar period, its four quarters and its twelve months (17 periods)."""
    year = period.first_day.year
    return ([Period(date(year, 1, 1), date(year, 12, 31))]
            + [Period(date(year, m, 1), _month_end(year, m + 2)) for m in (1, 4, 7, 10)]
            + [Period(date(year, m, 1), _month_end(year, m)) for m in range(1, 13)])


def report_period(caller, roles, first_day, last_day) -> Period:
    """The period a service's report figures are asked for: ``Forbidden`` unless the caller has
    one of ``roles`` (checked before the days are read), ``InvalidInput`` for a bad period.
    Only shelter staff (the internal audience) may ask for any day range; every other role gets
    whole calendar months, quarters or years (``check_calendar_period``)."""
    caller.require(*roles)
    period = parse_period(first_day, last_day)
    if caller.role != "shelter":
        check_calendar_period(period.first_day, period.last_day)
    return period
