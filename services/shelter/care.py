"""Care plans, plan items, first-week milestones, care notes and the screening result: the
shelter service's use cases (rules in domain/care.py).

* Shelter staff only: every function checks ``caller.require("shelter")`` (the gateway refuses
  every other role too). The screening result is read by the plan's case manager and the plan's
  psychologist only, and recorded by the psychologist.
* Personal text (goals in the person's own words, case notes, the screening result) is
  encrypted with ``FileCipher`` (REFNET_FILE_KEYS) before it reaches the database, and never
  goes into an event, a log line or an error message.
* ``now`` is a parameter everywhere time matters: the service passes its clock
  (services/common/clock.py; a test offset moves it in end-to-end tests), tests pass a fixed one.
* The plan opens in the admission's transaction (``open_plan``, called by app.admit) and closes
  in the discharge's (``close_plan``).
* Overdue milestones: ``notify_overdue_milestones`` claims each milestone's notice with a
  conditional UPDATE (``overdue_notified_at IS NULL``) in the transaction of its outbox row, so
  any number of replicas send ``shelter.milestone_overdue`` once per milestone.
"""

import json
import logging
import uuid
from datetime import datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.messaging import add_to_outbox
from services.common.sealing import FileCipher
from services.common.timeutil import aware, iso
from services.contracts.envelope import make_event

from .domain import care as rules
from .tables import (care_milestones, care_notes, care_plans, outbox, plan_items, screenings)

log = logging.getLogger(__name__)
SOURCE = "shelter"
MAX_ROWS = 500


# --- inside the admission and discharge transactions ----------------------------------------

def open_plan(s: Session, admission_id: int, reference: str, facility_id: str, case_manager: str,
              now: datetime, user: str) -> int:
    """Open the plan of a new admission with its first-week milestones; return the plan id."""
    plan_id = s.execute(insert(care_plans).values(
        admission_id=admission_id, reference=reference, facility_id=facility_id,
        case_manager=case_manager, status="open", opened_at=now, updated_at=now,
        updated_by=user[:100])).inserted_primary_key[0]
    for m in rules.first_week(now):
        s.execute(insert(care_milestones).values(
            plan_id=plan_id, code=m.code, due_at=m.due_at, done_at=m.done_at,
            done_by=case_manager if m.done_at else None))
    return plan_id


def close_plan(s: Session, admission_id: int, now: datetime) -> None:
    """The resident left: the plan closes (its milestones no longer fall due)."""
    s.execute(update(care_plans).where(and_(care_plans.c.admission_id == admission_id,
                                            care_plans.c.status == "open"))
              .values(status="closed", closed_at=now, updated_at=now))


# --- plans ----------------------------------------------------------------------------------

def list_plans(db: Database, caller: Caller, now: datetime, facility: str | None = None,
               case_manager: str | None = None, status: str | None = "open") -> list[dict]:
    """Plans (no personal text), each with its milestone states counted."""
    caller.require("shelter")
    query = select(care_plans).order_by(care_plans.c.id.desc()).limit(MAX_ROWS)
    if facility:
        query = query.where(care_plans.c.facility_id == facility)
    if case_manager:
        query = query.where(care_plans.c.case_manager == case_manager)
    if status:
        query = query.where(care_plans.c.status == status)
    with db.read() as s:
        plans = s.execute(query).all()
        ids = [p.id for p in plans]
        milestones = s.execute(select(care_milestones).where(care_milestones.c.plan_id.in_(ids))).all() if ids else []
    by_plan: dict[int, dict] = {}
    for m in milestones:
        counts = by_plan.setdefault(m.plan_id, {"done": 0, "due": 0, "overdue": 0})
        counts[rules.milestone_state(aware(m.due_at), aware(m.done_at), now)] += 1
    return [{**_plan_summary(p), "milestones": by_plan.get(p.id, {"done": 0, "due": 0, "overdue": 0})}
            for p in plans]


def get_plan(db: Database, caller: Caller, cipher: FileCipher | None, plan_id: int,
             now: datetime) -> dict:
    """The plan with the person's goals, its items and its milestones (no notes, no screening)."""
    caller.require("shelter")
    with db.read() as s:
        plan = _plan(s, plan_id)
        return _plan_view(s, plan, cipher, now)


