"""Hearings: local court time to UTC, outcomes and postponements, and reminder timing. No I/O.

A hearing is entered as the court gives it: a local wall time and the court's time zone (the
courts are in Asia/Baghdad). It is stored in UTC together with the zone name, so it is shown
in the court's time and compared in UTC. A hearing the survivor must attend is reminded once,
``lead`` before it (72 hours by default).
"""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.common.errors import IllegalTransition, InvalidInput
from services.contracts import interpreters
from services.contracts.vocabulary import HEARING_OUTCOMES

COURT_TIME_ZONE = "Asia/Baghdad"
DEFAULT_REMINDER_LEAD = timedelta(hours=72)


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    """The IANA zone, or ``InvalidInput`` naming the field (an unknown zone is never guessed)."""
    if not isinstance(name, str) or not name or len(name) > 64 or name.startswith(("/", ".")) \
            or ".." in name:
        raise InvalidInput("not an IANA time zone name (e.g. Asia/Baghdad)", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(f"unknown time zone {name}", field=field) from None


def to_utc(local: datetime, zone_name: str, *, field: str = "starts_at",
           zone_field: str = "time_zone") -> datetime:
    """A local wall time in ``zone_name`` as an aware UTC datetime."""
    tz = zone(zone_name, zone_field)
    if not isinstance(local, datetime):
        raise InvalidInput("a local date and time, e.g. 2026-12-10T09:30", field=field)
    if local.tzinfo is not None:
        raise InvalidInput("give the court's local time without an offset; the zone goes in "
                           f"{zone_field}", field=field)
    return local.replace(tzinfo=tz).astimezone(timezone.utc)


def local_view(starts_at_utc: datetime, zone_name: str) -> dict:
    """How a hearing's time is shown: UTC, the court's local time and its zone."""
    aware = starts_at_utc if starts_at_utc.tzinfo else starts_at_utc.replace(tzinfo=timezone.utc)
    local = aware.astimezone(ZoneInfo(zone_name))
    return {"starts_at": aware.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
            "local_date": local.date().isoformat(), "local_time": local.strftime("%H:%M"),
            "time_zone": zone_name, "starts_at_local": local.isoformat()}


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """Whole days in the courts' time zone, ``first`` to ``last`` inclusive, as a UTC half-open
    range (either end open when not given)."""
    tz = zone(COURT_TIME_ZONE)
    start = end = None
    if first:
        start = datetime.combine(first, time(), tz).astimezone(timezone.utc)
    if last:
        end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(timezone.utc)
    if start and end and end <= start:
        raise InvalidInput("to is before from", field="to")
    return start, end


def check_in_future(starts_at_utc: datetime, now: datetime, field: str = "starts_at") -> None:
    """A hearing is set in the future."""
    if starts_at_utc <= now:
        raise InvalidInput("a hearing is scheduled in the future", field=field)


def check_outcome(status: str, outcome: str, new_starts_at: datetime | None) -> None:
    """Only a scheduled hearing gets an outcome; a postponement needs the new time."""
    if outcome not in HEARING_OUTCOMES:
        raise InvalidInput(f"outcome is one of {', '.join(HEARING_OUTCOMES)}", field="outcome")
    if status != "scheduled":
        raise IllegalTransition(f"a hearing that is {status} already has its outcome",
                                field="outcome")
    if outcome == "postponed" and new_starts_at is None:
        raise InvalidInput("a postponed hearing needs its new date and time", field="new_starts_at")
    if outcome != "postponed" and new_starts_at is not None:
        raise InvalidInput("a new date and time is given only for a postponement",
                           field="new_starts_at")


def cancelled_by_closing(hearings: list[dict], now: datetime) -> list[str]:
    """The hearings a court case's closing cancels: those still ``scheduled`` and still ahead
    (``starts_at`` after ``now``). A held, cancelled or postponed hearing has its outcome (a
    postponed one's successor is the scheduled hearing that is cancelled instead); a scheduled
    one already past keeps waiting for the outcome the court gives it."""
    return [h["id"] for h in hearings
            if h["status"] == "scheduled" and _aware(h["starts_at"]) > _aware(now)]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def reminder_due_at(starts_at: datetime, lead: timedelta = DEFAULT_REMINDER_LEAD) -> datetime:
    """When a hearing's reminder is due: ``lead`` before it starts."""
    return starts_at - lead


def reminder_is_due(*, status: str, attendance_required: bool, starts_at: datetime,
                    reminder_sent_at: datetime | None, now: datetime,
                    lead: timedelta = DEFAULT_REMINDER_LEAD) -> bool:
    """True once ``now`` is within ``lead`` of a scheduled hearing the survivor must attend,
    while the hearing is still ahead and no reminder went out."""
    return (status == "scheduled" and attendance_required and reminder_sent_at is None
            and reminder_due_at(starts_at, lead) <= now < starts_at)


def reminder_window(now: datetime, lead: timedelta = DEFAULT_REMINDER_LEAD) -> tuple[datetime, datetime]:
    """(after, until): a hearing starting in (now, now + lead] is due a reminder; the same rule
    as ``reminder_is_due``, in the form a query needs."""
    return now, now + lead


# --- the interpreter at a hearing (services/contracts/interpreters.py) ------------------------

# hearings whose interpreter booking can still change: one to come, or one held (booked -> done)
INTERPRETED = ("scheduled", "held")


def check_interpreter(hearing_status: str, current: str | None, language, status) -> None:
    """An interpreter booking for a hearing: a language code and a status (422), on a hearing
    scheduled or held (a postponed or cancelled one's booking is over: 409 naming
    ``hearing_id``), moving as the booking lifecycle allows (409 naming ``status``)."""
    problem = interpreters.booking_problem(language, status)
    if problem:
        raise InvalidInput(problem[1], field=problem[0])
    if hearing_status not in INTERPRETED:
        raise IllegalTransition(f"a {hearing_status} hearing takes no interpreter booking; "
                                "book one for the hearing that replaced it", field="hearing_id")
    problem = interpreters.transition_problem(current, status)
    if problem:
        raise IllegalTransition(problem, field="status")


def interpreter_after_postponement(language: str | None, status: str | None) -> tuple:
    """The interpreter of the hearing a postponement sets: the same language, to be booked
    again for the new time (``requested``), unless none was needed; nothing when none was
    recorded."""
    if language is None:
        return None, None
    return language, ("not_needed" if status == "not_needed" else "requested")
