"""The referral lifecycle: which status may follow which, and why not. A referral goes from
submitted through the shelter's receipt and decision to a bed (held, waitlisted, admitted) and
ends discharged, declined or withdrawn; every end is then closed. A referral that stops moving
before admission (``STALE``) is closed by the retention sweep with a coded reason.

Plain rules, no I/O. ``check`` raises ``IllegalTransition`` naming both statuses.
"""

from services.common.errors import IllegalTransition
from services.contracts.vocabulary import STALE_REFERRAL_STATUSES

TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"received", "withdrawn", "closed"}),
    "received": frozenset({"screening", "accepted", "declined", "waitlisted", "withdrawn", "closed"}),
    # back to received only when passed on to another provider: the screening was its holder's
    "screening": frozenset({"received", "accepted", "declined", "waitlisted", "withdrawn", "closed"}),
    "waitlisted": frozenset({"bed_held", "accepted", "declined", "withdrawn", "closed"}),
    "accepted": frozenset({"bed_held", "waitlisted", "admitted", "withdrawn", "closed"}),
    "bed_held": frozenset({"admitted", "waitlisted", "accepted", "withdrawn", "closed"}),
    "admitted": frozenset({"discharged"}),
    "discharged": frozenset({"closed"}),
    "declined": frozenset({"closed"}),
    "withdrawn": frozenset({"closed"}),
    "closed": frozenset(),
}

TERMINAL = frozenset({"closed"})
# stuck before admission: closed (with a reason code) when unchanged too long
STALE = STALE_REFERRAL_STATUSES
# the shelter has not decided yet
UNDECIDED = ("submitted", "received", "screening")
# the shelter accepted the referral: accepted itself and every placement after it
PLACED = ("accepted", "waitlisted", "bed_held", "admitted", "discharged")


def can_move(current: str, new: str) -> bool:
    """Whether the lifecycle lets a referral that is ``current`` become ``new``."""
    return new in TRANSITIONS.get(current, frozenset())


def check(current: str, new: str) -> None:
    """Refuse a transition the lifecycle does not allow, saying which and why."""
    if new not in TRANSITIONS:
        raise IllegalTransition(f"unknown status {new}", field="status")
    if not can_move(current, new):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "nothing (final)"
        raise IllegalTransition(
            f"a referral that is {current} cannot become {new}; from {current} it may become: {allowed}",
            field="status")
