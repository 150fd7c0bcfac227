"""The shelter's decision on an incoming referral. No I/O."""

from services.common.errors import Conflict, InvalidInput

DECISIONS = {"accept": "accepted", "decline": "declined"}
OPEN = "received"


def decide(current_status: str, decision: str, reason: str | None) -> str:
    """The incoming referral's new status, or an error saying why the decision is refused."""
    if decision not in DECISIONS:
        raise InvalidInput("must be accept or decline", field="decision")
    if decision == "decline" and not (reason or "").strip():
        raise InvalidInput("a decline needs a reason", field="reason")
    if current_status != OPEN:
        raise Conflict(f"a referral that is {current_status} cannot be {DECISIONS[decision]}; "
                       f"only a {OPEN} referral can be decided", field="decision")
    return DECISIONS[decision]