def update_plan(db: Database, caller: Caller, cipher: FileCipher | None, plan_id: int,
                now: datetime, goals: str | None = None, psychologist: str | None = None) -> dict:
    """Record the person's goals (in their words, encrypted) and/or name the plan's psychologist
    (the case manager does that)."""
    caller.require("shelter")
    values = {}
    if goals is not None:
        rules.check_text(goals, "goals", rules.MAX_GOALS)
        values["goals"] = _cipher(cipher).encrypt(goals.encode())
    if psychologist is not None:
        rules.check_staff_id(psychologist, "psychologist")
    with db.write() as s:
        plan = _plan(s, plan_id, for_update=True)
        _require_open(plan)
        if psychologist is not None:
            rules.check_assign_psychologist(caller.user, plan.case_manager)
            values["psychologist"] = psychologist
        if values:
            s.execute(update(care_plans).where(care_plans.c.id == plan_id)
                      .values(updated_at=now, updated_by=caller.user[:100], **values))
        return _plan_view(s, _plan(s, plan_id), cipher, now)


# --- milestones ---------------------------------------------------------------------------------

def complete_milestone(db: Database, caller: Caller, plan_id: int, code: str, now: datetime) -> dict:
    """Mark the legal rights briefing or the plan agreed as done (once; a repeat changes nothing)."""
    caller.require("shelter")
    rules.check_markable(code)
    with db.write() as s:
        plan = _plan(s, plan_id, for_update=True)
        _require_open(plan)
        _mark_done(s, plan_id, code, now, caller.user)
        if code == "plan_agreed":
            s.execute(update(care_plans).where(and_(care_plans.c.id == plan_id,
                                                    care_plans.c.agreed_at.is_(None)))
                      .values(agreed_at=now, updated_at=now, updated_by=caller.user[:100]))
        row = s.execute(select(care_milestones).where(and_(care_milestones.c.plan_id == plan_id,
                                                           care_milestones.c.code == code))).first()
    return _milestone_view(row, now)


def _mark_done(s: Session, plan_id: int, code: str, now: datetime, user: str) -> None:
    s.execute(update(care_milestones).where(and_(care_milestones.c.plan_id == plan_id,
                                                 care_milestones.c.code == code,
                                                 care_milestones.c.done_at.is_(None)))
              .values(done_at=now, done_by=user[:100]))


def list_milestones(db: Database, caller: Caller, now: datetime, state: str | None = None,
                    facility: str | None = None, case_manager: str | None = None) -> dict:
    """Milestones of open plans in a state (all when none), grouped per facility and case manager."""
    caller.require("shelter")
    state = rules.check_state_filter(state)
    m, p = care_milestones, care_plans
    query = (select(m, p.c.reference, p.c.admission_id, p.c.facility_id, p.c.case_manager)
             .join(p, p.c.id == m.c.plan_id).where(p.c.status == "open"))
    if state == "done":
        query = query.where(m.c.done_at.is_not(None))
    elif state == "overdue":
        query = query.where(and_(m.c.done_at.is_(None), m.c.due_at < now))
    elif state == "due":
        query = query.where(and_(m.c.done_at.is_(None), m.c.due_at >= now))
    if facility:
        query = query.where(p.c.facility_id == facility)
    if case_manager:
        query = query.where(p.c.case_manager == case_manager)
    with db.read() as s:
        rows = s.execute(query.order_by(m.c.due_at, m.c.id).limit(MAX_ROWS * 4)).all()
    items = []
    for r in rows:
        view = _milestone_view(r, now)
        if state is None or view["state"] == state:
            items.append({**view, "plan_id": r.plan_id, "reference": r.reference,
                          "admission_id": r.admission_id, "facility": r.facility_id,
                          "case_manager": r.case_manager})
    return {"state": state, "as_of": iso(now), "count": len(items),
            "groups": rules.group_by_owner(items)}


