"""Care plans, their items, milestones, notes and screening results. Personal text is read and
written here only as ciphertext; the use cases encrypt and decrypt it."""

from datetime import datetime

from sqlalchemy import and_, bindparam, insert, select, update
from services.common.db import WriteTransaction, insert_into

from services.common.errors import NotFound
from services.common.timeutil import aware, iso

from ..domain import care as rules
from ..domain.visibility import require_provider
from ..domain.interpreters import split as split_languages
from ..tables import (care_milestones, care_notes, care_plans, facilities, interpreter_bookings,
                      plan_items, screenings)
from .case_data import view as case_data_view
from .partners import attach as partner_referrals_of

MAX_ROWS = 500

# built once: every read and change of a plan (its page asks for four of them at each view)
# starts with the plan, and building a select and its cache key cost more than running it on
# SQLite; ``plan_id`` is given at each execution
_PLAN = (select(care_plans, facilities.c.provider)
         .join(facilities, facilities.c.id == care_plans.c.facility_id)
         .where(care_plans.c.id == bindparam("plan_id")))
_PLAN_FOR_UPDATE = _PLAN.with_for_update(of=care_plans)
_MILESTONES_OF = (select(care_milestones).where(care_milestones.c.plan_id == bindparam("plan_id"))
                  .order_by(care_milestones.c.due_at, care_milestones.c.id))
_ITEMS_OF = (select(plan_items).where(plan_items.c.plan_id == bindparam("plan_id"))
             .order_by(plan_items.c.id))
_BOOKINGS_OF = (select(interpreter_bookings)
                .where(interpreter_bookings.c.plan_id == bindparam("plan_id"))
                .order_by(interpreter_bookings.c.occasion))
_NOTES_OF = (select(care_notes).where(care_notes.c.plan_id == bindparam("plan_id"))
             .order_by(care_notes.c.id).limit(MAX_ROWS))
_SCREENING_OF = select(screenings).where(screenings.c.plan_id == bindparam("plan_id"))


def plan(s: WriteTransaction, caller, plan_id, *, for_update: bool = False):
    """The plan row with its facility's ``provider``; NotFound when there is none, or when it
    is another provider's and the caller is shelter staff (``require_provider``)."""
    if not isinstance(plan_id, int) or isinstance(plan_id, bool):
        raise NotFound("no such plan", field="plan")
    row = s.execute(_PLAN_FOR_UPDATE if for_update else _PLAN, {"plan_id": plan_id}).first()
    if row is None:
        raise NotFound(f"no plan {plan_id}", field="plan")
    require_provider(caller, row.provider, "plan")
    return row


def plan_still_open(s: WriteTransaction, caller, plan_id, *, for_update: bool = True):
    """The plan row, which must still be open (and the caller's provider's)."""
    row = plan(s, caller, plan_id, for_update=for_update)
    rules.check_open(row.status, row.id)
    return row


def item(s: WriteTransaction, plan_id: int, item_id, *, for_update: bool = False):
    """The plan's item; NotFound when the plan has no such item."""
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise NotFound("no such item", field="item")
    query = select(plan_items).where(and_(plan_items.c.id == item_id, plan_items.c.plan_id == plan_id))
    row = s.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound(f"no item {item_id} in plan {plan_id}", field="item")
    return row


def add_item(s: WriteTransaction, **values) -> int:
    """A new plan item; its id."""
    return s.execute(insert(plan_items).values(**values)).inserted_primary_key[0]


def _change_item(s: WriteTransaction, item_id: int, *guards, **values) -> bool:
    return s.execute(update(plan_items).where(and_(plan_items.c.id == item_id, *guards))
                     .values(**values)).rowcount == 1


def change_item(s: WriteTransaction, item_id: int, from_status: str, **values) -> bool:
    """Change an item still in ``from_status``, never paying one unapproved; False when it
    changed meanwhile."""
    guards = [plan_items.c.status == from_status]
    if values.get("paid_at"):
        guards.append(plan_items.c.approved_by.is_not(None))
    return _change_item(s, item_id, *guards, **values)


def approve_item(s: WriteTransaction, item_id: int, approver: str, now: datetime) -> bool:
    """Record a second staff member's approval, unless one exists or the approver asked for it;
    False when nothing changed."""
    return _change_item(s, item_id, plan_items.c.approved_by.is_(None),
                        plan_items.c.created_by != approver,
                        approved_by=approver[:100], approved_at=now, updated_at=now)


