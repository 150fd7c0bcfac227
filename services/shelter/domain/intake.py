"""The shelter's decision on an incoming referral. No I/O.

The decisions and the rule that a decline says why with a code are the decision contract's
(``services.contracts.decisions``), which the gateway reads as well."""

from services.common.errors import Conflict, InvalidInput
from services.contracts.decisions import DECISIONS, decision_reason_problem

OPEN = "received"
INCOMING_STATUSES = ("received", "accepted", "declined", "withdrawn", "closed")
WITHDRAWABLE = ("received", "accepted")  # a police withdrawal (or a retention closure) ends these


def check_decision(decision: str, reason_code: str | None) -> None:
    """The decision asked for, before the referral is read: accept, or decline with a reason
    code."""
    if decision not in DECISIONS:
        raise InvalidInput("must be accept or decline", field="decision")
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


def check_status_filter(status: str | None) -> None:
    """A status to list incoming referrals by (None lists every status)."""
    if status is not None and status not in INCOMING_STATUSES:
        raise InvalidInput(f"must be one of {', '.join(INCOMING_STATUSES)}", field="status")
