"""The survivor's consent, as shelter staff last recorded it, applied to an eligible referral."""

from datetime import datetime

from sqlalchemy import insert, update
from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import InvalidInput, NotFound
from services.common.timeutil import aware
from services.contracts.references import is_reference

from ..domain import consent as rules
from ..domain.inputs import parse_instant
from ..queries.eligibility import eligible_row
from ..tables import eligible
from .common import now_of


def record_change(s: WriteTransaction, reference: str, audience: str, granted: bool, until, changed_at,
                  now: datetime) -> None:
    """The survivor's latest choice for an audience, applied once, newest wins *per audience*
    (the event and the gateway's direct call may arrive in either order, retried or by
    concurrent consumers: a change for one audience never hides a change for the other)."""
    until, changed_at = aware(until), aware(changed_at)
    row = eligible_row(s, reference, for_update=True)
    if row is not None and not rules.is_newer(
            changed_at, aware(rules.last_change_at(row._mapping, audience))):
        return
    values = rules.consent_values(audience, granted, until, changed_at)
    if row is None:
        # not accepted yet: remember the choice so a later acceptance cannot undo it
        s.execute(insert(eligible).values(reference=reference, status="pending",
                                          eligible_since=changed_at, updated_at=now, **values))
        return
    if audience == "legal_team":  # the other audience's change leaves the status alone
        values["status"] = rules.eligible_status(row.status, audience, granted)
    s.execute(update(eligible).where(eligible.c.reference == reference)
              .values(updated_at=now, **values))


def apply_consent(db: Database, caller: Caller, reference: str, audience: str, granted: bool,
                  until=None, changed_at=None, *, clock=None) -> dict:
    """The gateway relays a consent change it just recorded in the referral service, so the
    legal team's very next read honours it (the event covers a missed call)."""
    caller.require("shelter")
    if not is_reference(reference):
        raise NotFound("no such referral", field="reference")
    if audience not in rules.AUDIENCES or not isinstance(granted, bool):
        raise InvalidInput("unknown audience", field="audience")
    now = now_of(clock)
    when = parse_instant(changed_at) if changed_at else now
    with db.write() as s:
        record_change(s, reference, audience, granted, parse_instant(until) if until else None,
                      when, now)
    return {"reference": reference, "audience": audience, "granted": granted}
