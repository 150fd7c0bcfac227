"""Follow-up after discharge (issue 21; the rules are in ``domain/follow_up.py``): the schedule
made in the discharge's transaction, contacts recorded by shelter staff of the provider, the
overdue list, and ``shelter.follow_up_ended`` queued in the transaction that ends it (the
referral service then closes the referral). Codes, staff ids and dates only: no free text."""

import logging
from datetime import datetime

from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict

from ..domain import follow_up as rules
from ..domain.visibility import provider_scope
from ..queries import follow_ups as queries
from .common import emit

log = logging.getLogger(__name__)


def schedule_at_discharge(s: WriteTransaction, placement, facility_id: str, outcome: str,
                          case_manager: str, now: datetime, months=rules.DEFAULT_MONTHS,
                          correlation_id: str | None = None) -> list[dict]:
    """The discharged resident's contacts, due from the discharge day; with none to make
    (``rules.NO_FOLLOW_UP``) the follow-up ends here and now."""
    discharged_on = now.date()
    planned = rules.schedule(discharged_on, outcome, months)
    if not planned:
        _ended(s, placement.reference, placement.provider, None, now, correlation_id)
        return []
    for offset, due_on in planned:
        queries.add(s, admission_id=placement.id, reference=placement.reference,
                    provider=placement.provider, facility_id=facility_id,
                    case_manager=case_manager, months=offset, discharged_on=discharged_on,
                    due_on=due_on)
    return [{"months": offset, "due_on": due_on.isoformat()} for offset, due_on in planned]


def record_follow_up(db: Database, caller: Caller, follow_up_id: int, outcome, contacted_on,
                     now: datetime, correlation_id: str | None = None) -> dict:
    """Record a scheduled contact once, with its outcome code and day; the follow-up ends when
    none is left scheduled, or at once on ``re_referred``."""
    caller.require("shelter")
    contacted = rules.check_contact(outcome, contacted_on)
    today = now.date()
    with db.write() as s:
        row = queries.one(s, caller, follow_up_id)
        queries.lock_admission(s, row.admission_id)
        row = queries.one(s, caller, follow_up_id)  # as it stands under the lock
        rules.check_record(row.status, contacted, row.discharged_on, today)
        if not queries.record(s, row.id, outcome, contacted, now, caller.user):
            raise Conflict("this follow-up contact changed meanwhile; reload it", field="outcome")
        left = queries.still_scheduled(s, row.admission_id)
        if rules.ends_follow_up(outcome, left):
            queries.cancel_rest(s, row.admission_id, now)
            queries.mark_ended(s, row.id, now)
            _ended(s, row.reference, row.provider, outcome, now, correlation_id)
        row = queries.one(s, caller, follow_up_id)
    return queries.view(row, rules.state(row.status, row.due_on, today))


def list_follow_ups(db: Database, caller: Caller, now: datetime, state=None,
                    mine: bool = False) -> dict:
    """The provider's follow-up contacts: ``overdue`` (scheduled, due day passed), ``due``
    (scheduled, not yet due) or ``all``; ``mine``: the caller's as case manager. Overdue first."""
    caller.require("shelter")
    state = rules.check_list_state(state)
    today = now.date()
    narrowed = {"overdue": dict(scheduled_only=True, due_before=today),
                "due": dict(scheduled_only=True, due_from=today),
                "all": dict(scheduled_only=False)}[state]
    with db.read() as s:
        rows = queries.listed(s, provider_scope(caller), case_manager=caller.user if mine else None,
                              **narrowed)
    items = sorted((queries.view(r, rules.state(r.status, r.due_on, today)) for r in rows),
                   key=rules.sort_key)  # due_on as ISO text sorts as the day
    return {"state": state, "as_of": today.isoformat(), "count": len(items), "follow_ups": items}


def _ended(s: WriteTransaction, reference: str, provider: str, last_outcome, now: datetime,
           correlation_id) -> None:
    emit(s, now, "shelter.follow_up_ended", {
        "reference": reference, "ended_at": now, "agency": provider,
        "last_outcome": last_outcome}, correlation_id)
    log.info("follow-up of %s ended", reference)
