"""The model of a realistic day (``bench/day.py``): from the shelter's first year to a country's
busiest hour, times 100, and the operations of that hour in stated proportions. Pure: no I/O.

The argument (bench/README.md, "A realistic day", says why each number):

1. One shelter took in 70 people in its first year.
2. A country's network: ``shelters`` shelters, each taking in as many people a year.
3. Each person taken in stands for ``referrals_per_person`` referrals (declined, referred on,
   withdrawn, passed to another provider).
4. The busiest day carries ``busiest_day_factor`` times an average day's referrals (a raid or a
   mass identification), and its busiest hour ``busiest_hour_share`` of that day's work.
5. The replay runs at ``multiplier`` (100) times that hour, and replays the whole busiest day:
   it lasts ``1 / (multiplier * busiest_hour_share)`` hours (3 minutes at 0.2).

Every operation is counted per referral of the hour (``OPERATIONS``): the other work of the
network (status polls, care plans, court updates, page views, reports) follows the referrals.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Assumptions:
    """The numbers the busiest hour is argued from (bench/README.md gives the reasons)."""
    people_first_year: int = 70        # the shelter's first year
    shelters: int = 40                 # shelters in the country's network
    referrals_per_person: float = 2.0  # referrals per person taken in
    busiest_day_factor: float = 4.0    # the busiest day against an average day
    busiest_hour_share: float = 0.2    # share of the busiest day's work in its busiest hour
    multiplier: float = 100.0          # the load is this many times the busiest hour


@dataclass(frozen=True)
class Operation:
    """One kind of request as a person (or their system) sends it."""
    name: str            # the endpoint as measured: "METHOD /path/{template}"
    role: str            # police, shelter, legal, court, analyst (the token or web user's)
    per_referral: float  # how many in the hour per referral of the hour
    waits: bool          # a person waits on the answer (target p99 <= 100 ms)
    why: str             # the reason for the count, for the README
    group: str = field(default="")  # police, shelter, care, legal, web, reports


def _op(group, name, role, per_referral, why, waits=True) -> Operation:
    return Operation(name, role, per_referral, waits, why, group)


# Per referral of the busiest hour. The counts are the reader's to challenge: each has its why.
OPERATIONS: tuple[Operation, ...] = (
    _op("police", "POST /api/v1/referrals", "police", 1, "the referral itself"),
    _op("police", "GET /api/v1/referrals/{reference}/status", "police", 12,
        "the officer's app polls the status_url while the shelter decides, about 12 times"),
    _op("police", "GET /api/v1/referrals", "police", 2, "the unit's list, twice per referral"),
    _op("police", "GET /api/v1/shelters/availability", "police", 2,
        "beds checked before calling and before sending"),
    _op("shelter", "GET /api/v1/shelter/incoming", "shelter", 4,
        "intake staff refresh what they hold, a few times per referral"),
    _op("shelter", "GET /api/v1/referrals/{reference}", "shelter", 1, "the file read before deciding"),
    _op("shelter", "POST /api/v1/referrals/{reference}/decision", "shelter", 1,
        "every referral is decided (7 in 10 accepted, 3 declined and passed on)"),
    _op("shelter", "POST /api/v1/shelters/{facility}/admissions", "shelter", 0.5,
        "one person admitted per two referrals (step 3)"),
    _op("shelter", "GET /api/v1/shelters/{facility}/board", "shelter", 1, "the bed board"),
    _op("care", "GET /api/v1/shelter/plans/{plan_id}", "shelter", 2,
        "a resident's plan read at each piece of work on it"),
    _op("care", "POST /api/v1/shelter/plans/{plan_id}/items", "shelter", 1, "a service added to a plan"),
    _op("care", "PUT /api/v1/shelter/plans/{plan_id}/items/{item_id}", "shelter", 1,
        "an item moved on (planned -> in progress -> done)"),
    _op("care", "POST /api/v1/shelter/plans/{plan_id}/milestones/{milestone}/done", "shelter", 0.5,
        "first-week milestones: two by hand per admission"),
    _op("care", "POST /api/v1/shelter/plans/{plan_id}/notes", "shelter", 1, "a case note"),
    _op("care", "GET /api/v1/shelter/milestones", "shelter", 0.3, "managers' who-is-late view"),
    _op("legal", "GET /api/v1/legal/eligible", "legal", 0.3, "the legal team's queue"),
    _op("legal", "POST /api/v1/legal/cases", "legal", 0.2,
        "one accepted referral in five becomes a legal case"),
    _op("legal", "GET /api/v1/legal/cases/{case_id}", "legal", 0.5, "a case read at each update"),
    _op("legal", "POST /api/v1/legal/cases/{case_id}/court-cases", "legal", 0.1,
        "half the cases go to court"),
    _op("legal", "POST /api/v1/court-cases/{court_case_id}/status", "court", 0.15,
        "court clerks move court cases on"),
    _op("legal", "POST /api/v1/court-cases/{court_case_id}/hearings", "court", 0.1,
        "a hearing scheduled per court case"),
    _op("legal", "POST /api/v1/hearings/{hearing_id}/outcome", "court", 0.05,
        "an outcome recorded for every other hearing"),
    _op("legal", "GET /api/v1/hearings", "legal", 0.2, "the hearings calendar"),
    _op("web", "GET /police/referrals", "police", 1, "the officer's list page"),
    _op("web", "GET /police/referrals/{reference}", "police", 1, "the officer's referral page"),
    _op("web", "GET /shelter/incoming", "shelter", 1, "the intake desk's page"),
    _op("web", "GET /shelter/referrals/{reference}", "shelter", 1, "the referral page at the desk"),
    _op("web", "GET /shelter/plans/{plan_id}", "shelter", 0.5, "a care plan's page"),
    _op("web", "GET /beds", "police", 0.5, "the beds page"),
    _op("web", "GET /legal/cases", "legal", 0.3, "the lawyer's cases page"),
    _op("web", "GET /hearings", "legal", 0.2, "the hearings page"),
    _op("reports", "GET /api/v1/reports/summary", "analyst", 0.05,
        "a monthly public report asked for, once per 20 referrals"),
    _op("reports", "GET /reports", "analyst", 0.05, "the reports page"),
)


def derivation(a: Assumptions = Assumptions()) -> dict:
    """Each step of the argument from the shelter's first year to the replayed hour."""
    people_year = a.people_first_year * a.shelters
    referrals_year = people_year * a.referrals_per_person
    average_day = referrals_year / 365
    busiest_day = average_day * a.busiest_day_factor
    busiest_hour = busiest_day * a.busiest_hour_share
    replayed_hour = busiest_hour * a.multiplier
    return {"people_per_year": people_year, "referrals_per_year": referrals_year,
            "referrals_average_day": round(average_day, 2),
            "referrals_busiest_day": round(busiest_day, 2),
            "referrals_busiest_hour": round(busiest_hour, 2),
            "referrals_per_hour_replayed": round(replayed_hour, 1),
            "replay_seconds": round(replay_seconds(a), 1)}


