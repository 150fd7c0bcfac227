"""Court cases: the query each caller's slice comes from, and the dict a row becomes."""

import json
from datetime import datetime

from sqlalchemy import insert, select
from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.timeutil import iso

from ..domain import access
from ..domain.inputs import check_id
from ..tables import cases, court_cases, court_status_history, eligible
from .eligibility import CONSENT_COLUMNS
from .filters import rule_clause

COLUMNS = {**CONSENT_COLUMNS, "court": court_cases.c.court}


def visible(caller: Caller, now: datetime):
    """Court cases with their referral and its consent, cut to what ``caller`` sees
    (``access.court_case_rule``)."""
    return (select(court_cases, cases.c.reference, *CONSENT_COLUMNS.values())
            .join(cases, cases.c.id == court_cases.c.case_id)
            .join(eligible, eligible.c.reference == cases.c.reference)
            .where(rule_clause(access.court_case_rule(caller, now), COLUMNS)))


def court_case_dict(row, reference: str) -> dict:
    """A court case row (charges decoded) with its referral's reference, and its consent
    fields when the row has them (``visible``)."""
    data = row._mapping
    return {"id": row.id, "case_id": row.case_id, "court": row.court, "case_number": row.case_number,
            "charges": json.loads(row.charges), "standing": row.standing, "status": row.status,
            "verdict": row.verdict, "updated_at": iso(row.updated_at), "reference": reference,
            **{name: data[name] for name in CONSENT_COLUMNS if name in data}}


def court_case_for(s: WriteTransaction, caller: Caller, court_case_id: str, now: datetime,
                   for_update: bool = False) -> dict:
    """The court case if ``caller`` may see it; ``Forbidden`` for a role without court cases,
    ``NotFound`` for one it may not see (another court's, or the consent is gone)."""
    query = visible(caller, now).where(court_cases.c.id == check_id(court_case_id, "court_case_id"))
    if for_update:
        query = query.with_for_update(of=court_cases)
    row = s.execute(query).first()
    return access.require_court_case(caller, court_case_dict(row, row.reference) if row else None,
                                     court_case_id, now)


def status_history(s: WriteTransaction, court_case_id: str) -> list[dict]:
    """Every status a court case went through, oldest first, with who set it."""
    rows = s.execute(select(court_status_history)
                     .where(court_status_history.c.court_case_id == court_case_id)
                     .order_by(court_status_history.c.id)).all()
    return [{"status": h.status, "verdict": h.verdict, "at": iso(h.at), "by": h.by_agency}
            for h in rows]


def record_status(s: WriteTransaction, court_case_id: str, status: str, verdict, at, caller: Caller) -> None:
    """Add a status to a court case's history."""
    s.execute(insert(court_status_history).values(court_case_id=court_case_id, status=status,
                                                  verdict=verdict, at=at, by_role=caller.role,
                                                  by_agency=caller.agency))
