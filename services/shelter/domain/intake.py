"""The shelter's decision on an incoming referral. No I/O.

The decisions and the rule that a decline says why with a code are the decision contract's
(``services.contracts.decisions``), which the gateway reads as well."""

from services.common.errors import Conflict, InvalidInput
from services.contracts.decisions import DECISIONS, decision_reason_problem

OPEN = "received"
REFER_ON = "refer_on"  # the holder passes the referral to another provider (domain/routing.py)
MAX_PAGE = 500
INCOMING_STATUSES = ("received", "accepted", "declined", "withdrawn", "closed")
WITHDRAWABLE = ("received", "accepted")  # a police withdrawal (or a retention closure) ends these


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
    if current_status != OPEN:
        raise Conflict(f"a referral that is {current_status} cannot be {DECISIONS[decision]}; "
                       f"only a {OPEN} referral can be decided", field="decision")
    return DECISIONS[decision]


def check_open(current_status: str, decision: str) -> None:
    """Only a received referral can be decided (or referred on)."""
    if current_status != OPEN:
        verb = "referred on" if decision == REFER_ON else DECISIONS.get(decision, decision)
        raise Conflict(f"a referral that is {current_status} cannot be {verb}; "
                       f"only a {OPEN} referral can be decided", field="decision")


def check_page_size(limit) -> None:
    """A page of 1 to ``MAX_PAGE`` incoming referrals."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}", field="limit")


def check_status_filter(status: str | None) -> None:
    """A status to list incoming referrals by (None lists every status)."""
    if status is not None and status not in INCOMING_STATUSES:
        raise InvalidInput(f"must be one of {', '.join(INCOMING_STATUSES)}", field="status")
