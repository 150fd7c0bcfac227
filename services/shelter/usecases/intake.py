"""Incoming referrals and the shelter's decision on each."""

from datetime import datetime, timedelta

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import NotFound
from services.common.timeutil import iso
from services.contracts.references import is_reference

from ..domain import intake as rules
from ..domain.placement import DEFAULT_HOLD
from ..queries import incoming as queries
from .admissions import place
from .common import at, emit


def list_incoming(db: Database, caller: Caller, status: str | None = "received") -> list[dict]:
    """Incoming referrals in a status (every status when None), oldest first."""
    caller.require("shelter")
    rules.check_status_filter(status)
    with db.read() as s:
        rows = queries.listed(s, status)
    return [queries.incoming_view(r) for r in rows]


def decide(db: Database, caller: Caller, reference: str, decision: str, reason: str | None,
           correlation_id: str | None = None, hold: timedelta = DEFAULT_HOLD, *,
           now: datetime | None = None, reason_code: str | None = None) -> dict:
    """Accept or decline an incoming referral; the referral service learns it by event.

    A decline needs a reason code (checked before the referral is read); the event carries the
    code, and ``reason``, the staff's own note, stays in this service. Accepting holds the beds
    the referral needs in a facility of its group in the same transaction, or waitlists it when
    none fits: a decision never leaves a referral accepted and unplaced, and two accepts can
    never take the same last bed.
    """
    caller.require("shelter")
    rules.check_decision(decision, reason_code)
    if not is_reference(reference):
        raise NotFound("no such incoming referral", field="reference")
    now = at(now)
    with db.write() as s:
        row = queries.for_update(s, reference)
        new_status = rules.decide(row.status, decision, reason_code)
        queries.record_decision(s, row, new_status, now, caller.user, reason, reason_code)
        emit(s, now, f"shelter.referral_{new_status}", {
            "reference": reference, "decided_at": now, "agency": caller.agency,
            "reason_code": reason_code}, correlation_id)
        placement = None
        if new_status == "accepted":
            placement = place(s, row, now, caller.agency, correlation_id, hold)
    result = {"reference": reference, "status": new_status, "decided_at": iso(now)}
    if placement is not None:
        result["placement"] = placement
    return result
