"""Hearings: scheduling one in the court's local time, recording its outcome (a postponement
sets the next one), each role's list, and the reminders sent before hearings the survivor must
attend."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, update
from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Forbidden, IllegalTransition, InvalidInput
from services.common.inputs import parse_date

from ..domain import access
from ..domain import court_case as court_rules
from ..domain import hearings as rules
from ..domain.inputs import check_text, parse_local
from ..queries import hearings as queries
from ..queries.cases import whom_it_concerns
from ..queries.court_cases import court_case_for
from ..queries.filters import MAX_ROWS
from ..tables import hearings
from .common import emit, new_id, now_of

log = logging.getLogger(__name__)


def _insert_hearing(s: WriteTransaction, court_case: dict, starts_utc: datetime, zone_name: str,
                    purpose: str, attendance_required: bool, postponed_from: str | None,
                    now: datetime, correlation_id: str | None,
                    interpreter: tuple = (None, None)) -> str:
    hearing_id = new_id()
    s.execute(insert(hearings).values(
        id=hearing_id, court_case_id=court_case["id"], court=court_case["court"],
        starts_at=starts_utc, time_zone=zone_name, purpose=purpose,
        attendance_required=attendance_required, status="scheduled", outcome_note=None,
        postponed_from=postponed_from, reminder_sent_at=None, created_at=now, updated_at=now,
        interpreter_language=interpreter[0], interpreter_status=interpreter[1]))
    emit(s, now, "legal.hearing_scheduled", {
        "reference": court_case["reference"], "court_case_id": court_case["id"],
        "hearing_id": hearing_id, "court": court_case["court"], "starts_at": starts_utc,
        "time_zone": zone_name, "attendance_required": attendance_required,
        "postponed_from": postponed_from, "scheduled_at": now}, correlation_id)
    return hearing_id


def schedule_hearing(db: Database, caller: Caller, court_case_id: str, starts_at: str,
                     time_zone: str, purpose: str, attendance_required: bool,
                     correlation_id: str | None = None, *, clock=None) -> dict:
    """Set a hearing of a court case, entered in the court's local time and zone."""
    now = now_of(clock)
    starts_utc = rules.to_utc(parse_local(starts_at, "starts_at"), time_zone)
    rules.check_in_future(starts_utc, now)
    check_text(purpose, 200, "purpose")
    if not isinstance(attendance_required, bool):
        raise InvalidInput("true or false", field="attendance_required")
    with db.write() as s:
        row = court_case_for(s, caller, court_case_id, now, for_update=True)
        if not court_rules.accepts_hearings(row["status"]):
            raise IllegalTransition(f"a court case in {row['status']} takes no hearings",
                                    field="court_case_id")
        hearing_id = _insert_hearing(s, row, starts_utc, time_zone, purpose, attendance_required,
                                     None, now, correlation_id)
        hearing = queries.hearing(s, hearing_id)
    return access.hearing_view(caller, hearing)


def record_outcome(db: Database, caller: Caller, hearing_id: str, outcome: str,
                   note: str | None = None, new_starts_at: str | None = None,
                   time_zone: str | None = None, correlation_id: str | None = None,
                   *, clock=None) -> dict:
    """Record what happened at a hearing (the legal team, or the court it is at). A postponement
    keeps the hearing, marked ``postponed``, and sets a new one that points back to it."""
    now = now_of(clock)
    if note is not None:
        check_text(note, 500, "note")
    with db.write() as s:
        hearing = queries.hearing_for_outcome(s, caller, hearing_id, now)
        zone_name = time_zone or hearing["time_zone"]
        new_utc = None
        if new_starts_at is not None:
            new_utc = rules.to_utc(parse_local(new_starts_at, "new_starts_at"), zone_name,
                                   field="new_starts_at")
        rules.check_outcome(hearing["status"], outcome, new_utc)
        if new_utc is not None:
            rules.check_in_future(new_utc, now, field="new_starts_at")
        changed = s.execute(update(hearings).where(and_(hearings.c.id == hearing_id,
                                                        hearings.c.status == "scheduled"))
                            .values(status=outcome, outcome_note=note, updated_at=now)).rowcount
        if changed != 1:  # another request recorded an outcome meanwhile
            raise IllegalTransition("the hearing already has its outcome", field="outcome")
        next_id = None
        if outcome == "postponed":
            court_case = court_case_for(s, caller, hearing["court_case_id"], now)
            next_id = _insert_hearing(
                s, court_case, new_utc, zone_name, hearing["purpose"],
                hearing["attendance_required"], hearing_id, now, correlation_id,
                rules.interpreter_after_postponement(hearing["interpreter_language"],
                                                     hearing["interpreter_status"]))
        emit(s, now, "legal.hearing_outcome", {
            "reference": hearing["reference"], "court_case_id": hearing["court_case_id"],
            "hearing_id": hearing_id, "court": hearing["court"], "outcome": outcome,
            "next_hearing_id": next_id, "recorded_at": now}, correlation_id)
        view = access.hearing_view(caller, queries.hearing(s, hearing_id))
        if next_id:
            view["next_hearing"] = access.hearing_view(caller, queries.hearing(s, next_id))
    return view


