"""The legal service's figures for a period: counts only.

Legal cases opened in the period; court cases opened in the period by where they stood at its
end (services/legal/domain/figures.py). No reference, court number or charge leaves.
"""

from collections import Counter

from sqlalchemy import and_, func, select

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import report_period

from .domain.access import VISIBILITY, shape
from .domain.figures import COURT_OUTCOMES, court_outcome
from .tables import cases, court_cases, court_status_history

REPORT_ROLES = tuple(VISIBILITY["report"])


def report_figures(db: Database, caller: Caller, first_day: str, last_day: str) -> dict:
    """Legal cases and court cases opened in the period (shelter staff and analysts)."""
    period = report_period(caller, REPORT_ROLES, first_day, last_day)
    start, end = period.start, period.end
    h = court_status_history
    with db.read() as s:
        opened_cases = s.execute(select(func.count()).select_from(cases)
                                 .where(and_(cases.c.opened_at >= start, cases.c.opened_at < end))
                                 ).scalar_one()
        history = s.execute(select(h.c.court_case_id, h.c.status, h.c.verdict)
                            .join(court_cases, court_cases.c.id == h.c.court_case_id)
                            .where(and_(court_cases.c.created_at >= start,
                                        court_cases.c.created_at < end, h.c.at < end))
                            .order_by(h.c.court_case_id, h.c.at, h.c.id)).all()
    last: dict[str, tuple[str, str | None]] = {}
    verdicts: dict[str, str] = {}
    for row in history:
        last[row.court_case_id] = (row.status, row.verdict)
        if row.verdict:
            verdicts[row.court_case_id] = row.verdict
    outcomes = Counter(court_outcome(status, verdict or verdicts.get(cid))
                       for cid, (status, verdict) in last.items())
    return shape("report", caller.role, {
        "period": period.as_dict(),
        "legal_cases_opened": opened_cases,
        "court_cases": {"total": len(last),
                        "by_outcome": {o: outcomes.get(o, 0) for o in COURT_OUTCOMES}},
    })
