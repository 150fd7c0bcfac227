"""Labour disputes of a legal case against the employer (legal team only)."""

import json

from sqlalchemy import insert, update

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import InvalidInput
from services.common.inputs import parse_date
from services.contracts.vocabulary import DISPUTE_CLAIMS, DISPUTE_STATUSES

from ..domain import access
from ..domain.disputes import check_still_open
from ..domain.inputs import check_amount, check_code, check_text
from ..queries.cases import case_row, part_row
from ..queries.documents import dispute_view
from ..queries.filters import row_by_id
from ..tables import disputes
from .common import new_id, now_of

def open_dispute(db: Database, caller: Caller, case_id: str, employer: str, claims: list,
                 amount_claimed: int | None = None, currency: str | None = None,
                 opened_on: str | None = None, *, clock=None) -> dict:
    """Open a labour dispute of a legal case for one or more claims."""
    access.require_legal(caller)
    check_text(employer, 200, "employer")
    if not isinstance(claims, list) or not claims or any(c not in DISPUTE_CLAIMS for c in claims):
        raise InvalidInput(f"claims: one or more of {', '.join(DISPUTE_CLAIMS)}", field="claims")
    check_amount(amount_claimed, "amount_claimed")
    now = now_of(clock)
    day = parse_date(opened_on, "opened_on") if opened_on else now.date()
    with db.write() as s:
        case_row(s, caller, case_id, now)
        dispute_id = new_id()
        s.execute(insert(disputes).values(
            id=dispute_id, case_id=case_id, employer=employer, claims=json.dumps(sorted(set(claims))),
            amount_claimed=amount_claimed, currency=currency, status="open", opened_on=day,
            updated_at=now))
        row = row_by_id(s, disputes, dispute_id)
    return dispute_view(row)


def update_dispute(db: Database, caller: Caller, dispute_id: str, status: str,
                   outcome: str | None = None, amount_recovered: int | None = None, *,
                   clock=None) -> dict:
    """Record where a dispute stands; a settled, failed or court-referred one is finished."""
    access.require_legal(caller)
    check_code(status, DISPUTE_STATUSES, "status")
    if outcome is not None:
        check_text(outcome, 500, "outcome")
    check_amount(amount_recovered, "amount_recovered")
    now = now_of(clock)
    with db.write() as s:
        row = part_row(s, caller, disputes, dispute_id, now, "no labour dispute", "dispute_id")
        check_still_open(row.status)
        values = {"status": status, "updated_at": now}
        if outcome is not None:
            values["outcome"] = outcome
        if amount_recovered is not None:
            values["amount_recovered"] = amount_recovered
        s.execute(update(disputes).where(disputes.c.id == dispute_id).values(**values))
        row = row_by_id(s, disputes, dispute_id)
    return dispute_view(row)
