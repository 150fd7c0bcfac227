"""The HTCDS codes recorded for residents' plans (services/shelter/domain/htcds.py)."""

import json
from datetime import datetime

from sqlalchemy import and_, bindparam, insert, or_, select, update
from services.common.db import WriteTransaction

from services.common.period import Period
from services.common.timeutil import aware, iso

from ..domain.htcds import LISTS
from ..tables import care_plans, case_data, placements

JSON_COLUMNS = (*LISTS, "countries_of_exploitation")


def codes_of(row) -> dict:
    """A stored row's codes as the API gives them."""
    return {**{name: json.loads(getattr(row, name)) for name in JSON_COLUMNS},
            "country_of_origin": row.country_of_origin}


# built once: every view of a plan reads it
_OF_PLAN = select(case_data).where(case_data.c.plan_id == bindparam("plan_id"))


def view(s: WriteTransaction, plan_id: int) -> dict | None:
    """The plan's case data with who recorded it last and when; None before any is."""
    row = s.execute(_OF_PLAN, {"plan_id": plan_id}).first()
    if row is None:
        return None
    return {**codes_of(row), "updated_by": row.updated_by, "updated_at": iso(row.updated_at)}


def put(s: WriteTransaction, plan_id: int, codes: dict, now: datetime, user: str) -> None:
    """Record the plan's codes, replacing any recorded before."""
    values = {**{name: json.dumps(codes[name]) for name in JSON_COLUMNS},
              "country_of_origin": codes["country_of_origin"],
              "updated_by": user[:100], "updated_at": now}
    exists = s.execute(select(case_data.c.plan_id).where(case_data.c.plan_id == plan_id)).first()
    if exists:
        s.execute(update(case_data).where(case_data.c.plan_id == plan_id).values(**values))
    else:
        s.execute(insert(case_data).values(plan_id=plan_id, **values))


def in_period(s: WriteTransaction, period: Period) -> list[dict]:
    """The codes of the stays overlapping the period (admitted before its end, not discharged
    before its start), with the stay's population group and whether and how it ended by the
    period's end; every provider's (the network's export)."""
    p = placements
    rows = s.execute(
        select(case_data, p.c.id.label("admission_id"), p.c.population_group,
               p.c.discharged_at, p.c.outcome)
        .join(care_plans, care_plans.c.id == case_data.c.plan_id)
        .join(p, p.c.id == care_plans.c.admission_id)
        .where(and_(p.c.admitted_at.is_not(None), p.c.admitted_at < period.end,
                    or_(p.c.discharged_at.is_(None), p.c.discharged_at >= period.start)))).all()
    return [{**codes_of(r), "admission_id": r.admission_id, "population_group": r.population_group,
             "ended": r.discharged_at is not None and aware(r.discharged_at) < period.end,
             "outcome": r.outcome, "updated_at": aware(r.updated_at)} for r in rows]
