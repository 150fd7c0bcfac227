"""Closing a legal case (the end of the legal hold), reopening one (the hold again) and the
legal service's retention sweep."""

from datetime import datetime

from sqlalchemy import and_, delete, func, select, update

from services.common import audit
from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict

from ..domain import access
from ..domain import legal_case as case_rules
from ..domain import retention as rules
from ..queries import cases as case_queries
from ..queries.cases import case_row, case_summary
from ..tables import (audit_log, case_status_history, cases, court_cases, disputes, documents,
                      hearings, notes, sessions)
from .attachments import STORE as ATTACHMENTS
from .common import emit, now_of

BATCH = 100


def close_case(db: Database, caller: Caller, case_id: str, reason_code: str,
               correlation_id: str | None = None, *, clock=None) -> dict:
    """The legal team closes a legal case whose court cases are all closed, saying why (a
    code); the referral service and the shelter learn it (``legal.case_closed`` v2) and lift
    their legal hold."""
    access.require_legal(caller)
    case_rules.check_closure_reason(reason_code)
    now = now_of(clock)
    with db.write() as s:
        row = case_row(s, caller, case_id, now)
        still_open = s.execute(select(func.count()).select_from(court_cases).where(and_(
            court_cases.c.case_id == row.id, court_cases.c.status != "closed"))).scalar_one()
        rules.check_close(row.status, still_open)
        _move(s, row, "open", "closed", reason_code, now, caller,
              closed_at=now, closure_reason=reason_code)
        emit(s, now, "legal.case_closed", {"reference": row.reference, "case_id": row.id,
                                           "closed_at": now, "reason_code": reason_code},
             correlation_id)
        return _answer(s, caller, row.id)


def reopen_case(db: Database, caller: Caller, case_id: str, reason_code: str,
                correlation_id: str | None = None, *, clock=None) -> dict:
    """The legal team reopens a closed legal case, saying why (a code), unless retention
    anonymised it; the legal hold stands again (``legal.case_reopened``)."""
    access.require_legal(caller)
    now = now_of(clock)
    with db.write() as s:
        row = case_row(s, caller, case_id, now)
        case_rules.check_reopen(row.status, row.anonymised_at is not None, reason_code)
        _move(s, row, "closed", "open", reason_code, now, caller,
              closed_at=None, closure_reason=None)
        emit(s, now, "legal.case_reopened", {"reference": row.reference, "case_id": row.id,
                                             "reopened_at": now, "reason_code": reason_code},
             correlation_id)
        return _answer(s, caller, row.id)


def _move(s, row, current: str, new: str, reason_code: str, now: datetime, caller: Caller,
          **values) -> None:
    """The case from ``current`` to ``new`` (guarded: a request that changed it meanwhile, or
    retention claiming it, wins and this one is refused) and its history row."""
    guard = and_(cases.c.id == row.id, cases.c.status == current)
    if new == "open":
        guard = and_(guard, cases.c.anonymised_at.is_(None))
    if s.execute(update(cases).where(guard).values(status=new, updated_at=now, **values)).rowcount != 1:
        raise Conflict(f"the legal case is no longer {current}", field="status")
    case_queries.record(s, case_status_history, case_rules.status_change(
        row.id, current, new, reason_code, now, caller.user, caller.role))


def _answer(s, caller: Caller, case_id: str) -> dict:
    row = s.execute(select(cases).where(cases.c.id == case_id)).first()
    return access.shape("legal_case", caller.role, {
        **case_summary(row), "status_history": case_queries.status_history(s, case_id)})


def anonymise_closed_cases(db: Database, now: datetime, older_than_days: float) -> int:
    """Anonymise the free text of legal cases closed more than ``older_than_days`` before
    ``now``; each case claimed once (``anonymised_at`` still empty, so several replicas may
    sweep) and audited. Returns how many cases."""
    cutoff = rules.cutoff(now, older_than_days)
    done = 0
    while True:
        with db.write() as s:
            ids = list(s.execute(select(cases.c.id).where(and_(
                cases.c.status == "closed", cases.c.closed_at < cutoff,
                cases.c.anonymised_at.is_(None))).order_by(cases.c.id).limit(BATCH)).scalars())
            if not ids:
                return done
            anonymised = [case_id for case_id in ids if _anonymise(s, case_id, now)]
            audit.append_many(s, audit_log, actor="system:retention", role="system",
                              agency="legal", action="legal_case.anonymise",
                              outcomes=[(f"legal_case:{i}", "ok") for i in anonymised], now=now)
            done += len(anonymised)


def _anonymise(s, case_id: str, now: datetime) -> bool:
    if not s.execute(update(cases).where(and_(cases.c.id == case_id, cases.c.anonymised_at.is_(None)))
                     .values(anonymised_at=now)).rowcount:
        return False  # another replica did it
    s.execute(delete(notes).where(notes.c.case_id == case_id))
    ATTACHMENTS.erase(s, [case_id])  # powers of attorney and summonses
    s.execute(update(sessions).where(sessions.c.case_id == case_id).values(topic=rules.ANONYMISED))
    s.execute(update(documents).where(documents.c.case_id == case_id)
              .values(authority=rules.ANONYMISED))
    s.execute(update(disputes).where(disputes.c.case_id == case_id)
              .values(employer=rules.ANONYMISED, outcome=None))
    court_ids = select(court_cases.c.id).where(court_cases.c.case_id == case_id)
    s.execute(update(hearings).where(hearings.c.court_case_id.in_(court_ids))
              .values(purpose=rules.ANONYMISED, outcome_note=None))
    for court in s.execute(select(court_cases.c.id, court_cases.c.charges)
                           .where(court_cases.c.case_id == case_id)).all():
        s.execute(update(court_cases).where(court_cases.c.id == court.id)
                  .values(charges=rules.charges_without_text(court.charges)))
    return True