def refer_item(s: WriteTransaction, item_id: int, request_id: str, now: datetime) -> bool:
    """Record the item's referral to the legal team; False when it was referred already."""
    return _change_item(s, item_id, plan_items.c.legal_request_id.is_(None),
                        legal_request_id=request_id, legal_referred_at=now, updated_at=now)


def in_state(state: str, now: datetime):
    """Milestones in a state at ``now``, as SQL built from the domain's ``STATE_TESTS``."""
    done, passed = rules.STATE_TESTS[state]
    m = care_milestones
    tests = [m.c.done_at.is_not(None) if done else m.c.done_at.is_(None)]
    if passed is not None:
        tests.append(m.c.due_at < now if passed else m.c.due_at >= now)
    return and_(*tests)


def milestone(s: WriteTransaction, plan_id: int, code: str):
    """One milestone of a plan."""
    m = care_milestones
    return s.execute(select(m).where(and_(m.c.plan_id == plan_id, m.c.code == code))).first()


def add_milestones(s: WriteTransaction, plan_id: int, milestones, case_manager: str) -> None:
    """A new plan's milestones (the case manager's assignment is done at once), in one
    statement with a row of parameters each."""
    s.execute(insert_into(care_milestones), [
        {"plan_id": plan_id, "code": m.code, "due_at": m.due_at, "done_at": m.done_at,
         "done_by": case_manager if m.done_at else None} for m in milestones])


def mark_done(s: WriteTransaction, plan_id: int, code: str, now: datetime, user: str) -> None:
    """Mark a milestone done (once; a repeat changes nothing)."""
    m = care_milestones
    s.execute(update(m).where(and_(m.c.plan_id == plan_id, m.c.code == code, m.c.done_at.is_(None)))
              .values(done_at=now, done_by=user[:100]))


def milestone_counts(s: WriteTransaction, plan_ids: list[int], now: datetime) -> dict[int, dict]:
    """Per plan: how many milestones are done, due and overdue at ``now``."""
    if not plan_ids:
        return {}
    rows = s.execute(select(care_milestones).where(care_milestones.c.plan_id.in_(plan_ids))).all()
    counts: dict[int, dict] = {}
    for m in rows:
        per_plan = counts.setdefault(m.plan_id, {"done": 0, "due": 0, "overdue": 0})
        per_plan[rules.milestone_state(aware(m.due_at), aware(m.done_at), now)] += 1
    return counts


def plan_summary(p) -> dict:
    """A plan without personal text."""
    return {"plan_id": p.id, "admission_id": p.admission_id, "reference": p.reference,
            "facility": p.facility_id, "case_manager": p.case_manager,
            "psychologist": p.psychologist, "status": p.status, "opened_at": iso(p.opened_at),
            "agreed_at": iso(p.agreed_at), "closed_at": iso(p.closed_at),
            "updated_at": iso(p.updated_at), "updated_by": p.updated_by}


def plan_view(s: WriteTransaction, p, goals: str | None, now: datetime) -> dict:
    """A plan with the person's goals (decrypted by the caller), its milestones and items."""
    milestones = s.execute(_MILESTONES_OF, {"plan_id": p.id}).all()
    items = s.execute(_ITEMS_OF, {"plan_id": p.id}).all()
    order = {code: i for i, code in enumerate(rules.MILESTONE_DUE)}
    return {**plan_summary(p), "goals": goals, **interpreters_view(s, p),
            "case_data": case_data_view(s, p.id),
            "milestones": sorted((milestone_view(m, now) for m in milestones),
                                 key=lambda v: order.get(v["milestone"], 99)),
            "items": partner_referrals_of(s, [item_view(i) for i in items])}


def bookings(s: WriteTransaction, plan_id: int) -> dict:
    """The plan's interpreter bookings: occasion -> row (language, status)."""
    return {r.occasion: r for r in s.execute(
        select(interpreter_bookings.c.occasion, interpreter_bookings.c.language,
               interpreter_bookings.c.status)
        .where(interpreter_bookings.c.plan_id == plan_id))}


def put_booking(s: WriteTransaction, plan_id: int, occasion: str, language: str, status: str,
                exists: bool, now: datetime, user: str) -> None:
    """Record an occasion's booking (a new one, or the one read as ``exists``)."""
    values = {"language": language, "status": status, "updated_by": user[:100], "updated_at": now}
    if exists:
        s.execute(update(interpreter_bookings).where(and_(
            interpreter_bookings.c.plan_id == plan_id,
            interpreter_bookings.c.occasion == occasion)).values(**values))
    else:
        s.execute(insert(interpreter_bookings).values(plan_id=plan_id, occasion=occasion, **values))


