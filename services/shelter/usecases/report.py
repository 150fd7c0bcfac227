"""The shelter's figures for a period (shelter staff and analysts): never a row or a reference."""

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import report_period

from ..domain.report import figures
from ..domain.visibility import VISIBILITY, shape
from ..queries import report as queries

REPORT_ROLES = tuple(VISIBILITY["report"])


def report_figures(db: Database, caller: Caller, first_day: str, last_day: str) -> dict:
    """Admissions, discharges, occupancy, stays and milestones of the period, cut to what the
    caller's role may see."""
    period = report_period(caller, REPORT_ROLES, first_day, last_day)
    with db.read() as s:
        rows = (queries.stays(s, period), queries.capacity_changes(s, period),
                queries.milestones_due(s, period))
    return shape("report", caller.role, figures(period, *rows))
