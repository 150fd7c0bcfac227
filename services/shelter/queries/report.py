"""The rows the shelter's figures for a period are counted from."""

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.common.period import Period

from ..domain.report import TRACKED_MILESTONES
from ..tables import capacity_history, care_milestones, placements


def stays(s: Session, period: Period) -> list:
    """Admissions overlapping the period (admitted before its end, not discharged before it)."""
    p = placements
    return s.execute(select(p.c.population_group, p.c.beds, p.c.admitted_at, p.c.discharged_at,
                            p.c.outcome)
                     .where(and_(p.c.admitted_at.is_not(None), p.c.admitted_at < period.end,
                                 or_(p.c.discharged_at.is_(None),
                                     p.c.discharged_at >= period.start)))).all()


def capacity_changes(s: Session, period: Period) -> list:
    """Capacity changes before the period's end, in time order."""
    h = capacity_history
    return s.execute(select(h.c.facility_id, h.c.population_group, h.c.capacity, h.c.changed_at)
                     .where(h.c.changed_at < period.end)
                     .order_by(h.c.changed_at, h.c.id)).all()


def milestones_due(s: Session, period: Period) -> list:
    """Tracked milestones due in the period."""
    m = care_milestones
    return s.execute(select(m.c.code, m.c.due_at, m.c.done_at)
                     .where(and_(m.c.code.in_(TRACKED_MILESTONES), m.c.due_at >= period.start,
                                 m.c.due_at < period.end))).all()
