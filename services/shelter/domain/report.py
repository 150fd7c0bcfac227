"""The shelter's figures for a period, from its rows: counts, rates and day-measures only. No I/O.

Admissions by population group; discharges by outcome; occupancy (bed-nights occupied over
bed-nights of capacity, capacity as recorded in the capacity history day by day); average
length of stay of the stays that ended in the period; first-week milestones due in the period,
done on time, late or not done by its end; follow-up contacts after discharge made in the
period, by outcome. No reference leaves the service.
"""

from collections import Counter, defaultdict
from datetime import timedelta

from services.common.period import Period
from services.common.stats import days_between, quartiles
from services.common.timeutil import aware
from services.contracts.vocabulary import (DISCHARGE_OUTCOMES, FOLLOW_UP_OUTCOMES, MILESTONES,
                                           POPULATION_GROUPS)

TRACKED_MILESTONES = tuple(m for m in MILESTONES if m != "case_manager_assigned")  # day 0, automatic
COMPLIANCE = ("on_time", "late", "not_done")


def within(period: Period, stays, capacity_changes, milestones, follow_ups) -> tuple:
    """Of rows read for a span of days that covers ``period``, those the report's queries select
    for the period alone: the stays overlapping it, the capacity changes before its end (their
    order kept), the milestones due in it and the follow-up contacts made in it."""
    start, end = period.start, period.end
    return ([r for r in stays if aware(r.admitted_at) < end
             and (r.discharged_at is None or aware(r.discharged_at) >= start)],
            [c for c in capacity_changes if aware(c.changed_at) < end],
            [m for m in milestones if start <= aware(m.due_at) < end],
            [f for f in follow_ups if f.contacted_on is not None
             and period.first_day <= f.contacted_on <= period.last_day])


def figures(period: Period, stays, capacity_changes, milestones, follow_ups=()) -> dict:
    """The period's figures from the stays overlapping it, the capacity changes before its end
    (in time order), the tracked milestones due in it and the follow-up contacts made in it."""
    start, end = period.start, period.end
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
    return {
        "period": period.as_dict(),
        "admissions": {"total": sum(admissions.values()),
                       "by_group": {g: admissions.get(g, 0) for g in POPULATION_GROUPS}},
        "discharges": {"total": sum(discharges.values()),
                       "by_outcome": {o: discharges.get(o, 0) for o in DISCHARGE_OUTCOMES}},
        "occupancy": {"occupied_bed_nights": round(occupied_nights, 1),
                      "capacity_bed_nights": round(capacity_nights(capacity_changes, period), 1),
                      "residents": len(stays)},
        "length_of_stay": {"n": len(lengths),
                           "mean_days": round(sum(lengths) / len(lengths), 1) if lengths else None,
                           **{k: v for k, v in quartiles(lengths).items() if k != "n"}},
        "milestones": milestone_compliance(milestones, end),
        "follow_ups": follow_up_outcomes(follow_ups, period),
    }


def follow_up_outcomes(contacts, period: Period) -> dict:
    """Follow-up contacts after discharge made in the period (by the day of the contact), by
    outcome code."""
    made = Counter(c.outcome for c in contacts
                   if c.contacted_on is not None
                   and period.first_day <= c.contacted_on <= period.last_day)
    return {"total": sum(made.get(o, 0) for o in FOLLOW_UP_OUTCOMES),
            "by_outcome": {o: made.get(o, 0) for o in FOLLOW_UP_OUTCOMES}}


def capacity_nights(changes, period: Period) -> float:
    """Sum over the period's days of the capacity in force at the end of each day."""
    current: dict[tuple[str, str], int] = {}
    changes = list(changes)
    i, total = 0, 0.0
    for n in range(period.days):
        day_end = period.start + timedelta(days=n + 1)
        while i < len(changes) and aware(changes[i].changed_at) < day_end:
            current[(changes[i].facility_id, changes[i].population_group)] = changes[i].capacity
            i += 1
        total += sum(current.values())
    return total


def milestone_compliance(milestones, end) -> dict:
    """Per tracked milestone: how many were done on time, late, or not done by ``end``."""
    compliance: dict[str, Counter] = defaultdict(Counter)
    for row in milestones:
        done = aware(row.done_at)
        if done is None or done >= end:
            compliance[row.code]["not_done"] += 1
        elif done <= aware(row.due_at):
            compliance[row.code]["on_time"] += 1
        else:
            compliance[row.code]["late"] += 1
    return {code: {c: compliance[code].get(c, 0) for c in COMPLIANCE} for code in TRACKED_MILESTONES}
