"""The shelter service's figures for a period (issue 10): counts, rates and day-measures only.

Admissions by population group; discharges by outcome; occupancy (bed-nights occupied over
bed-nights of capacity, capacity as recorded in the capacity history day by day); average
length of stay of the stays that ended in the period; first-week milestones due in the period,
done on time, late or not done by its end. No reference leaves the service.
"""

from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import and_, or_, select

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import parse_period
from services.common.stats import days_between, quartiles
from services.common.timeutil import aware
from services.contracts.vocabulary import DISCHARGE_OUTCOMES, MILESTONES, POPULATION_GROUPS

from .domain.visibility import VISIBILITY, shape
from .tables import capacity_history, care_milestones, placements

REPORT_ROLES = tuple(VISIBILITY["report"])
TRACKED_MILESTONES = tuple(m for m in MILESTONES if m != "case_manager_assigned")  # day 0, automatic
COMPLIANCE = ("on_time", "late", "not_done")


def report_figures(db: Database, caller: Caller, first_day: str, last_day: str) -> dict:
    """Admissions, discharges, occupancy, stays and milestones of the period (shelter staff and analysts)."""
    caller.require(*REPORT_ROLES)
    period = parse_period(first_day, last_day)
    start, end = period.start, period.end
    p, m = placements, care_milestones
    with db.read() as s:
        stays = s.execute(select(p.c.population_group, p.c.beds, p.c.admitted_at, p.c.discharged_at,
                                 p.c.outcome)
                          .where(and_(p.c.admitted_at.is_not(None), p.c.admitted_at < end,
                                      or_(p.c.discharged_at.is_(None), p.c.discharged_at >= start)))
                          ).all()
        capacity_rows = s.execute(select(capacity_history.c.facility_id,
                                         capacity_history.c.population_group,
                                         capacity_history.c.capacity, capacity_history.c.changed_at)
                                  .where(capacity_history.c.changed_at < end)
                                  .order_by(capacity_history.c.changed_at, capacity_history.c.id)).all()
        milestones = s.execute(select(m.c.code, m.c.due_at, m.c.done_at)
                               .where(and_(m.c.code.in_(TRACKED_MILESTONES), m.c.due_at >= start,
                                           m.c.due_at < end))).all()

    admissions, discharges = Counter(), Counter()
    occupied_nights, lengths = 0.0, []
    for stay in stays:
        admitted, discharged = aware(stay.admitted_at), aware(stay.discharged_at)
        if admitted >= start:
            admissions[stay.population_group] += 1
        if discharged is not None and discharged < end:
            discharges[stay.outcome or "other"] += 1
            lengths.append(days_between(admitted, discharged))
        overlap = days_between(max(admitted, start), min(discharged or end, end))
        occupied_nights += max(0.0, overlap) * stay.beds
    capacity_nights = _capacity_nights(capacity_rows, period)

    compliance: dict[str, Counter] = defaultdict(Counter)
    for row in milestones:
        done = aware(row.done_at)
        if done is None or done >= end:
            compliance[row.code]["not_done"] += 1
        elif done <= aware(row.due_at):
            compliance[row.code]["on_time"] += 1
        else:
            compliance[row.code]["late"] += 1

    return shape("report", caller.role, {
        "period": period.as_dict(),
        "admissions": {"total": sum(admissions.values()),
                       "by_group": {g: admissions.get(g, 0) for g in POPULATION_GROUPS}},
        "discharges": {"total": sum(discharges.values()),
                       "by_outcome": {o: discharges.get(o, 0) for o in DISCHARGE_OUTCOMES}},
        "occupancy": {"occupied_bed_nights": round(occupied_nights, 1),
                      "capacity_bed_nights": round(capacity_nights, 1),
                      "residents": len(stays)},
        "length_of_stay": {"n": len(lengths),
                           "mean_days": round(sum(lengths) / len(lengths), 1) if lengths else None,
                           **{k: v for k, v in quartiles(lengths).items() if k != "n"}},
        "milestones": {code: {c: compliance[code].get(c, 0) for c in COMPLIANCE}
                       for code in TRACKED_MILESTONES},
    })


def _capacity_nights(rows, period) -> float:
    """Sum over the period's days of the capacity in force at the end of each day."""
    current: dict[tuple[str, str], int] = {}
    rows = list(rows)
    i, total = 0, 0.0
    for n in range(period.days):
        day_end = period.start + timedelta(days=n + 1)
        while i < len(rows) and aware(rows[i].changed_at) < day_end:
            current[(rows[i].facility_id, rows[i].population_group)] = rows[i].capacity
            i += 1
        total += sum(current.values())
    return total