def interpreters_view(s: WriteTransaction, p) -> dict:
    """The person's languages, whether an interpreter is needed, and the bookings."""
    rows = s.execute(_BOOKINGS_OF, {"plan_id": p.id}).all()
    return {"languages": split_languages(p.languages), "interpreter_needed": p.interpreter_needed,
            "interpreters": [{"occasion": r.occasion, "language": r.language, "status": r.status,
                              "updated_by": r.updated_by, "updated_at": iso(r.updated_at)}
                             for r in rows]}


def milestone_view(m, now: datetime) -> dict:
    """A milestone with its state at ``now``."""
    return {"milestone": m.code, "due_at": iso(m.due_at), "done_at": iso(m.done_at),
            "done_by": m.done_by,
            "state": rules.milestone_state(aware(m.due_at), aware(m.done_at), now),
            "overdue_notified_at": iso(m.overdue_notified_at)}


def item_view(i) -> dict:
    """A plan item, with its cash details and legal referral when it has them."""
    view = {"item_id": i.id, "plan_id": i.plan_id, "service": i.service, "owner": i.owner,
            "status": i.status, "starts_on": i.starts_on.isoformat() if i.starts_on else None,
            "due_on": i.due_on.isoformat() if i.due_on else None, "created_at": iso(i.created_at),
            "requested_by": i.created_by, "updated_at": iso(i.updated_at),
            "completed_at": iso(i.completed_at), "cash": None, "legal_referral": None}
    if i.service == rules.CASH_SERVICE:
        view["cash"] = {"purpose": i.cash_purpose, "amount": i.amount, "currency": i.currency,
                        "approved_by": i.approved_by, "approved_at": iso(i.approved_at),
                        "paid_by": i.paid_by, "paid_at": iso(i.paid_at)}
    if i.legal_request_id:
        view["legal_referral"] = {"request_id": i.legal_request_id,
                                  "referred_at": iso(i.legal_referred_at)}
    return view


def screening_view(row, result: dict) -> dict:
    """A screening result (decrypted by the caller) with who recorded it and when."""
    return {"plan_id": row.plan_id, "psychologist": row.psychologist, "outcome": result["outcome"],
            "summary": result.get("summary"), "screened_at": iso(row.screened_at),
            "updated_at": iso(row.updated_at)}


# --- plans ----------------------------------------------------------------------------------------

def add_plan(s: WriteTransaction, admission_id: int, reference: str, facility_id: str, case_manager: str,
             now: datetime, user: str) -> int:
    """A new open plan; its id."""
    return s.execute(insert_into(care_plans), dict(
        admission_id=admission_id, reference=reference, facility_id=facility_id,
        case_manager=case_manager, status="open", opened_at=now, updated_at=now,
        updated_by=user[:100])).inserted_primary_key[0]


def open_plan_of(s: WriteTransaction, admission_id: int):
    """The open plan of an admission, locked, or None."""
    return s.execute(select(care_plans).where(and_(care_plans.c.admission_id == admission_id,
                                                   care_plans.c.status == "open"))
                     .with_for_update()).first()


def move_plan(s: WriteTransaction, plan_id: int, facility_id: str, now: datetime, user: str) -> None:
    """The plan goes with its resident to another facility."""
    change_plan(s, plan_id, facility_id=facility_id, updated_at=now, updated_by=user[:100])


def close_plan(s: WriteTransaction, admission_id: int, now: datetime) -> None:
    """Close the open plan of an admission."""
    s.execute(update(care_plans).where(and_(care_plans.c.admission_id == admission_id,
                                            care_plans.c.status == "open"))
              .values(status="closed", closed_at=now, updated_at=now))


def change_plan(s: WriteTransaction, plan_id: int, *guards, **values) -> None:
    """Change a plan (when every guard holds)."""
    s.execute(update(care_plans).where(and_(care_plans.c.id == plan_id, *guards)).values(**values))


def mark_agreed(s: WriteTransaction, plan_id: int, now: datetime, user: str) -> None:
    """Record when the plan was agreed (the first time only)."""
    change_plan(s, plan_id, care_plans.c.agreed_at.is_(None), agreed_at=now, updated_at=now,
                updated_by=user[:100])


