"""Withdrawal: the referring police call a referral off (for example, the person declined help)."""

from services.common.caller import Caller
from services.common.clock import Clock
from services.common.db import Database
from services.common.messaging import add_to_outbox
from services.common.timeutil import iso
from services.contracts.envelope import make_event

from ..domain import lifecycle
from ..domain import referral as rules
from ..domain.visibility import shape
from ..queries import load_for_update, row_dict
from ..tables import outbox
from .steps import SOURCE, check_reference, move


def withdraw(db: Database, clock: Clock, caller: Caller, reference: str, reason: str | None,
             correlation_id: str | None = None) -> dict:
    """The referring police withdraw a referral.

    Answers the new status only: the timeline stays behind the survivor's consent to share it.
    """
    check_reference(reference)
    with db.write() as s:
        row = load_for_update(s, reference)
        rules.require_withdraw_access(caller, row_dict(row), reference)
        lifecycle.check(row.status, "withdrawn")
        now = clock.now()
        move(s, row, "withdrawn", now, caller.agency,
             f"Withdrawn: {reason}" if reason else "Withdrawn by the referring agency", now)
        add_to_outbox(s, outbox, make_event("referral.withdrawn", {
            "reference": reference, "withdrawn_at": now}, source=SOURCE,
            correlation_id=correlation_id, occurred_at=now))
    return shape("withdraw", caller.role,
                 {"reference": reference, "status": "withdrawn", "withdrawn_at": iso(now)})
