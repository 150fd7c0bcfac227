"""The shelter's figures for a period (shelter staff and analysts): never a row or a reference."""

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import report_period

from ..domain.report import figures
from ..domain.visibility import VISIBILITY, provider_scope, shape
from ..queries import report as queries

REPORT_ROLES = tuple(VISIBILITY["report"])


def report_figures(db: Database, caller: Caller, first_day: str, last_day: str) -> dict:
    """Admissions, discharges, occupancy, stays, milestones and follow-up outcomes of the
    period, cut to what the caller's role may see: shelter staff get their own provider's figures (the internal
    report), analysts the network's (which the gateway suppresses for the public)."""
    period = report_period(caller, REPORT_ROLES, first_day, last_day)
    provider = provider_scope(caller)
    with db.read() as s:
        rows = (queries.stays(s, period, provider), queries.capacity_changes(s, period, provider),
                queries.milestones_due(s, period, provider),
                queries.follow_ups_made(s, period, provider))
    return shape("report", caller.role, figures(period, *rows))
