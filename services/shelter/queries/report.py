"""The rows the shelter's figures for a period are counted from."""

from sqlalchemy import and_, or_, select
from services.common.db import WriteTransaction

from services.common.period import Period

from ..domain.report import TRACKED_MILESTONES
from ..tables import (capacity_history, care_milestones, care_plans, facilities, follow_ups,
                      placements)

# Each query counts one provider's rows when given ``provider`` (its staff's internal report),
# every provider's otherwise (the network-wide figures, suppressed for the public audience).


def stays(s: WriteTransaction, period: Period, provider: str | None = None) -> list:
    """Admissions overlapping the period (admitted before its end, not discharged before it)."""
    p = placements
    query = (select(p.c.population_group, p.c.beds, p.c.admitted_at, p.c.discharged_at,
                    p.c.outcome)
             .where(and_(p.c.admitted_at.is_not(None), p.c.admitted_at < period.end,
                         or_(p.c.discharged_at.is_(None), p.c.discharged_at >= period.start))))
    if provider is not None:
        query = query.where(p.c.provider == provider)
    return s.execute(query).all()


def capacity_changes(s: WriteTransaction, period: Period, provider: str | None = None) -> list:
    """Capacity changes before the period's end, in time order."""
    h = capacity_history
    query = (select(h.c.facility_id, h.c.population_group, h.c.capacity, h.c.changed_at)
             .where(h.c.changed_at < period.end).order_by(h.c.changed_at, h.c.id))
    if provider is not None:
        query = query.join(facilities, facilities.c.id == h.c.facility_id).where(
            facilities.c.provider == provider)
    return s.execute(query).all()


def milestones_due(s: WriteTransaction, period: Period, provider: str | None = None) -> list:
    """Tracked milestones due in the period."""
    m = care_milestones
    query = (select(m.c.code, m.c.due_at, m.c.done_at)
             .where(and_(m.c.code.in_(TRACKED_MILESTONES), m.c.due_at >= period.start,
                         m.c.due_at < period.end)))
    if provider is not None:
        query = (query.join(care_plans, care_plans.c.id == m.c.plan_id)
                 .join(facilities, facilities.c.id == care_plans.c.facility_id)
                 .where(facilities.c.provider == provider))
    return s.execute(query).all()


def follow_ups_made(s: WriteTransaction, period: Period, provider: str | None = None) -> list:
    """Follow-up contacts recorded as made in the period (by the day of the contact)."""
    f = follow_ups
    query = select(f.c.outcome, f.c.contacted_on).where(and_(
        f.c.status == "recorded", f.c.contacted_on >= period.first_day,
        f.c.contacted_on <= period.last_day))
    if provider is not None:
        query = query.where(f.c.provider == provider)
    return s.execute(query).all()
