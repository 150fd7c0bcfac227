"""Withdrawal: the referring police call a referral off (for example, the person declined help)."""

from sqlalchemy import update

from services.common.caller import Caller
from services.common.clock import Clock
from services.common.db import Database
from services.common.errors import InvalidInput
from services.common.messaging import add_to_outbox
from services.common.timeutil import iso
from services.contracts.decisions import reason_label, withdrawal_reason_problem
from services.contracts.envelope import make_event

from ..domain import lifecycle
from ..domain import referral as rules
from ..domain.visibility import shape
from ..queries import load_for_update, row_dict
from ..tables import outbox, referrals
from .steps import SOURCE, check_reference, move


def withdraw(db: Database, clock: Clock, caller: Caller, reference: str, reason: str | None,
             correlation_id: str | None = None, *, reason_code: str | None = None) -> dict:
    """The referring police withdraw a referral, saying why with a code of
    ``WITHDRAWAL_REASONS``. The code goes on the timeline and in the event; ``reason``, the
    police's own note, stays on the referral's record here (docs/decisions/0036).

    Answers the new status only: the timeline stays behind the survivor's consent to share it.
    """
    problem = withdrawal_reason_problem(reason_code)
    if problem:
        raise InvalidInput(problem, field="reason_code")
    check_reference(reference)
    with db.write() as s:
        row = load_for_update(s, reference)
        rules.require_withdraw_access(caller, row_dict(row), reference)
        lifecycle.check(row.status, "withdrawn")
        now = clock.now()
        move(s, row, "withdrawn", now, caller.agency, f"Withdrawn: {reason_label(reason_code)}",
             now, reason_code)
        s.execute(update(referrals).where(referrals.c.id == row.id)
                  .values(withdrawal_note=(reason or "").strip()[:500] or None))
        add_to_outbox(s, outbox, make_event("referral.withdrawn", {
            "reference": reference, "withdrawn_at": now, "reason_code": reason_code},
            source=SOURCE,
            correlation_id=correlation_id, occurred_at=now))
    return shape("withdraw", caller.role,
                 {"reference": reference, "status": "withdrawn", "withdrawn_at": iso(now)})
