"""Residents' care plans: the plan, its first-week milestones and their overdue notices, care
notes and the screening result (the rules are in ``domain/care.py``).

* Shelter staff only: every use case checks ``caller.require("shelter")``. The screening result
  is read by the plan's case manager and the plan's psychologist only, and recorded by the
  psychologist.
* Personal text (goals in the person's own words, case notes, the screening result) is
  encrypted with the service's ``FileCipher`` before it reaches the database, through the
  columns ``tables.ENCRYPTED`` declares (what `refnet rotate-keys` re-encrypts), and never goes
  into an event, a log line or an error message.
* ``now`` is a parameter wherever time matters: the service passes its clock's time.
* The plan opens in the admission's transaction (``open_plan``) and closes in the discharge's
  (``close_plan``).
* Overdue milestones: ``notify_overdue_milestones`` claims each milestone's notice with a
  conditional UPDATE (``overdue_notified_at IS NULL``) in the transaction of its outbox row, so
  any number of replicas send ``shelter.milestone_overdue`` once per milestone.
"""

import json
import logging
from datetime import datetime

from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Forbidden, NotFound
from services.common.sealing import FileCipher
from services.common.timeutil import aware, iso

from ..domain import care as rules
from ..domain.visibility import provider_scope
from ..queries import care as queries
from ..tables import ENCRYPTED, care_notes, care_plans, screenings
from .common import emit
from .tasks import drop_plan_approvals

log = logging.getLogger(__name__)


def open_plan(s: WriteTransaction, admission_id: int, reference: str, facility_id: str, case_manager: str,
              now: datetime, user: str) -> int:
    """Open the plan of a new admission with its first-week milestones; return the plan id."""
    plan_id = queries.add_plan(s, admission_id, reference, facility_id, case_manager, now, user)
    queries.add_milestones(s, plan_id, rules.first_week(now), case_manager)
    return plan_id


def close_plan(s: WriteTransaction, admission_id: int, now: datetime) -> None:
    """The resident left: the plan closes (its milestones no longer fall due, its cash requests
    no longer await an approval)."""
    plan = queries.open_plan_of(s, admission_id)
    queries.close_plan(s, admission_id, now)
    if plan is not None:
        drop_plan_approvals(s, plan.id, now)


def list_plans(db: Database, caller: Caller, now: datetime, facility: str | None = None,
               case_manager: str | None = None, status: str | None = "open") -> list[dict]:
    """Plans (no personal text), each with its milestone states counted."""
    caller.require("shelter")
    with db.read() as s:
        plans = queries.plans(s, facility, case_manager, status, provider_scope(caller))
        counts = queries.milestone_counts(s, [p.id for p in plans], now)
    return [{**queries.plan_summary(p),
             "milestones": counts.get(p.id, {"done": 0, "due": 0, "overdue": 0})} for p in plans]


def get_plan(db: Database, caller: Caller, cipher: FileCipher, plan_id: int,
             now: datetime) -> dict:
    """The plan with the person's goals, its items and its milestones (no notes, no screening)."""
    caller.require("shelter")
    with db.read() as s:
        return plan_in(s, cipher, queries.plan(s, caller, plan_id), now)


def plan_in(s: WriteTransaction, cipher: FileCipher, plan, now: datetime) -> dict:
    """``get_plan``'s answer, in ``s``, for a plan row the caller may read (``queries.plan``)."""
    return queries.plan_view(s, plan, goals_of(cipher, plan), now)


def update_plan(db: Database, caller: Caller, cipher: FileCipher, plan_id: int,
                now: datetime, goals: str | None = None, psychologist: str | None = None) -> dict:
    """Record the person's goals (in their words, encrypted) and/or name the plan's psychologist
    (the case manager does that)."""
    caller.require("shelter")
    values = {}
    if goals is not None:
        rules.check_text(goals, "goals", rules.MAX_GOALS)
        values["goals"] = ENCRYPTED.seal(cipher, care_plans.c.goals, goals.encode())
    if psychologist is not None:
        rules.check_staff_id(psychologist, "psychologist")
    with db.write() as s:
        plan = queries.plan_still_open(s, caller, plan_id)
        if psychologist is not None:
            rules.check_assign_psychologist(caller.user, plan.case_manager)
            values["psychologist"] = psychologist
        if values:
            queries.change_plan(s, plan_id, updated_at=now, updated_by=caller.user[:100], **values)
        plan = queries.plan(s, caller, plan_id)
        return queries.plan_view(s, plan, goals_of(cipher, plan), now)


# --- milestones ---------------------------------------------------------------------------------

def complete_milestone(db: Database, caller: Caller, plan_id: int, code: str, now: datetime) -> dict:
    """Mark the legal rights briefing or the plan agreed as done (once; a repeat changes nothing)."""
    caller.require("shelter")
    rules.check_markable(code)
    with db.write() as s:
        queries.plan_still_open(s, caller, plan_id)
        queries.mark_done(s, plan_id, code, now, caller.user)
        if code == "plan_agreed":
            queries.mark_agreed(s, plan_id, now, caller.user)
        row = queries.milestone(s, plan_id, code)
    return queries.milestone_view(row, now)


