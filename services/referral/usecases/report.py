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
from services.common.period import report_period
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
    period = report_period(caller, REPORT_ROLES, first_day, last_day)
    start, end = period.start, period.end
    r, t = referrals, timeline
    scope = held_by_caller(caller, default_holder) if caller.role == "shelter" else true()
    with db.read() as s:
        # outcomes of the period's referrals: the statuses each reached before the period ended
        submitted = s.execute(
            select(r.c.id, r.c.referring_agency, r.c.submitted_at)
            .where(and_(r.c.submitted_at >= start, r.c.submitted_at < end, scope))).all()
        reached = defaultdict(set)
        for row in s.execute(select(t.c.referral_id, t.c.status)
                             .join(r, r.c.id == t.c.referral_id)
                             .where(and_(r.c.submitted_at >= start, r.c.submitted_at < end,
                                         t.c.at < end, scope))):
            reached[row.referral_id].add(row.status)
        # the first decision, admission and discharge of every referral, up to the end (a
        # referral taken off the waitlist gets a second "accepted" entry: the first counts)
        firsts = {}
        for row in s.execute(select(t.c.referral_id, t.c.status, t.c.at, r.c.submitted_at)
                             .join(r, r.c.id == t.c.referral_id)
                             .where(and_(t.c.status.in_(("accepted", "declined", "admitted",
                                                         "discharged")), t.c.at < end,
                                         scope))
                             .order_by(t.c.at, t.c.id)):
            kind = "decision" if row.status in ("accepted", "declined") else row.status
            firsts.setdefault((row.referral_id, kind), (aware(row.at), aware(row.submitted_at)))
        served_ids = {rid for (rid, kind) in firsts if kind == "admitted"} - {
            rid for (rid, kind), (at, _) in firsts.items() if kind == "discharged" and at < start}
        people = s.execute(select(r.c.id, r.c.stat_sex, r.c.stat_age_band, r.c.stat_nationality,
                                  r.c.stat_exploitation)
                           .where(r.c.id.in_(served_ids))).all() if served_ids else []

    by_source: dict[str, Counter] = defaultdict(Counter)
    for row in submitted:
        by_source[row.referring_agency][rules.outcome_of(reached[row.id])] += 1
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

