"""Closing a legal case (the end of the legal hold) and the legal service's retention sweep."""

from datetime import datetime

from sqlalchemy import and_, delete, func, select, update

from services.common import audit
from services.common.caller import Caller
from services.common.db import Database
from services.common.timeutil import iso

from ..domain import access
from ..domain import retention as rules
from ..queries.cases import case_row, case_summary
from ..tables import (audit_log, cases, court_cases, disputes, documents, hearings, notes,
                      sessions)
from .common import emit, now_of

BATCH = 100


def close_case(db: Database, caller: Caller, case_id: str, correlation_id: str | None = None,
               *, clock=None) -> dict:
    """The legal team closes a legal case whose court cases are all closed; the referral
    service and the shelter learn it (``legal.case_closed``) and lift their legal hold."""
    access.require_legal(caller)
    now = now_of(clock)
    with db.write() as s:
        row = case_row(s, caller, case_id, now)
        still_open = s.execute(select(func.count()).select_from(court_cases).where(and_(
            court_cases.c.case_id == row.id, court_cases.c.status != "closed"))).scalar_one()
        rules.check_close(row.status, still_open)
        s.execute(update(cases).where(and_(cases.c.id == row.id, cases.c.status == "open"))
                  .values(status="closed", closed_at=now, updated_at=now))
        emit(s, now, "legal.case_closed", {"reference": row.reference, "case_id": row.id,
                                           "closed_at": now}, correlation_id)
        row = s.execute(select(cases).where(cases.c.id == row.id)).first()
    return {**case_summary(row), "closed_at": iso(row.closed_at)}


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
            for case_id in ids:
                if _anonymise(s, case_id, now):
                    audit.append(s, audit_log, actor="system:retention", role="system",
                                 agency="legal", action="legal_case.anonymise",
                                 object=f"legal_case:{case_id}", outcome="ok", now=now)
                    done += 1


def _anonymise(s, case_id: str, now: datetime) -> bool:
    if not s.execute(update(cases).where(and_(cases.c.id == case_id, cases.c.anonymised_at.is_(None)))
                     .values(anonymised_at=now)).rowcount:
        return False  # another replica did it
    s.execute(delete(notes).where(notes.c.case_id == case_id))
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
