"""The notify service's figures for a period: counts only (administrators and analysts).

Notifications made in the period, by moment; email and SMS messages sent in the period and
those that could not be sent (made in the period, dead), by channel. No reference, no person.
"""

from sqlalchemy import and_, func, select

from services.common.caller import Caller
from services.common.db import Database
from services.common.period import report_period
from services.contracts.vocabulary import NOTIFY_MOMENTS

from .domain.preferences import OUTSIDE
from .tables import deliveries, notifications

REPORT_ROLES = ("admin", "analyst")


def report_figures(db: Database, caller: Caller, first_day: str, last_day: str) -> dict:
    """Notifications made by moment, and messages sent and dead by channel, in the period."""
    period = report_period(Caller.from_dict(caller), REPORT_ROLES, first_day, last_day)
    start, end = period.start, period.end
    n, d = notifications.c, deliveries.c
    with db.read() as s:
        made = dict(s.execute(select(n.moment, func.count())
                              .where(and_(n.created_at >= start, n.created_at < end))
                              .group_by(n.moment)).all())
        sent = dict(s.execute(select(d.channel, func.count())
                              .where(and_(d.status == "sent", d.sent_at >= start,
                                          d.sent_at < end))
                              .group_by(d.channel)).all())
        dead = dict(s.execute(select(d.channel, func.count())
                              .where(and_(d.status == "dead", d.created_at >= start,
                                          d.created_at < end))
                              .group_by(d.channel)).all())
    return {
        "period": period.as_dict(),
        "notifications": {"total": sum(made.values()),
                          "by_moment": {m: made.get(m, 0) for m in NOTIFY_MOMENTS}},
        "messages": {c: {"sent": sent.get(c, 0), "dead": dead.get(c, 0)} for c in OUTSIDE},
    }
