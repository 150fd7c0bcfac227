"""The Human Trafficking Case Data Standard at the shelter (issue 21): staff record a resident's
codes on the plan (recruitment, means of control, exploitation, countries), and analysts take a
period's export in the standard's shape for a data collaborative, small cells left out (k = 11,
docs/decisions/0054). Codes only: no name, no reference, no date leaves in the export."""

from datetime import datetime

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import report_period

from services.contracts.htcds import LICENCE, SOURCE, VERSION

from ..domain import htcds as rules
from ..domain.visibility import VISIBILITY
from ..queries import care as care_queries
from ..queries import case_data as queries

EXPORT_ROLES = tuple(VISIBILITY["htcds"])  # the collaborative's audience (decision 0054)


def set_case_data(db: Database, caller: Caller, plan_id: int, codes, now: datetime) -> dict:
    """Record (replace) the plan's HTCDS codes; the plan must be open and the caller's
    provider's. Returns what is recorded."""
    caller.require("shelter")
    clean = rules.check_case_data(codes)
    with db.write() as s:
        care_queries.plan_still_open(s, caller, plan_id)
        queries.put(s, plan_id, clean, now, caller.user)
        return {"plan_id": plan_id, **queries.view(s, plan_id)}


def htcds_export(db: Database, caller: Caller, first_day: str, last_day: str) -> dict:
    """A whole calendar month, quarter or year of the network's cases in the standard's shape,
    every record of a combination of quasi-identifiers shared by fewer than 11 left out."""
    period = report_period(caller, EXPORT_ROLES, first_day, last_day)
    with db.read() as s:
        rows = queries.in_period(s, period)
    cases = [{**row, "status": rules.case_status(row["ended"], row["outcome"])}
             for row in rules.latest_per_stay(rows)]
    return {"standard": {"name": "Human Trafficking Case Data Standard (HTCDS)",
                         "source": SOURCE, "version": VERSION, "licence": LICENCE},
            "period": period.as_dict(), **rules.export(cases)}