def list_milestones(db: Database, caller: Caller, now: datetime, state: str | None = None,
                    facility: str | None = None, case_manager: str | None = None) -> dict:
    """Milestones of open plans in a state (all when none), grouped per facility and case manager."""
    caller.require("shelter")
    state = rules.check_state_filter(state)
    with db.read() as s:
        rows = queries.open_plan_milestones(s, now, state, facility, case_manager,
                                            provider_scope(caller))
    items = [{**queries.milestone_view(r, now), "plan_id": r.plan_id, "reference": r.reference,
              "admission_id": r.admission_id, "facility": r.facility_id,
              "case_manager": r.case_manager} for r in rows]
    return {"state": state, "as_of": iso(now), "count": len(items),
            "groups": rules.group_by_owner(items)}


def notify_overdue_milestones(db: Database, now: datetime, limit: int = 200) -> list[tuple[str, str]]:
    """Queue ``shelter.milestone_overdue`` once for every milestone that became overdue, naming
    the provider of the plan's facility.

    Safe with any number of replicas: each notice is claimed by a conditional UPDATE
    (``overdue_notified_at IS NULL``) in the same transaction as its outbox row; the loser of a
    race changes nothing (SQLite: BEGIN IMMEDIATE serialises writers; PostgreSQL: rows another
    replica holds are skipped, or seen claimed after the wait). Returns (reference, milestone)
    of the notices this call queued.
    """
    sent = []
    with db.write() as s:
        for r in queries.unnoticed_overdue(s, now, limit, skip_locked=not db.sqlite):
            if not rules.newly_overdue(aware(r.due_at), aware(r.done_at), aware(r.overdue_notified_at), now):
                continue
            if not queries.claim_notice(s, r.id, now):
                continue
            emit(s, now, "shelter.milestone_overdue", {
                "reference": r.reference, "admission_id": r.admission_id, "milestone": r.code,
                "due_at": aware(r.due_at), "facility": r.facility_id,
                "case_manager": r.case_manager, "noticed_at": now, "agency": r.provider,
                "facility_manager": r.facility_manager})
            sent.append((r.reference, r.code))
    for reference, code in sent:
        log.info("milestone %s of %s is overdue", code, reference)
    return sent


# --- care notes and the screening result ---------------------------------------------------------

def add_note(db: Database, caller: Caller, cipher: FileCipher, plan_id: int, text: str,
             now: datetime) -> dict:
    """Add a case note (encrypted) to a plan."""
    caller.require("shelter")
    rules.check_text(text, "text", rules.MAX_NOTE)
    body = ENCRYPTED.seal(cipher, care_notes.c.body, text.encode())
    with db.write() as s:
        queries.plan(s, caller, plan_id)
        note_id = queries.add_note(s, plan_id, caller.user, body, now)
    return {"note_id": note_id, "plan_id": plan_id, "author": caller.user, "text": text,
            "created_at": iso(now)}


def list_notes(db: Database, caller: Caller, cipher: FileCipher, plan_id: int) -> list[dict]:
    """A plan's case notes, oldest first, decrypted."""
    caller.require("shelter")
    with db.read() as s:
        return notes_in(s, cipher, queries.plan(s, caller, plan_id))


def notes_in(s: WriteTransaction, cipher: FileCipher, plan) -> list[dict]:
    """``list_notes``'s answer, in ``s``, for a plan row the caller may read."""
    return [{"note_id": r.id, "plan_id": r.plan_id, "author": r.author,
             "text": ENCRYPTED.open(cipher, care_notes.c.body, r.body).decode(),
             "created_at": iso(r.created_at)} for r in queries.notes(s, plan.id)]


def record_screening(db: Database, caller: Caller, cipher: FileCipher, plan_id: int,
                     outcome: str, summary: str | None, now: datetime) -> dict:
    """The plan's psychologist records (or corrects) the screening result; the screening
    milestone is then done."""
    caller.require("shelter")
    rules.check_screening(outcome, summary)
    sealed = ENCRYPTED.seal(cipher, screenings.c.result,
                            json.dumps({"outcome": outcome, "summary": summary}).encode())
    with db.write() as s:
        plan = queries.plan_still_open(s, caller, plan_id)
        rules.check_screener(caller.user, plan.psychologist)
        queries.put_screening(s, plan_id, caller.user, sealed, now)
        queries.mark_done(s, plan_id, "psychological_screening", now, caller.user)
        row = queries.screening(s, plan_id)
    return queries.screening_view(row, {"outcome": outcome, "summary": summary})


def get_screening(db: Database, caller: Caller, cipher: FileCipher, plan_id: int) -> dict:
    """The screening result, for the plan's case manager and psychologist only."""
    caller.require("shelter")
    with db.read() as s:
        return screening_in(s, caller, cipher, queries.plan(s, caller, plan_id))


def screening_in(s: WriteTransaction, caller: Caller, cipher: FileCipher, plan) -> dict:
    """``get_screening``'s answer and refusals, in ``s``, for a plan row the caller may read."""
    if not rules.may_read_screening(caller.user, plan.case_manager, plan.psychologist):
        raise Forbidden("only the plan's case manager and psychologist read the screening result",
                        field="plan")
    row = queries.screening(s, plan.id)
    if row is None:
        raise NotFound(f"plan {plan.id} has no screening result yet", field="screening")
    return queries.screening_view(row, json.loads(ENCRYPTED.open(cipher, screenings.c.result, row.result)))


def goals_of(cipher: FileCipher | None, plan) -> str | None:
    """The person's goals of ``plan``, decrypted (None when none were recorded)."""
    if plan.goals is None:
        return None
    return ENCRYPTED.open(cipher, care_plans.c.goals, plan.goals).decode()