def notify_overdue_milestones(db: Database, agency: str, now: datetime, limit: int = 200) -> list[tuple[str, str]]:
    """Queue ``shelter.milestone_overdue`` once for every milestone that became overdue.

    Safe with any number of replicas: each notice is claimed by a conditional UPDATE
    (``overdue_notified_at IS NULL``) in the same transaction as its outbox row; the loser of a
    race changes nothing (SQLite: BEGIN IMMEDIATE serialises writers; PostgreSQL: rows another
    replica holds are skipped, or seen claimed after the wait). Returns (reference, milestone)
    of the notices this call queued.
    """
    m, p = care_milestones, care_plans
    due = (select(m.c.id, m.c.code, m.c.due_at, m.c.done_at, m.c.overdue_notified_at,
                  p.c.reference, p.c.admission_id, p.c.facility_id, p.c.case_manager)
           .join(p, p.c.id == m.c.plan_id)
           .where(and_(p.c.status == "open", m.c.done_at.is_(None),
                       m.c.overdue_notified_at.is_(None), m.c.due_at < now))
           .order_by(m.c.due_at, m.c.id).limit(limit))
    sent = []
    with db.write() as s:
        if not db.sqlite:
            due = due.with_for_update(of=m, skip_locked=True)
        for r in s.execute(due).all():
            if not rules.newly_overdue(aware(r.due_at), aware(r.done_at), aware(r.overdue_notified_at), now):
                continue
            claimed = s.execute(update(m).where(and_(m.c.id == r.id, m.c.done_at.is_(None),
                                                     m.c.overdue_notified_at.is_(None)))
                                .values(overdue_notified_at=now)).rowcount
            if claimed != 1:
                continue
            add_to_outbox(s, outbox, make_event("shelter.milestone_overdue", {
                "reference": r.reference, "admission_id": r.admission_id, "milestone": r.code,
                "due_at": aware(r.due_at), "facility": r.facility_id,
                "case_manager": r.case_manager, "noticed_at": now, "agency": agency},
                source=SOURCE))
            sent.append((r.reference, r.code))
    for reference, code in sent:
        log.info("milestone %s of %s is overdue", code, reference)
    return sent


# --- plan items ---------------------------------------------------------------------------------

def add_item(db: Database, caller: Caller, plan_id: int, now: datetime, service: str, owner: str,
             starts_on=None, due_on=None, cash: dict | None = None) -> dict:
    caller.require("shelter")
    item = rules.check_new_item(service, owner, starts_on, due_on, cash)
    cash_ = item["cash"]
    with db.write() as s:
        _require_open(_plan(s, plan_id, for_update=True))
        item_id = s.execute(insert(plan_items).values(
            plan_id=plan_id, service=service, owner=owner, status="planned",
            starts_on=item["starts_on"], due_on=item["due_on"], created_at=now,
            created_by=caller.user[:100], updated_at=now,
            cash_purpose=cash_.purpose if cash_ else None, amount=cash_.amount if cash_ else None,
            currency=cash_.currency if cash_ else None)).inserted_primary_key[0]
        return _item_view(_item(s, plan_id, item_id))


def update_item(db: Database, caller: Caller, plan_id: int, item_id: int, now: datetime,
                status: str | None = None, owner: str | None = None, starts_on=None,
                due_on=None) -> dict:
    """Change an item's status, owner or dates. Paying cash assistance is moving it to ``done``:
    refused (409, field ``approval``) until a second staff member approved it."""
    caller.require("shelter")
    if owner is not None:
        rules.check_staff_id(owner, "owner")
    starts, due = rules.check_date(starts_on, "starts_on"), rules.check_date(due_on, "due_on")
    with db.write() as s:
        _require_open(_plan(s, plan_id, for_update=True))
        item = _item(s, plan_id, item_id, for_update=True)
        values = {}
        if status is not None and status != item.status:
            cash = item.service == "cash_assistance"
            rules.check_item_move(item.status, status, cash=cash, approved_by=item.approved_by)
            values["status"] = status
            if status == "done":
                values["completed_at"] = now
                if cash:
                    values.update(paid_at=now, paid_by=caller.user[:100])
        if owner is not None:
            values["owner"] = owner
        if starts is not None:
            values["starts_on"] = starts
        if due is not None:
            values["due_on"] = due
        if values:
            guard = [plan_items.c.id == item_id, plan_items.c.status == item.status]
            if values.get("paid_at"):
                guard.append(plan_items.c.approved_by.is_not(None))  # never paid unapproved
            if s.execute(update(plan_items).where(and_(*guard))
                         .values(updated_at=now, **values)).rowcount != 1:
                raise Conflict("the item changed meanwhile; read it and try again", field="item")
        return _item_view(_item(s, plan_id, item_id))


def approve_item(db: Database, caller: Caller, plan_id: int, item_id: int, now: datetime) -> dict:
    """A second staff member (not the requester) approves a cash-assistance item."""
    caller.require("shelter")
    with db.write() as s:
        _require_open(_plan(s, plan_id, for_update=True))
        item = _item(s, plan_id, item_id, for_update=True)
        rules.check_approval(service=item.service, status=item.status, requested_by=item.created_by,
                             approved_by=item.approved_by, approver=caller.user)
        if s.execute(update(plan_items).where(and_(
                plan_items.c.id == item_id, plan_items.c.approved_by.is_(None),
                plan_items.c.created_by != caller.user))
                .values(approved_by=caller.user[:100], approved_at=now, updated_at=now)).rowcount != 1:
            raise Conflict("the item changed meanwhile; read it and try again", field="item")
        return _item_view(_item(s, plan_id, item_id))


