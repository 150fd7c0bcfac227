"""Interpreters on a resident's care plan (issue 21): staff record the person's languages and
whether an interpreter is needed, which requests one for each first-week occasion (the
psychological screening, the legal rights briefing), and move each booking on
(``requested -> booked -> done``, or ``not_needed``). Codes only: no interpreter's or
survivor's name is stored, and nothing of it leaves the service in an event."""

from datetime import datetime

from services.common.caller import Caller
from services.common.db import Database
from services.common.sealing import FileCipher
from services.common.timeutil import iso

from ..domain import interpreters as rules
from ..queries import care as queries
from .care_plans import goals_of


def set_languages(db: Database, caller: Caller, cipher: FileCipher, plan_id: int, languages,
                  interpreter_needed, now: datetime) -> dict:
    """Record the person's languages and whether an interpreter is needed. Needed: each
    occasion without a booking is requested in the first language; no longer needed: the open
    bookings become ``not_needed``. Returns the plan."""
    caller.require("shelter")
    languages = rules.check_languages(languages)
    needed = rules.check_needed(interpreter_needed)
    with db.write() as s:
        queries.plan_still_open(s, caller, plan_id)
        current = queries.bookings(s, plan_id)
        statuses = {occasion: row.status for occasion, row in current.items()}
        for occasion, language in rules.planned(languages, needed, statuses).items():
            queries.put_booking(s, plan_id, occasion, language, "requested", False, now, caller.user)
        for occasion in rules.called_off(needed, statuses):
            queries.put_booking(s, plan_id, occasion, current[occasion].language, "not_needed",
                                True, now, caller.user)
        queries.change_plan(s, plan_id, languages=",".join(languages), interpreter_needed=needed,
                            updated_at=now, updated_by=caller.user[:100])
        plan = queries.plan(s, caller, plan_id)
        return queries.plan_view(s, plan, goals_of(cipher, plan), now)


def set_booking(db: Database, caller: Caller, plan_id: int, occasion: str, language, status,
                now: datetime) -> dict:
    """Move an occasion's interpreter booking to ``status`` in ``language`` (the lifecycle in
    ``services.contracts.interpreters``: ``done`` is final). Returns the booking."""
    caller.require("shelter")
    rules.check_occasion(occasion)
    rules.check_booking(language, status)
    with db.write() as s:
        queries.plan_still_open(s, caller, plan_id)
        current = queries.bookings(s, plan_id).get(occasion)
        rules.check_transition(current.status if current else None, status)
        queries.put_booking(s, plan_id, occasion, language, status, current is not None, now,
                            caller.user)
    return {"plan_id": plan_id, "occasion": occasion, "language": language, "status": status,
            "updated_by": caller.user, "updated_at": iso(now)}
