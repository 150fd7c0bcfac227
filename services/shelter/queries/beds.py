"""Facilities and their bed counters. Every counter change is one guarded UPDATE whose row
count the caller checks, so the database decides whether the beds are still there."""

from datetime import datetime

from sqlalchemy import and_, bindparam, func, insert, select, update
from services.common.db import WriteTransaction

from services.common.errors import NotFound
from services.common.timeutil import iso

from ..domain import beds as rules
from ..tables import beds, capacity_history, facilities

REASON_MAX = 200


def key(facility_id: str, group: str):
    """The inventory row of one facility and population group."""
    return and_(beds.c.facility_id == facility_id, beds.c.population_group == group)


def free():
    """Free beds of an inventory row, as SQL (the domain's arithmetic on the columns)."""
    return rules.free_beds(beds.c.capacity, beds.c.occupied, beds.c.held, beds.c.out_of_service)


def facility(s: WriteTransaction, facility_id, field: str = "facility", *, for_update: bool = False):
    """The facility's row (id, name, provider, closed_at...); NotFound naming ``field`` when
    there is no such facility."""
    query = select(facilities).where(facilities.c.id == facility_id)
    row = s.execute(query.with_for_update() if for_update else query).first() \
        if isinstance(facility_id, str) else None
    if row is None:
        raise NotFound(f"no {field} {facility_id}", field=field)
    return row


def require_facility(s: WriteTransaction, facility_id: str) -> str:
    """The facility's name; NotFound when there is no such facility."""
    return facility(s, facility_id).name


def provider_of(s: WriteTransaction, facility_id: str) -> str | None:
    """The provider a facility belongs to, or None when there is no such facility."""
    return s.execute(select(facilities.c.provider).where(facilities.c.id == facility_id)
                     ).scalar_one_or_none()


def all_facilities(s: WriteTransaction, provider: str | None = None) -> list:
    """Every facility (of one provider when given), in id order."""
    if provider is None:
        return s.execute(_FACILITIES).all()
    return s.execute(_FACILITIES_OF, {"provider": provider}).all()


# built once: every shelter page lists the provider's facilities
_FACILITIES = select(facilities).order_by(facilities.c.id)
_FACILITIES_OF = _FACILITIES.where(facilities.c.provider == bindparam("provider"))


def add_facility(s: WriteTransaction, facility_id: str, name: str, provider: str, now: datetime,
                 manager: str | None = None) -> bool:
    """Create the facility; False (nothing changed) when one of that id exists."""
    if s.execute(select(facilities.c.id).where(facilities.c.id == facility_id)).first():
        return False
    s.execute(insert(facilities).values(id=facility_id, name=name[:200], provider=provider,
                                        manager=manager, created_at=now, updated_at=now))
    return True


def change_facility(s: WriteTransaction, facility_id: str, **values) -> None:
    """Rename, close or name the manager of a facility."""
    s.execute(update(facilities).where(facilities.c.id == facility_id).values(**values))


def beds_in_use(s: WriteTransaction, facility_id: str) -> int:
    """Beds occupied or held at a facility, every group."""
    return s.execute(select(func.coalesce(func.sum(beds.c.occupied + beds.c.held), 0))
                     .where(beds.c.facility_id == facility_id)).scalar_one()


def facility_view(r) -> dict:
    """A facility as its provider's staff and administrators see it."""
    return {"facility": r.id, "name": r.name, "provider": r.provider, "manager": r.manager,
            "status": "closed" if r.closed_at is not None else "open",
            "created_at": iso(r.created_at), "closed_at": iso(r.closed_at)}


def inventory(s: WriteTransaction, facility_id: str, group: str, *, for_update: bool = False):
    """The inventory row of a facility and group, or None."""
    query = select(beds).where(key(facility_id, group))
    return s.execute(query.with_for_update() if for_update else query).first()


def facility_inventory(s: WriteTransaction, facility_id: str) -> list:
    """Every inventory row of a facility, by group."""
    return s.execute(select(beds).where(beds.c.facility_id == facility_id)
                     .order_by(beds.c.population_group)).all()


_WITH_FREE = (select(beds.c.facility_id)
              .join(facilities, facilities.c.id == beds.c.facility_id)
              .where(and_(beds.c.population_group == bindparam("b_group"),
                          free() >= bindparam("b_needed"),
                          facilities.c.provider == bindparam("b_provider"),
                          facilities.c.closed_at.is_(None)))
              .order_by(beds.c.facility_id))


def facilities_with_free(s: WriteTransaction, group: str, needed: int, provider: str) -> list[str]:
    """A provider's open facilities with at least ``needed`` free beds of a group, in id order."""
    return s.execute(_WITH_FREE, {"b_group": group, "b_needed": needed,
                                  "b_provider": provider}).scalars().all()


_KEY = key(bindparam("b_facility"), bindparam("b_group"))
# built once, their values given at each execution (a statement built at each call cost more
# than running it on SQLite)
_TAKE = (update(beds)
         .where(and_(_KEY, free() >= bindparam("b_held") + bindparam("b_occupied")))
         .values(held=beds.c.held + bindparam("b_held"),
                 occupied=beds.c.occupied + bindparam("b_occupied"), updated_at=bindparam("b_now")))