def plans(s: WriteTransaction, facility: str | None, case_manager: str | None, status: str | None,
          provider: str | None = None) -> list:
    """Plans, newest first, by facility, case manager, status and provider when given."""
    query = (select(care_plans, facilities.c.provider)
             .join(facilities, facilities.c.id == care_plans.c.facility_id)
             .order_by(care_plans.c.id.desc()).limit(MAX_ROWS))
    if provider is not None:
        query = query.where(facilities.c.provider == provider)
    if facility:
        query = query.where(care_plans.c.facility_id == facility)
    if case_manager:
        query = query.where(care_plans.c.case_manager == case_manager)
    if status:
        query = query.where(care_plans.c.status == status)
    return s.execute(query).all()


# --- milestones across plans --------------------------------------------------------------------

def open_plan_milestones(s: WriteTransaction, now: datetime, state: str | None, facility: str | None,
                         case_manager: str | None, provider: str | None = None) -> list:
    """Milestones of open plans in a state at ``now`` (all when None), soonest due first, each
    with its plan's reference, admission, facility and case manager (of one provider's
    facilities when given)."""
    m, p = care_milestones, care_plans
    query = (select(m, p.c.reference, p.c.admission_id, p.c.facility_id, p.c.case_manager)
             .join(p, p.c.id == m.c.plan_id).where(p.c.status == "open"))
    if provider is not None:
        query = query.join(facilities, facilities.c.id == p.c.facility_id).where(
            facilities.c.provider == provider)
    if state is not None:
        query = query.where(in_state(state, now))
    if facility:
        query = query.where(p.c.facility_id == facility)
    if case_manager:
        query = query.where(p.c.case_manager == case_manager)
    return s.execute(query.order_by(m.c.due_at, m.c.id).limit(MAX_ROWS * 4)).all()


def unnoticed_overdue(s: WriteTransaction, now: datetime, limit: int, *, skip_locked: bool) -> list:
    """Overdue milestones of open plans whose notice is not sent yet, oldest due first; with
    ``skip_locked``, rows another transaction holds are left to it."""
    m, p = care_milestones, care_plans
    query = (select(m.c.id, m.c.code, m.c.due_at, m.c.done_at, m.c.overdue_notified_at,
                    p.c.reference, p.c.admission_id, p.c.facility_id, p.c.case_manager,
                    facilities.c.provider, facilities.c.manager.label("facility_manager"))
             .join(p, p.c.id == m.c.plan_id)
             .join(facilities, facilities.c.id == p.c.facility_id)
             .where(and_(p.c.status == "open", m.c.overdue_notified_at.is_(None),
                         in_state("overdue", now)))
             .order_by(m.c.due_at, m.c.id).limit(limit))
    if skip_locked:
        query = query.with_for_update(of=m, skip_locked=True)
    return s.execute(query).all()


def claim_notice(s: WriteTransaction, milestone_id: int, now: datetime) -> bool:
    """Claim a milestone's overdue notice; False when it was done or claimed meanwhile."""
    m = care_milestones
    return s.execute(update(m).where(and_(m.c.id == milestone_id, m.c.done_at.is_(None),
                                          m.c.overdue_notified_at.is_(None)))
                     .values(overdue_notified_at=now)).rowcount == 1


# --- notes and the screening result -------------------------------------------------------------

def add_note(s: WriteTransaction, plan_id: int, author: str, body: bytes, now: datetime) -> int:
    """A sealed case note; its id."""
    return s.execute(insert(care_notes).values(plan_id=plan_id, author=author[:100], body=body,
                                               created_at=now)).inserted_primary_key[0]


def notes(s: WriteTransaction, plan_id: int) -> list:
    """A plan's sealed case notes, oldest first."""
    return s.execute(_NOTES_OF, {"plan_id": plan_id}).all()


def screening(s: WriteTransaction, plan_id: int):
    """The plan's sealed screening result, or None."""
    return s.execute(_SCREENING_OF, {"plan_id": plan_id}).first()


def put_screening(s: WriteTransaction, plan_id: int, psychologist: str, sealed: bytes, now: datetime) -> None:
    """Record or replace the plan's sealed screening result."""
    if screening(s, plan_id) is not None:
        s.execute(update(screenings).where(screenings.c.plan_id == plan_id)
                  .values(psychologist=psychologist[:100], result=sealed, updated_at=now))
    else:
        s.execute(insert(screenings).values(plan_id=plan_id, psychologist=psychologist[:100],
                                            result=sealed, screened_at=now, updated_at=now))