def refer_item_to_legal(db: Database, caller: Caller, plan_id: int, item_id: int, now: datetime,
                        agency: str, correlation_id: str | None = None) -> dict:
    """Refer a legal plan item to the legal team: the event carries the reference, the service
    asked for and an opaque request id, nothing of the plan."""
    caller.require("shelter")
    with db.write() as s:
        plan = _plan(s, plan_id, for_update=True)
        _require_open(plan)
        item = _item(s, plan_id, item_id, for_update=True)
        rules.check_legal_referral(service=item.service, status=item.status,
                                   referred=item.legal_request_id is not None)
        request_id = uuid.uuid4().hex
        if s.execute(update(plan_items).where(and_(plan_items.c.id == item_id,
                                                   plan_items.c.legal_request_id.is_(None)))
                     .values(legal_request_id=request_id, legal_referred_at=now,
                             updated_at=now)).rowcount != 1:
            raise Conflict("the item was already referred to the legal team", field="item")
        add_to_outbox(s, outbox, make_event("shelter.legal_referral_requested", {
            "reference": plan.reference, "request_id": request_id, "service": item.service,
            "requested_at": now, "agency": agency}, source=SOURCE, correlation_id=correlation_id))
        return _item_view(_item(s, plan_id, item_id))


# --- care notes and the screening result -----------------------------------------------------------

def add_note(db: Database, caller: Caller, cipher: FileCipher | None, plan_id: int, text: str,
             now: datetime) -> dict:
    caller.require("shelter")
    rules.check_text(text, "text", rules.MAX_NOTE)
    body = _cipher(cipher).encrypt(text.encode())
    with db.write() as s:
        _plan(s, plan_id)
        note_id = s.execute(insert(care_notes).values(plan_id=plan_id, author=caller.user[:100],
                                                      body=body, created_at=now)).inserted_primary_key[0]
    return {"note_id": note_id, "plan_id": plan_id, "author": caller.user, "text": text,
            "created_at": iso(now)}


def list_notes(db: Database, caller: Caller, cipher: FileCipher | None, plan_id: int) -> list[dict]:
    caller.require("shelter")
    with db.read() as s:
        _plan(s, plan_id)
        rows = s.execute(select(care_notes).where(care_notes.c.plan_id == plan_id)
                         .order_by(care_notes.c.id).limit(MAX_ROWS)).all()
    c = _cipher(cipher) if rows else None
    return [{"note_id": r.id, "plan_id": r.plan_id, "author": r.author,
             "text": c.decrypt(bytes(r.body)).decode(), "created_at": iso(r.created_at)} for r in rows]


def record_screening(db: Database, caller: Caller, cipher: FileCipher | None, plan_id: int,
                     outcome: str, summary: str | None, now: datetime) -> dict:
    """The plan's psychologist records (or corrects) the screening result; the screening
    milestone is then done."""
    caller.require("shelter")
    rules.check_screening(outcome, summary)
    sealed = _cipher(cipher).encrypt(json.dumps({"outcome": outcome, "summary": summary}).encode())
    with db.write() as s:
        plan = _plan(s, plan_id, for_update=True)
        _require_open(plan)
        rules.check_screener(caller.user, plan.psychologist)
        existing = s.execute(select(screenings.c.plan_id).where(screenings.c.plan_id == plan_id)).first()
        if existing:
            s.execute(update(screenings).where(screenings.c.plan_id == plan_id)
                      .values(psychologist=caller.user[:100], result=sealed, updated_at=now))
        else:
            s.execute(insert(screenings).values(plan_id=plan_id, psychologist=caller.user[:100],
                                                result=sealed, screened_at=now, updated_at=now))
        _mark_done(s, plan_id, "psychological_screening", now, caller.user)
        row = s.execute(select(screenings).where(screenings.c.plan_id == plan_id)).first()
    return _screening_view(row, {"outcome": outcome, "summary": summary})