_HOLD_TO_OCCUPIED = (update(beds).where(and_(_KEY, beds.c.held >= bindparam("b_n")))
                     .values(held=beds.c.held - bindparam("b_n"),
                             occupied=beds.c.occupied + bindparam("b_n"),
                             updated_at=bindparam("b_now")))


def take(s: WriteTransaction, facility_id: str, group: str, now: datetime, *, held: int = 0,
         occupied: int = 0) -> bool:
    """Take free beds as held or occupied; False (nothing changed) if not enough are free."""
    result = s.execute(_TAKE, {"b_facility": facility_id, "b_group": group, "b_held": held,
                               "b_occupied": occupied, "b_now": now})
    return result.rowcount == 1


def hold_to_occupied(s: WriteTransaction, facility_id: str, group: str, n: int, now: datetime) -> None:
    """Turn ``n`` held beds into occupied ones."""
    result = s.execute(_HOLD_TO_OCCUPIED, {"b_facility": facility_id, "b_group": group, "b_n": n,
                                           "b_now": now})
    if result.rowcount != 1:
        raise RuntimeError(f"bed counters of {facility_id}/{group} disagree with placements")


def release(s: WriteTransaction, facility_id: str, group: str, now: datetime, *, held: int = 0,
            occupied: int = 0) -> None:
    """Give held or occupied beds back."""
    result = s.execute(update(beds).where(and_(key(facility_id, group), beds.c.held >= held,
                                               beds.c.occupied >= occupied))
                       .values(held=beds.c.held - held, occupied=beds.c.occupied - occupied,
                               updated_at=now))
    if result.rowcount != 1:
        raise RuntimeError(f"bed counters of {facility_id}/{group} disagree with placements")


def add_inventory(s: WriteTransaction, facility_id: str, group: str, capacity: int, now: datetime) -> None:
    """The first capacity of a facility's group: nothing in use yet."""
    s.execute(insert(beds).values(facility_id=facility_id, population_group=group,
                                  capacity=capacity, occupied=0, held=0, out_of_service=0,
                                  updated_at=now))


def change_capacity(s: WriteTransaction, facility_id: str, group: str, capacity: int, now: datetime) -> bool:
    """Set the capacity unless beds in use meanwhile exceed it; False when nothing changed."""
    guard = and_(key(facility_id, group),
                 rules.free_beds(capacity, beds.c.occupied, beds.c.held, beds.c.out_of_service) >= 0)
    return s.execute(update(beds).where(guard).values(capacity=capacity, updated_at=now)).rowcount == 1


def change_out_of_service(s: WriteTransaction, facility_id: str, group: str, beds_out: int, reason,
                          until, now: datetime) -> bool:
    """Set the beds out of service unless they were taken meanwhile; False when nothing changed."""
    guard = and_(key(facility_id, group),
                 rules.free_beds(beds.c.capacity, beds.c.occupied, beds.c.held) >= beds_out)
    values = dict(out_of_service=beds_out, updated_at=now,
                  out_of_service_reason=clip(reason) if beds_out else None,
                  out_of_service_until=until if beds_out else None)
    return s.execute(update(beds).where(guard).values(**values)).rowcount == 1


def record_change(s: WriteTransaction, row, change: str, reason, user: str, now: datetime) -> None:
    """Append the inventory row as it now is to the capacity history, with who and why."""
    s.execute(insert(capacity_history).values(
        facility_id=row.facility_id, population_group=row.population_group, change=change,
        capacity=row.capacity, out_of_service=row.out_of_service, occupied=row.occupied,
        held=row.held, reason=clip(reason), changed_by=user[:100], changed_at=now))


def history(s: WriteTransaction, facility_id: str, limit: int) -> list:
    """A facility's capacity changes, latest first."""
    return s.execute(select(capacity_history).where(capacity_history.c.facility_id == facility_id)
                     .order_by(capacity_history.c.id.desc()).limit(limit)).all()


def all_inventory(s: WriteTransaction) -> list:
    """Every inventory row of an open facility with the facility's name and provider, by
    provider, facility and group."""
    return s.execute(select(beds, facilities.c.name, facilities.c.provider)
                     .join(facilities, facilities.c.id == beds.c.facility_id)
                     .where(facilities.c.closed_at.is_(None))
                     .order_by(facilities.c.provider, beds.c.facility_id,
                               beds.c.population_group)).all()


def clip(reason) -> str | None:
    """A reason as stored: trimmed, at most 200 characters, None when empty."""
    return (reason or "").strip()[:REASON_MAX] or None


def bed_view(r, name: str | None = None, provider: str | None = None) -> dict:
    """An inventory row's counts."""
    view = {"facility": r.facility_id, "population_group": r.population_group,
            "capacity": r.capacity, "out_of_service": r.out_of_service, "occupied": r.occupied,
            "held": r.held,
            "available": rules.available(r.capacity, r.occupied, r.held, r.out_of_service),
            "updated_at": iso(r.updated_at)}
    if name is not None:
        view["facility_name"] = name
    if provider is not None:
        view["provider"] = provider
    return view


def history_view(r) -> dict:
    """A capacity history row."""
    return {"population_group": r.population_group, "change": r.change, "capacity": r.capacity,
            "out_of_service": r.out_of_service, "occupied": r.occupied, "held": r.held,
            "reason": r.reason, "changed_by": r.changed_by, "changed_at": iso(r.changed_at)}