def replay_seconds(a: Assumptions = Assumptions()) -> float:
    """How long the busiest day lasts replayed at ``multiplier`` times its busiest hour."""
    return 3600.0 / (a.multiplier * a.busiest_hour_share)


def hourly_mix(a: Assumptions = Assumptions()) -> dict[str, float]:
    """Operations per hour at ``multiplier`` times the busiest hour, by operation name."""
    referrals = derivation(a)["referrals_busiest_hour"] * a.multiplier
    return {op.name: referrals * op.per_referral for op in OPERATIONS}


def proportions() -> dict[str, float]:
    """Each operation's share of all operations (they sum to 1)."""
    total = sum(op.per_referral for op in OPERATIONS)
    return {op.name: op.per_referral / total for op in OPERATIONS}


def operation(name: str) -> Operation:
    """The operation of that name."""
    return next(op for op in OPERATIONS if op.name == name)


def schedule(a: Assumptions = Assumptions(), *, scale: float = 1.0,
             seed: int = 22) -> list[tuple[float, str]]:
    """The open-loop plan: (seconds from the start, operation name), sorted by time. Each
    operation arrives as a Poisson process at its rate of the replayed hour; the plan lasts
    ``replay_seconds * scale`` (``scale`` < 1 for a shorter run at the same rates)."""
    rng = random.Random(seed)
    seconds = replay_seconds(a) * scale
    plan = []
    for name, per_hour in hourly_mix(a).items():
        rate = per_hour / 3600.0
        t = rng.expovariate(rate)
        while t < seconds:
            plan.append((t, name))
            t += rng.expovariate(rate)
    plan.sort()
    return plan


def percentile(sorted_samples: list[float], p: float) -> float:
    """The nearest-rank percentile of sorted samples (0 when there are none)."""
    if not sorted_samples:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_samples)))
    return sorted_samples[rank - 1]


def endpoint_figures(samples: dict[str, list[float]], errors: dict[str, int]) -> dict[str, dict]:
    """p50/p99 (ms), count and errors per endpoint, and whether the target holds for it."""
    out = {}
    for name in sorted(set(samples) | set(errors)):
        s = sorted(samples.get(name, []))
        op = operation(name)
        p99 = round(percentile(s, 99) * 1e3, 1)
        out[name] = {"count": len(s), "errors": errors.get(name, 0),
                     "p50_ms": round(percentile(s, 50) * 1e3, 1), "p99_ms": p99,
                     "max_ms": round(s[-1] * 1e3, 1) if s else 0.0, "waits": op.waits,
                     "met": (p99 <= 100.0 and errors.get(name, 0) == 0) if op.waits
                     else errors.get(name, 0) == 0}
    return out


def last_month(today: date) -> str:
    """The calendar month before ``today``'s, as ``YYYY-MM`` (a public report's period)."""
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first.year}-{first.month:02d}"