def get_screening(db: Database, caller: Caller, cipher: FileCipher | None, plan_id: int) -> dict:
    caller.require("shelter")
    with db.read() as s:
        plan = _plan(s, plan_id)
        if not rules.may_read_screening(caller.user, plan.case_manager, plan.psychologist):
            raise Forbidden("only the plan's case manager and psychologist read the screening result",
                            field="plan")
        row = s.execute(select(screenings).where(screenings.c.plan_id == plan_id)).first()
    if row is None:
        raise NotFound(f"plan {plan_id} has no screening result yet", field="screening")
    return _screening_view(row, json.loads(_cipher(cipher).decrypt(bytes(row.result))))


# --- helpers --------------------------------------------------------------------------------------

def _cipher(cipher: FileCipher | None) -> FileCipher:
    if cipher is None:
        raise RuntimeError("REFNET_FILE_KEYS is not set: the shelter cannot store or read care notes")
    return cipher


def _plan(s, plan_id, for_update: bool = False):
    if not isinstance(plan_id, int) or isinstance(plan_id, bool):
        raise NotFound("no such plan", field="plan")
    query = select(care_plans).where(care_plans.c.id == plan_id)
    if for_update:
        query = query.with_for_update()
    row = s.execute(query).first()
    if row is None:
        raise NotFound(f"no plan {plan_id}", field="plan")
    return row


def _require_open(plan) -> None:
    if plan.status != "open":
        raise Conflict(f"plan {plan.id} is closed (the resident was discharged)", field="plan")


def _item(s, plan_id: int, item_id: int, for_update: bool = False):
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise NotFound("no such item", field="item")
    query = select(plan_items).where(and_(plan_items.c.id == item_id, plan_items.c.plan_id == plan_id))
    if for_update:
        query = query.with_for_update()
    row = s.execute(query).first()
    if row is None:
        raise NotFound(f"no item {item_id} in plan {plan_id}", field="item")
    return row


def _plan_summary(p) -> dict:
    return {"plan_id": p.id, "admission_id": p.admission_id, "reference": p.reference,
            "facility": p.facility_id, "case_manager": p.case_manager,
            "psychologist": p.psychologist, "status": p.status, "opened_at": iso(p.opened_at),
            "agreed_at": iso(p.agreed_at), "closed_at": iso(p.closed_at),
            "updated_at": iso(p.updated_at), "updated_by": p.updated_by}


def _plan_view(s, plan, cipher, now) -> dict:
    milestones = s.execute(select(care_milestones).where(care_milestones.c.plan_id == plan.id)
                           .order_by(care_milestones.c.due_at, care_milestones.c.id)).all()
    items = s.execute(select(plan_items).where(plan_items.c.plan_id == plan.id)
                      .order_by(plan_items.c.id)).all()
    goals = _cipher(cipher).decrypt(bytes(plan.goals)).decode() if plan.goals is not None else None
    order = {code: i for i, code in enumerate(rules.MILESTONE_DUE)}
    return {**_plan_summary(plan), "goals": goals,
            "milestones": sorted((_milestone_view(m, now) for m in milestones),
                                 key=lambda v: order.get(v["milestone"], 99)),
            "items": [_item_view(i) for i in items]}


def _milestone_view(m, now) -> dict:
    return {"milestone": m.code, "due_at": iso(m.due_at), "done_at": iso(m.done_at),
            "done_by": m.done_by,
            "state": rules.milestone_state(aware(m.due_at), aware(m.done_at), now),
            "overdue_notified_at": iso(m.overdue_notified_at)}


def _item_view(i) -> dict:
    view = {"item_id": i.id, "plan_id": i.plan_id, "service": i.service, "owner": i.owner,
            "status": i.status, "starts_on": i.starts_on.isoformat() if i.starts_on else None,
            "due_on": i.due_on.isoformat() if i.due_on else None, "created_at": iso(i.created_at),
            "requested_by": i.created_by, "updated_at": iso(i.updated_at),
            "completed_at": iso(i.completed_at), "cash": None, "legal_referral": None}
    if i.service == "cash_assistance":
        view["cash"] = {"purpose": i.cash_purpose, "amount": i.amount, "currency": i.currency,
                        "approved_by": i.approved_by, "approved_at": iso(i.approved_at),
                        "paid_by": i.paid_by, "paid_at": iso(i.paid_at)}
    if i.legal_request_id:
        view["legal_referral"] = {"request_id": i.legal_request_id,
                                  "referred_at": iso(i.legal_referred_at)}
    return view


def _screening_view(row, result: dict) -> dict:
    return {"plan_id": row.plan_id, "psychologist": row.psychologist, "outcome": result["outcome"],
            "summary": result.get("summary"), "screened_at": iso(row.screened_at),
            "updated_at": iso(row.updated_at)}

