"""The shelter's decision on an incoming referral. No I/O.

The decisions and the rule that a decline says why with a code are the decision contract's
(``services.contracts.decisions``), which the gateway reads as well."""

from datetime import date

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import BEST_INTERESTS_OUTCOMES
from services.contracts.decisions import DECISIONS, decision_reason_problem, screening_reason_problem

OPEN = "received"
SCREENING = "screening"
# not decided yet: received, or being screened by its holder; either may be decided
UNDECIDED = (OPEN, SCREENING)
REFER_ON = "refer_on"  # the holder passes the referral to another provider (domain/routing.py)
MAX_PAGE = 500
INCOMING_STATUSES = ("received", "screening", "accepted", "declined", "withdrawn", "closed")
# a police withdrawal (or a retention closure) ends these
WITHDRAWABLE = ("received", "screening", "accepted")


def check_decision(decision: str, reason_code: str | None) -> None:
    """The decision asked for, before the referral is read: accept, decline with a reason
    code, or refer on (its target and code are checked by ``routing.check_refer_on``)."""
    if decision == REFER_ON:
        return
    if decision not in DECISIONS:
        raise InvalidInput("must be accept, decline or refer_on", field="decision")
    problem = decision_reason_problem(decision, reason_code)
    if problem:
        # the sentence the web form translates for the person filling it in
        raise InvalidInput(problem, field="reason_code")


def decide(current_status: str, decision: str, reason_code: str | None) -> str:
    """The incoming referral's new status, or an error saying why the decision is refused."""
    check_decision(decision, reason_code)
    check_open(current_status, decision)
    return DECISIONS[decision]


def check_open(current_status: str, decision: str) -> None:
    """Only an undecided referral (received, or being screened) can be decided or referred on."""
    if current_status not in UNDECIDED:
        verb = "referred on" if decision == REFER_ON else DECISIONS.get(decision, decision)
        raise Conflict(f"a referral that is {current_status} cannot be {verb}; "
                       f"only a received or screening referral can be decided", field="decision")


def check_screening_reason(reason_code: str | None) -> None:
    """Screening starts with a coded reason (what must be assessed first), checked before the
    referral is read."""
    problem = screening_reason_problem(reason_code)
    if problem:
        raise InvalidInput(problem, field="reason_code")


def check_may_screen(current_status: str) -> None:
    """Only a received referral starts screening: once, and never after a decision."""
    if current_status != OPEN:
        raise Conflict(f"a referral that is {current_status} cannot start screening; only a "
                       f"{OPEN} referral can", field="reference")


def check_page_size(limit) -> None:
    """A page of 1 to ``MAX_PAGE`` incoming referrals."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}", field="limit")


def check_status_filter(status: str | None) -> None:
    """A status to list incoming referrals by (None lists every status)."""
    if status is not None and status not in INCOMING_STATUSES:
        raise InvalidInput(f"must be one of {', '.join(INCOMING_STATUSES)}", field="status")


# --- a minor survivor's best interests (issue 21) ---------------------------------------------------

PLACEMENT_RECOMMENDED = "placement_recommended"


def check_best_interests(outcome, assessed_on: date | None, today: date) -> None:
    """A determination's outcome code and its day (not in the future), before anything is read."""
    if outcome not in BEST_INTERESTS_OUTCOMES:
        raise InvalidInput(f"must be one of {', '.join(BEST_INTERESTS_OUTCOMES)}", field="outcome")
    if assessed_on is not None and assessed_on > today:
        raise InvalidInput("the determination cannot be dated in the future", field="assessed_on")


def check_determinable(current_status: str, survivor_minor: bool | None) -> None:
    """A determination is recorded for a minor's referral not decided yet."""
    if not survivor_minor:
        raise Conflict("the survivor of this referral is not a minor: no best-interests "
                       "determination is recorded", field="reference")
    if current_status not in UNDECIDED:
        raise Conflict(f"a referral that is {current_status} was decided already", field="reference")


def check_placement_allowed(decision: str, survivor_minor: bool | None,
                            outcome: str | None) -> None:
    """A minor's referral is accepted (a placement) only once a best-interests determination
    recommends it; a decline or a refer-on never waits. ``survivor_minor`` None (a referral
    learnt before the shelter was told) does not wait either."""
    if decision != "accept" or not survivor_minor:
        return
    if outcome is None:
        raise Conflict("a minor's placement waits for the best-interests determination",
                       field="best_interests")
    if outcome != PLACEMENT_RECOMMENDED:
        raise Conflict(f"the best-interests determination is {outcome}, not a placement",
                       field="best_interests")
