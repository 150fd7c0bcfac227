"""Placements: one row per referral, from the waitlist through a hold to an admission."""

from datetime import datetime

from sqlalchemy import and_, bindparam, select, update

from services.common.db import WriteTransaction, insert_into
from services.common.timeutil import aware, iso

from ..domain import placement as rules
from ..tables import placements


# built once; the SET columns of _MOVE are the parameters' keys other than the ``b_`` ones
_FOR_UPDATE = (select(placements).where(placements.c.reference == bindparam("b_ref"))
               .with_for_update())
_MOVE = update(placements).where(and_(placements.c.id == bindparam("b_id"),
                                      placements.c.state == bindparam("b_from")))


def for_update(s: WriteTransaction, reference: str):
    """The referral's placement, locked, or None."""
    return s.execute(_FOR_UPDATE, {"b_ref": reference}).first()


def move(s: WriteTransaction, placement_id: int, from_state: str, **values) -> bool:
    """Change a placement still in ``from_state``; False when it moved on meanwhile."""
    return s.execute(_MOVE, {"b_id": placement_id, "b_from": from_state, **values}).rowcount == 1


def waitlisted(s: WriteTransaction, group: str | None = None, provider: str | None = None) -> list:
    """Waitlisted rows, of one group or all, on one provider's waitlist or every one."""
    query = select(placements).where(placements.c.state == "waitlisted")
    if group:
        query = query.where(placements.c.population_group == group)
    if provider is not None:
        query = query.where(placements.c.provider == provider)
    return s.execute(query).all()


def entry(r) -> rules.WaitlistEntry:
    """A waitlisted row as the waitlist rules see it."""
    return rules.WaitlistEntry(r.reference, r.beds, r.urgency, aware(r.waitlisted_at), r.priority)


def active_at(s: WriteTransaction, facility_id: str) -> list:
    """Placements that take beds at a facility, by group, state and id."""
    return s.execute(select(placements).where(and_(placements.c.facility_id == facility_id,
                                                   placements.c.state.in_(rules.ACTIVE)))
                     .order_by(placements.c.population_group, placements.c.state,
                               placements.c.id)).all()


_ACTIVE_OF = select(placements.c.facility_id, placements.c.state).where(and_(
    placements.c.reference == bindparam("b_ref"), placements.c.state.in_(rules.ACTIVE)))


def active_of(s: WriteTransaction, reference: str):
    """(facility_id, state) of the referral's placement while it holds or occupies beds, or
    None: one row by the unique reference, whatever the facility's size."""
    return s.execute(_ACTIVE_OF, {"b_ref": reference}).first()


def at_facility(s: WriteTransaction, facility_id: str) -> list:
    """Every placement a facility ever had."""
    return s.execute(select(placements).where(placements.c.facility_id == facility_id)).all()


def place_view(p) -> dict:
    """A placement as the bed board and census show it (a reference, never a name)."""
    return {"reference": p.reference, "state": p.state, "population_group": p.population_group,
            "beds": p.beds, "admission_id": p.id if p.admitted_at else None,
            "case_manager": p.case_manager, "held_at": iso(p.held_at),
            "hold_expires_at": iso(p.hold_expires_at), "admitted_at": iso(p.admitted_at),
            "discharged_at": iso(p.discharged_at), "outcome": p.outcome}


def waitlist_view(r, group: str, position: int) -> dict:
    """A waitlisted row at its position in its group's order."""
    return {"reference": r.reference, "population_group": group, "position": position,
            "beds": r.beds, "urgency": r.urgency, "waitlisted_at": iso(r.waitlisted_at),
            "priority": r.priority, "priority_reason": r.priority_reason,
            "priority_set_by": r.priority_set_by, "priority_set_at": iso(r.priority_set_at)}


def add(s: WriteTransaction, **values) -> int:
    """A new placement; its id."""
    return s.execute(insert_into(placements), {"priority": 0, **values}).inserted_primary_key[0]


def hold_waitlisted(s: WriteTransaction, reference: str, facility_id: str, now: datetime,
                    expires: datetime, provider: str) -> bool:
    """Turn a waitlisted referral's entry on ``provider``'s waitlist into a hold; False when it
    left the list meanwhile."""
    return s.execute(update(placements).where(and_(placements.c.reference == reference,
                                                   placements.c.state == "waitlisted",
                                                   placements.c.provider == provider))
                     .values(state="held", facility_id=facility_id, held_at=now,
                             hold_expires_at=expires, updated_at=now)).rowcount == 1


def expired_holds(s: WriteTransaction, now: datetime, limit: int) -> list[int]:
    """Ids of holds whose deadline passed at ``now``, the oldest deadline first."""
    return s.execute(select(placements.c.id).where(and_(placements.c.state == "held",
                                                        placements.c.hold_expires_at <= now))
                     .order_by(placements.c.hold_expires_at).limit(limit)).scalars().all()


def expire(s: WriteTransaction, placement_id: int, now: datetime):
    """Claim one expired hold; the placement, or None when another replica expired it or the
    person was admitted meanwhile."""
    claimed = s.execute(update(placements).where(and_(
        placements.c.id == placement_id, placements.c.state == "held",
        placements.c.hold_expires_at <= now)).values(state="expired", updated_at=now)).rowcount
    if claimed != 1:
        return None
    return s.execute(select(placements).where(placements.c.id == placement_id)).first()


def admission_for_update(s: WriteTransaction, admission_id: int, facility_id: str):
    """The placement of an admission at a facility, locked, or None."""
    return s.execute(select(placements).where(and_(placements.c.id == admission_id,
                                                   placements.c.facility_id == facility_id))
                     .with_for_update()).first()


def prioritise(s: WriteTransaction, reference: str, priority: int, reason: str, user: str,
               now: datetime, provider: str | None = None) -> bool:
    """Set a waitlisted referral's priority with its reason; False when it is not waitlisted
    (on ``provider``'s waitlist, when given)."""
    guards = [placements.c.reference == reference, placements.c.state == "waitlisted"]
    if provider is not None:
        guards.append(placements.c.provider == provider)
    return s.execute(update(placements).where(and_(*guards))
                     .values(priority=priority, priority_reason=reason.strip()[:500],
                             priority_set_by=user[:100], priority_set_at=now,
                             updated_at=now)).rowcount == 1
