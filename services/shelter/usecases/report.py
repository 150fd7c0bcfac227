"""The shelter's figures for a period (shelter staff and analysts): never a row or a reference."""

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import report_period, spanning

from ..domain.report import figures, within
from ..domain.visibility import VISIBILITY, provider_scope, shape
from ..queries import report as queries

REPORT_ROLES = tuple(VISIBILITY["report"])


def report_figures(db: Database, caller: Caller, first_day: str, last_day: str) -> dict:
    """Admissions, discharges, occupancy, stays, milestones and follow-up outcomes of the
    period, cut to what the caller's role may see: shelter staff get their own provider's figures (the internal
    report), analysts the network's (which the gateway suppresses for the public)."""
    return report_figures_for(db, caller, [(first_day, last_day)])[0]


def report_figures_for(db: Database, caller: Caller, periods: list[tuple[str, str]]) -> list[dict]:
    """``report_figures`` of each of ``periods`` (``(first_day, last_day)``), in order, from one
    read of the rows they span: a public report asks for the 17 calendar periods of its year at
    once, and four queries per period were most of its time (68 for a public report)."""
    checked = [report_period(caller, REPORT_ROLES, first, last) for first, last in periods]
    span = spanning(checked)
    provider = provider_scope(caller)
    with db.read() as s:
        rows = (queries.stays(s, span, provider), queries.capacity_changes(s, span, provider),
                queries.milestones_due(s, span, provider),
                queries.follow_ups_made(s, span, provider))
    return [shape("report", caller.role, figures(period, *within(period, *rows)))
            for period in checked]
