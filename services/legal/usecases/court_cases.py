"""Court cases: the legal team files one for a legal case; the legal team and the court it is
at read it and move it along its status machine."""

import json

from sqlalchemy import and_, insert, select, update

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, Forbidden

from ..domain import access
from ..domain import court_case as rules
from ..domain import hearings as hearing_rules
from ..queries import hearings as hearing_queries
from ..queries.cases import case_row, whom_it_concerns
from ..queries.court_cases import (court_case_dict, court_case_for, record_status,
                                   status_history, visible)
from ..queries.filters import MAX_ROWS, row_by_id
from ..tables import court_cases, hearings
from .common import emit, new_id, now_of


def file_court_case(db: Database, caller: Caller, case_id: str, court: str, case_number: str,
                    charges: list, standing: str, status: str = "investigation",
                    correlation_id: str | None = None, *, clock=None) -> dict:
    """The legal team records a court case of a legal case (at ``investigation`` or ``filed``)."""
    access.require_legal(caller)
    rules.check_court_id(court)
    rules.check_case_number(case_number)
    charges = rules.normalise_charges(charges)
    rules.check_standing(standing)
    rules.check_initial(status)
    now = now_of(clock)
    with db.write() as s:
        case = case_row(s, caller, case_id, now)
        clash = s.execute(select(court_cases.c.id).where(and_(
            court_cases.c.court == court, court_cases.c.case_number == case_number))).first()
        if clash:
            raise Conflict(f"court {court} already has a case numbered {case_number}",
                           field="case_number")
        court_case_id = new_id()
        s.execute(insert(court_cases).values(
            id=court_case_id, case_id=case_id, court=court, case_number=case_number,
            charges=json.dumps(charges), standing=standing, status=status, verdict=None,
            created_at=now, updated_at=now))
        record_status(s, court_case_id, status, None, now, caller)
        emit(s, now, "legal.court_status_changed", {
            "reference": case.reference, "case_id": case_id, "court_case_id": court_case_id,
            "court": court, "status": status, "previous_status": None, "verdict": None,
            "changed_at": now, "lawyer": whom_it_concerns(s, case_id)["lawyer"]}, correlation_id)
        row = row_by_id(s, court_cases, court_case_id)
    return access.court_case_view(caller, court_case_dict(row, case.reference))


def list_court_cases(db: Database, caller: Caller, *, clock=None) -> list[dict]:
    """The legal team: every court case (while consent stands); a court: the cases at its own court."""
    if access.court_case_relation(caller) is None:
        raise Forbidden(f"role {caller.role} may not do this")
    query = visible(caller, now_of(clock)).order_by(court_cases.c.created_at.desc()).limit(MAX_ROWS)
    with db.read() as s:
        rows = s.execute(query).all()
    return [access.court_case_view(caller, court_case_dict(r, r.reference)) for r in rows]


def get_court_case(db: Database, caller: Caller, court_case_id: str, *, clock=None) -> dict:
    """A court case with its status history and hearings, as the caller may see them."""
    with db.read() as s:
        row = court_case_for(s, caller, court_case_id, now_of(clock))
        hearing_rows = s.execute(hearing_queries.with_referral()
                                 .where(hearings.c.court_case_id == court_case_id)
                                 .order_by(hearings.c.starts_at)).all()
        history = status_history(s, court_case_id)
    view = access.court_case_view(caller, row)
    view["status_history"] = history
    view["hearings"] = [access.hearing_view(caller, hearing_queries.hearing_dict(h))
                        for h in hearing_rows]
    return view


def change_court_status(db: Database, caller: Caller, court_case_id: str, status: str,
                        verdict: str | None = None, correlation_id: str | None = None, *,
                        clock=None) -> dict:
    """Move a court case along its status machine (the legal team, or the court it is at)."""
    now = now_of(clock)
    with db.write() as s:
        row = court_case_for(s, caller, court_case_id, now, for_update=True)
        rules.check_transition(row["status"], status, verdict)
        s.execute(update(court_cases).where(court_cases.c.id == court_case_id)
                  .values(status=status, verdict=verdict if status == "verdict" else row["verdict"],
                          updated_at=now))
        record_status(s, court_case_id, status, verdict, now, caller)
        emit(s, now, "legal.court_status_changed", {
            "reference": row["reference"], "case_id": row["case_id"], "court_case_id": court_case_id,
            "court": row["court"], "status": status, "previous_status": row["status"],
            "verdict": verdict, "changed_at": now,
            "lawyer": whom_it_concerns(s, row["case_id"])["lawyer"]}, correlation_id)
        cancelled = (_cancel_hearings_ahead(s, row, now, correlation_id) if status == "closed"
                     else 0)
        row = court_case_for(s, caller, court_case_id, now)
    return access.shape("court_case", caller.role,
                        {**access.court_case_view(caller, row), "hearings_cancelled": cancelled})


def _cancel_hearings_ahead(s, court_case: dict, now, correlation_id: str | None) -> int:
    """A court case closed: in its transaction, its hearings still scheduled ahead are
    cancelled (``hearing_rules.cancelled_by_closing``), each announced as a cancelled outcome,
    as a cancellation recorded by hand is (the shelter's accompaniment task of it is then not
    needed, the referral's timeline shows it). Returns how many."""
    rows = s.execute(select(hearings.c.id, hearings.c.status, hearings.c.starts_at)
                     .where(hearings.c.court_case_id == court_case["id"])
                     .with_for_update()).all()
    done = 0
    for hearing_id in hearing_rules.cancelled_by_closing([dict(r._mapping) for r in rows], now):
        if s.execute(update(hearings).where(and_(hearings.c.id == hearing_id,
                                                 hearings.c.status == "scheduled"))
                     .values(status="cancelled", updated_at=now)).rowcount != 1:
            continue
        emit(s, now, "legal.hearing_outcome", {
            "reference": court_case["reference"], "court_case_id": court_case["id"],
            "hearing_id": hearing_id, "court": court_case["court"], "outcome": "cancelled",
            "next_hearing_id": None, "recorded_at": now}, correlation_id)
        done += 1
    return done
