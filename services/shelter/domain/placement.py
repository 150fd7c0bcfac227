"""Placement rules: holds, admissions, discharges and the waitlist. No I/O.

A referral has at most one placement (one row per reference in the ``placements`` table), in
one of these states:

    waitlisted -> held -> admitted -> discharged
        ^          |  \\-> expired   (the person did not arrive before the deadline)
        |          \\---> released  (the referral was withdrawn)
        +-- (a freed bed is offered to the first in line: waitlisted -> held)

The service applies these rules inside one short write transaction and guards every counter
change with a conditional UPDATE, so the rules here decide *what* should happen and the
database decides *whether it still can*.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import DISCHARGE_OUTCOMES, URGENCY_RANK

from .beds import free_beds

DEFAULT_HOLD = timedelta(hours=48)
PLACEMENT_STATES = ("waitlisted", "held", "admitted", "discharged", "expired", "released")
ACTIVE = ("held", "admitted")           # states that take beds
STAYED = ("admitted", "discharged")     # a withdrawal leaves these placements as they are
RELEASABLE = ("held", "waitlisted")     # a withdrawal releases these
ADMITTABLE_DECISION = "accepted"        # the incoming referral's decision status
MAX_PRIORITY = 100


@dataclass(frozen=True)
class WaitlistEntry:
    """A waitlisted referral as the waitlist order sees it."""
    reference: str
    beds: int
    urgency: str
    waitlisted_at: datetime
    priority: int = 0


def hold_deadline(now: datetime, hold: timedelta = DEFAULT_HOLD) -> datetime:
    """When a hold made at ``now`` expires."""
    if hold <= timedelta(0):
        raise ValueError("a hold must last a positive time")
    return now + hold


def waitlist_key(entry: WaitlistEntry) -> tuple:
    """Order of the waitlist: staff priority first (reordering with a recorded reason), then
    urgency (emergency, urgent, routine), then the longest wait, then the reference (stable)."""
    return (-entry.priority, -URGENCY_RANK.get(entry.urgency, 0), entry.waitlisted_at, entry.reference)


def ordered(entries: list[WaitlistEntry]) -> list[WaitlistEntry]:
    """Waitlist entries in the order beds are offered."""
    return sorted(entries, key=waitlist_key)


def next_in_line(entries: list[WaitlistEntry], free: int) -> WaitlistEntry | None:
    """The waitlisted referral to offer ``free`` beds to: the first in order whose beds fit.

    A family needing more beds than are free does not block a single person behind it (a bed
    left empty while someone waits helps no one); it keeps its place and gets the next beds
    that are enough for it.
    """
    if free <= 0:
        return None
    for entry in ordered(entries):
        if entry.beds <= free:
            return entry
    return None


def check_admission(decision_status: str, placement_state: str | None, held_facility: str | None,
                    facility: str) -> str:
    """How an admission proceeds: ``"from_hold"`` (turn this facility's hold into occupancy) or
    ``"direct"`` (take free beds now). Raises ``Conflict`` with the reason otherwise."""
    if decision_status != ADMITTABLE_DECISION:
        raise Conflict(f"a referral that is {decision_status} cannot be admitted; "
                       "only an accepted referral can be admitted", field="reference")
    if placement_state == "admitted":
        raise Conflict("the referral is already admitted", field="reference")
    if placement_state == "discharged":
        raise Conflict("the referral was discharged; a new referral is needed", field="reference")
    if placement_state == "held":
        if held_facility != facility:
            raise Conflict(f"the referral's beds are held at facility {held_facility}",
                           field="facility")
        return "from_hold"
    return "direct"


def check_discharge(placement_state: str | None, outcome: str) -> None:
    """A discharge needs a known outcome and an admitted resident."""
    check_outcome(outcome)
    if placement_state != "admitted":
        raise Conflict(f"only an admitted resident can be discharged (this one is "
                       f"{placement_state or 'not placed'})", field="admission")


def check_outcome(outcome) -> None:
    """A discharge outcome of the vocabulary."""
    if outcome not in DISCHARGE_OUTCOMES:
        raise InvalidInput(f"must be one of {', '.join(DISCHARGE_OUTCOMES)}", field="outcome")


def check_priority(priority, reason) -> None:
    """A waitlist priority from -100 to 100, with a reason."""
    if not isinstance(priority, int) or isinstance(priority, bool) or abs(priority) > MAX_PRIORITY:
        raise InvalidInput(f"a whole number from -{MAX_PRIORITY} to {MAX_PRIORITY}", field="priority")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("reordering the waitlist needs a reason", field="reason")


def check_out_of_service(beds: int, capacity: int, occupied: int, held: int, reason,
                         expected_return) -> None:
    """Beds out of service: not negative, with a reason (unless none), and never beds in use."""
    if not isinstance(beds, int) or isinstance(beds, bool) or beds < 0:
        raise InvalidInput("must be a whole number, not negative", field="beds")
    if beds > 0 and not (isinstance(reason, str) and reason.strip()):
        raise InvalidInput("taking beds out of service needs a reason", field="reason")
    if beds > 0 and expected_return is None:
        raise InvalidInput("give the expected return date", field="expected_return")
    if beds > free_beds(capacity, occupied, held):
        raise Conflict(f"only {max(0, free_beds(capacity, occupied, held))} of the {capacity} beds are free "
                       f"to take out of service ({occupied} occupied, {held} held)", field="beds")
