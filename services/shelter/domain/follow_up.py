"""Follow-up after discharge (issue 21, docs/decisions/0051-follow-up-after-discharge.md): the
rules, no I/O.

* At discharge, one scheduled contact per offset of ``REFNET_FOLLOW_UP_MONTHS`` (default 1, 3,
  6 and 12 months), due that many calendar months after the discharge day (the 31st of a
  shorter month falls on its last day), assigned to the plan's case manager.
* A resident discharged as ``transferred`` (another provider took her on, and follows her
  up) gets no schedule: her follow-up ends at discharge.
* A contact is recorded once, with an outcome code and the day it was made: not before the
  discharge day, not after today. No free text.
* The follow-up ends when no scheduled contact is left: every one recorded, or a contact found
  her ``re_referred`` (a new referral and its own care take over; the contacts still scheduled
  are cancelled). ``lost_contact`` does not end it: the next contact tries again.
* A contact is ``recorded``, ``cancelled``, or while scheduled ``overdue`` (due day passed)
  or ``due``.
"""

import calendar
from datetime import date

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import FOLLOW_UP_OUTCOMES, FOLLOW_UP_STATES

from .fields import check_date

DEFAULT_MONTHS = (1, 3, 6, 12)
MAX_MONTHS = 120
NO_FOLLOW_UP = ("transferred",)    # discharge outcomes whose follow-up ends at discharge
ENDS_EARLY = ("re_referred",)      # outcomes that end the follow-up at once
LIST_STATES = ("overdue", "due", "all")
# the listing's order: what needs a call first
STATE_ORDER = {state: n for n, state in enumerate(FOLLOW_UP_STATES)}


def months_of(text: str) -> tuple[int, ...]:
    """``REFNET_FOLLOW_UP_MONTHS``: whole months after discharge, comma separated, increasing,
    from 1 to 120; ``ValueError`` with a reason that never quotes the value otherwise."""
    parts = [p.strip() for p in str(text).split(",")]
    if not all(p.isdigit() for p in parts):
        raise ValueError("whole numbers of months separated by commas, such as 1,3,6,12")
    months = tuple(int(p) for p in parts)
    if not all(1 <= m <= MAX_MONTHS for m in months):
        raise ValueError(f"each offset from 1 to {MAX_MONTHS} months")
    if list(months) != sorted(set(months)):
        raise ValueError("offsets increasing, each once")
    return months


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on (clamped to the last day of a shorter month)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(discharged_on: date, outcome: str, months=DEFAULT_MONTHS) -> list[tuple[int, date]]:
    """The contacts of a discharge as (months, due day); none for an outcome in
    ``NO_FOLLOW_UP``."""
    if outcome in NO_FOLLOW_UP:
        return []
    return [(m, add_months(discharged_on, m)) for m in months]


def state(status: str, due_on: date, today: date) -> str:
    """A contact's state: recorded or cancelled as stored; scheduled: overdue after its due
    day, else due."""
    if status != "scheduled":
        return status
    return "overdue" if today > due_on else "due"


def check_list_state(value) -> str:
    """The listing's filter: overdue, due or all (default: all)."""
    if value is None:
        return "all"
    if value not in LIST_STATES:
        raise InvalidInput(f"must be one of {', '.join(LIST_STATES)}", field="state")
    return value


def check_contact(outcome, contacted_on) -> date:
    """A contact's outcome code and day as sent (before any row is read)."""
    if outcome not in FOLLOW_UP_OUTCOMES:
        raise InvalidInput(f"must be one of {', '.join(FOLLOW_UP_OUTCOMES)}", field="outcome")
    if contacted_on is None:
        raise InvalidInput("the day of the contact is required", field="contacted_on")
    return check_date(contacted_on, "contacted_on")


def check_record(status: str, contacted_on: date, discharged_on: date, today: date) -> None:
    """A contact can be recorded: still scheduled, made between the discharge and today."""
    if status == "recorded":
        raise Conflict("this follow-up contact is already recorded", field="outcome")
    if status == "cancelled":
        raise Conflict("this follow-up ended before this contact (re-referred)", field="outcome")
    if contacted_on < discharged_on:
        raise InvalidInput(f"must not be before the discharge ({discharged_on.isoformat()})",
                           field="contacted_on")
    if contacted_on > today:
        raise InvalidInput("must not be in the future", field="contacted_on")


def ends_follow_up(outcome: str, still_scheduled: int) -> bool:
    """Whether recording ``outcome`` ends the follow-up, ``still_scheduled`` contacts being
    left scheduled after it."""
    return outcome in ENDS_EARLY or still_scheduled == 0


def sort_key(row: dict):
    """Listing order: overdue first, then due, recorded, cancelled; soonest due first."""
    return (STATE_ORDER[row["state"]], row["due_on"], row["follow_up_id"])
