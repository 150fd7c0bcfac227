"""The legal service's figures for a period: counts only.

Legal cases opened in the period; court cases opened in the period by where they stood at its
end (services/legal/domain/figures.py). No reference, court number or charge leaves.
"""

from collections import Counter

from sqlalchemy import and_, select

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import Period, report_period, spanning
from services.common.timeutil import aware

from .domain.access import VISIBILITY, shape
from .domain.figures import COURT_OUTCOMES, court_outcome
from .tables import cases, court_cases, court_status_history

REPORT_ROLES = tuple(VISIBILITY["report"])


def report_figures(db: Database, caller: Caller, first_day: str, last_day: str) -> dict:
    """Legal cases and court cases opened in the period (shelter staff and analysts)."""
    return report_figures_for(db, caller, [(first_day, last_day)])[0]


def report_figures_for(db: Database, caller: Caller, periods: list[tuple[str, str]]) -> list[dict]:
    """``report_figures`` of each of ``periods`` (``(first_day, last_day)``), in order, from one
    read of the rows they span (a public report asks for the 17 calendar periods of its year)."""
    checked = [report_period(caller, REPORT_ROLES, first, last) for first, last in periods]
    span = spanning(checked)
    h = court_status_history
    with db.read() as s:
        opened = [aware(at) for at in s.execute(
            select(cases.c.opened_at)
            .where(and_(cases.c.opened_at >= span.start, cases.c.opened_at < span.end))).scalars()]
        history = s.execute(select(h.c.court_case_id, h.c.status, h.c.verdict, h.c.at,
                                   court_cases.c.created_at)
                            .join(court_cases, court_cases.c.id == h.c.court_case_id)
                            .where(and_(court_cases.c.created_at >= span.start,
                                        court_cases.c.created_at < span.end, h.c.at < span.end))
                            .order_by(h.c.court_case_id, h.c.at, h.c.id)).all()
    return [shape("report", caller.role, _figures(period, opened, history)) for period in checked]


def _figures(period: Period, opened: list, history: list) -> dict:
    """One period's figures: the legal cases opened in it, and the court cases opened in it by
    where each stood at its end (its last status before the end; a verdict given earlier
    stands)."""
    start, end = period.start, period.end
    last: dict[str, tuple[str, str | None]] = {}
    verdicts: dict[str, str] = {}
    for row in history:
        if not (start <= aware(row.created_at) < end and aware(row.at) < end):
            continue
        last[row.court_case_id] = (row.status, row.verdict)
        if row.verdict:
            verdicts[row.court_case_id] = row.verdict
    outcomes = Counter(court_outcome(status, verdict or verdicts.get(cid))
                       for cid, (status, verdict) in last.items())
    return {
        "period": period.as_dict(),
        "legal_cases_opened": sum(1 for at in opened if start <= at < end),
        "court_cases": {"total": len(last),
                        "by_outcome": {o: outcomes.get(o, 0) for o in COURT_OUTCOMES}},
    }
