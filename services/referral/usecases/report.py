"""The referral service's figures for a period: counts and quartiles only.

Referrals submitted in the period by source (the referring agency) and outcome; the people
served (admitted before the period ends and not discharged before it starts) by sex and age
band, nationality and form of exploitation; quartiles of days from referral to decision and to
admission. Rows stay here; the answer holds counts, never a reference.
"""

from collections import Counter, defaultdict

from sqlalchemy import and_, select, true

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import report_period, spanning
from services.common.stats import days_between, quartiles
from services.common.timeutil import aware
from services.contracts.vocabulary import UNKNOWN

from ..domain import report as rules
from ..domain.visibility import VISIBILITY, shape
from ..queries import held_by_caller
from ..tables import referrals, timeline

REPORT_ROLES = tuple(VISIBILITY["report"])


def report_figures(db: Database, caller: Caller, first_day: str, last_day: str,
                   default_holder: str | None = None) -> dict:
    """Referrals, people served and day-quartiles of the period: shelter staff get those of the
    referrals their provider holds (``held_by``, which stays on the provider that accepted a
    referral; ``default_holder`` holds those nobody holds yet), analysts the network's (which
    the gateway suppresses for the public)."""
    return report_figures_for(db, caller, [(first_day, last_day)], default_holder)[0]


def report_figures_for(db: Database, caller: Caller, periods: list[tuple[str, str]],
                       default_holder: str | None = None) -> list[dict]:
    """``report_figures`` of each of ``periods`` (``(first_day, last_day)``), in order, from one
    read of the rows they span: a public report asks for the 17 calendar periods of its year at
    once, and reading the timeline once instead of 17 times is most of its cost."""
    checked = [report_period(caller, REPORT_ROLES, first, last) for first, last in periods]
    span = spanning(checked)
    rows = _rows(db, caller, span.start, span.end, default_holder)
    return [_figures(caller, period, rows) for period in checked]


def _rows(db: Database, caller: Caller, start, end, default_holder: str | None) -> dict:
    """What the figures of any period within ``[start, end)`` are counted from: the referrals
    submitted in it, the statuses each reached before ``end``, the first decision, admission
    and discharge of every referral before ``end``, and the statistical codes of those admitted."""
    r, t = referrals, timeline
    scope = held_by_caller(caller, default_holder) if caller.role == "shelter" else true()
    with db.read() as s:
        submitted = [(row.id, row.referring_agency, aware(row.submitted_at)) for row in s.execute(
            select(r.c.id, r.c.referring_agency, r.c.submitted_at)
            .where(and_(r.c.submitted_at >= start, r.c.submitted_at < end, scope)))]
        reached = defaultdict(list)  # referral id -> [(status, at)]
        for row in s.execute(select(t.c.referral_id, t.c.status, t.c.at)
                             .join(r, r.c.id == t.c.referral_id)
                             .where(and_(r.c.submitted_at >= start, r.c.submitted_at < end,
                                         t.c.at < end, scope))):
            reached[row.referral_id].append((row.status, aware(row.at)))
        # the first decision, admission and discharge of every referral (a referral taken off
        # the waitlist gets a second "accepted" entry: the first counts). The first before a
        # period's end is the first of all when that is before the end, else there is none.
        firsts = {}
        for row in s.execute(select(t.c.referral_id, t.c.status, t.c.at, r.c.submitted_at)
                             .join(r, r.c.id == t.c.referral_id)
                             .where(and_(t.c.status.in_(("accepted", "declined", "admitted",
                                                         "discharged")), t.c.at < end,
                                         scope))
                             .order_by(t.c.at, t.c.id)):
            kind = "decision" if row.status in ("accepted", "declined") else row.status
            firsts.setdefault((row.referral_id, kind), (aware(row.at), aware(row.submitted_at)))
        admitted = sorted({rid for (rid, kind) in firsts if kind == "admitted"})
        people = {}
        for chunk in range(0, len(admitted), 500):
            people.update((p.id, p) for p in s.execute(
                select(r.c.id, r.c.stat_sex, r.c.stat_age_band, r.c.stat_nationality,
                       r.c.stat_exploitation).where(r.c.id.in_(admitted[chunk:chunk + 500]))))
    return {"submitted": submitted, "reached": reached, "firsts": firsts, "people": people}


def _figures(caller: Caller, period, rows: dict) -> dict:
    """The figures of one period from ``_rows`` read for a span that holds it."""
    start, end = period.start, period.end
    firsts = {key: value for key, value in rows["firsts"].items() if value[0] < end}
    submitted = [(rid, source) for rid, source, at in rows["submitted"] if start <= at < end]
    served_ids = {rid for (rid, kind) in firsts if kind == "admitted"} - {
        rid for (rid, kind), (at, _) in firsts.items() if kind == "discharged" and at < start}
    people = [rows["people"][rid] for rid in sorted(served_ids) if rid in rows["people"]]

    by_source: dict[str, Counter] = defaultdict(Counter)
    for rid, source in submitted:
        reached = {status for status, at in rows["reached"].get(rid, ()) if at < end}
        by_source[source][rules.outcome_of(reached)] += 1
    sex_age: dict[str, Counter] = defaultdict(Counter)
    nationality, exploitation = Counter(), Counter()
    for p in people:
        sex_age[p.stat_sex or UNKNOWN][p.stat_age_band or UNKNOWN] += 1
        nationality[p.stat_nationality or UNKNOWN] += 1
        exploitation[rules.exploitation_category(p.stat_exploitation)] += 1

    def durations(kind):
        return quartiles(days_between(submitted_at, at)
                         for (rid, k), (at, submitted_at) in firsts.items()
                         if k == kind and start <= at < end)

    return shape("report", caller.role, {
        "period": period.as_dict(),
        "referrals": {"total": len(submitted),
                      "by_source": {src: dict(c) for src, c in sorted(by_source.items())}},
        "served": {"total": len(people),
                   "by_sex_age": {sex: dict(c) for sex, c in sorted(sex_age.items())},
                   "by_nationality": dict(sorted(nationality.items())),
                   "by_exploitation": dict(sorted(exploitation.items()))},
        "durations": {"referral_to_decision": durations("decision"),
                      "referral_to_admission": durations("admitted")},
    })