def set_interpreter(db: Database, caller: Caller, hearing_id: str, language, status,
                    *, clock=None) -> dict:
    """Book the interpreter the survivor needs at a hearing, or move the booking on (the legal
    team, while consent to legal help stands): the language and the status (requested ->
    booked -> done, or not_needed). The court sees it on the hearing. Codes only."""
    access.require_legal(caller)
    now = now_of(clock)
    with db.write() as s:
        hearing = queries.hearing_for_outcome(s, caller, hearing_id, now)
        rules.check_interpreter(hearing["status"], hearing["interpreter_status"], language, status)
        s.execute(update(hearings).where(hearings.c.id == hearing_id).values(
            interpreter_language=language, interpreter_status=status, updated_at=now))
        return access.hearing_view(caller, queries.hearing(s, hearing_id))


def list_hearings(db: Database, caller: Caller, from_date: str | None = None,
                  to_date: str | None = None, *, clock=None) -> list[dict]:
    """Hearings between two dates (inclusive; days in the courts' time zone), each role's slice
    (``access.hearing_rule``, applied by the query)."""
    if caller.role not in access.HEARING_READERS:
        raise Forbidden(f"role {caller.role} may not read hearings")
    start, end = rules.day_range(parse_date(from_date, "from") if from_date else None,
                                 parse_date(to_date, "to") if to_date else None)
    now = now_of(clock)
    query = queries.visible(caller, now).order_by(hearings.c.starts_at).limit(MAX_ROWS)
    if start is not None:
        query = query.where(hearings.c.starts_at >= start)
    if end is not None:
        query = query.where(hearings.c.starts_at < end)
    with db.read() as s:
        rows = [queries.hearing_dict(r) for r in s.execute(query).all()]
    # the query already applied the rule; checking each row again costs nothing and keeps a
    # future change to the query from widening a slice unnoticed
    return [access.hearing_view(caller, h) for h in rows if access.sees_hearing(caller, h, now)]


def send_due_reminders(db: Database, now: datetime,
                       lead: timedelta = rules.DEFAULT_REMINDER_LEAD,
                       limit: int = 100) -> int:
    """Queue ``legal.hearing_reminder`` for every hearing that became due; return how many.

    Safe with any number of replicas: each reminder is claimed by a conditional update
    (``reminder_sent_at IS NULL``) in the same transaction as its outbox row, so exactly one
    transaction wins a hearing and the event commits with the claim (SQLite serialises writers
    with BEGIN IMMEDIATE; PostgreSQL row locks make the loser see the claim, or skip the row).
    """
    due = queries.due_for_reminder(*rules.reminder_window(now, lead), limit)
    sent = 0
    with db.write() as s:
        if not db.sqlite:
            due = due.with_for_update(of=hearings, skip_locked=True)
        for row in s.execute(due).all():
            hearing = queries.hearing_dict(row)
            if not rules.reminder_is_due(
                    status=hearing["status"], attendance_required=hearing["attendance_required"],
                    starts_at=hearing["starts_at"], reminder_sent_at=None, now=now, lead=lead):
                continue
            claimed = s.execute(update(hearings).where(and_(hearings.c.id == hearing["id"],
                                                            hearings.c.reminder_sent_at.is_(None)))
                                .values(reminder_sent_at=now)).rowcount
            if claimed != 1:
                continue
            emit(s, now, "legal.hearing_reminder", {
                "reference": hearing["reference"], "hearing_id": hearing["id"],
                "court": hearing["court"], "starts_at": hearing["starts_at"],
                "time_zone": hearing["time_zone"],
                "due_at": rules.reminder_due_at(hearing["starts_at"], lead),
                "sent_at": now, "case_id": hearing["case_id"],
                **whom_it_concerns(s, hearing["case_id"])}, None)
            sent += 1
    if sent:
        log.info("queued %d hearing reminder(s)", sent)
    return sent
