"""Holds, admissions and discharges: the beds of accepted referrals.

Never overbooked (docs/decisions/0008): every bed counter changes by one guarded UPDATE whose
row count is checked, in the same short write transaction as the placement row and the outbox
event. On SQLite the transaction is ``BEGIN IMMEDIATE`` (one writer at a time, across
processes); on PostgreSQL the UPDATE takes the inventory row's lock and re-checks its condition
after any wait.
"""

import logging
from datetime import datetime, timedelta

from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, NotFound
from services.common.timeutil import iso
from services.contracts.references import is_reference

from ..domain import beds as bed_rules
from ..domain import follow_up as follow_up_rules
from ..domain import placement as rules
from ..domain import providers as provider_rules
from ..domain.visibility import require_provider
from ..domain.fields import check_staff_id
from ..queries import beds as bed_queries
from ..queries import care as care_queries
from ..queries import incoming as incoming_queries
from ..queries import placements as placement_queries
from . import care_plans, follow_ups
from .common import at, emit

log = logging.getLogger(__name__)
DEFAULT_HOLD = rules.DEFAULT_HOLD


def place(s: WriteTransaction, row, now: datetime, provider: str, correlation_id, hold: timedelta) -> dict:
    """Hold beds for a referral ``provider`` accepted in the first of that provider's open
    facilities of its group with enough free beds (guarded UPDATE, row count checked), else put
    it on that provider's waitlist. Another provider's beds are never taken."""
    group, needed = row.population_group, row.beds_needed
    for facility_id in bed_queries.facilities_with_free(s, group, needed, provider):
        if bed_queries.take(s, facility_id, group, now, held=needed):
            expires = rules.hold_deadline(now, hold)
            placement_queries.add(
                s, reference=row.reference, state="held", population_group=group,
                urgency=row.urgency, beds=needed, facility_id=facility_id, held_at=now,
                hold_expires_at=expires, updated_at=now, provider=provider)
            _emit_held(s, row.reference, facility_id, group, needed, now, expires, False,
                       provider, correlation_id)
            return {"state": "held", "facility": facility_id, "beds": needed,
                    "hold_expires_at": iso(expires)}
    placement_queries.add(s, reference=row.reference, state="waitlisted", population_group=group,
                          urgency=row.urgency, beds=needed, waitlisted_at=now, updated_at=now,
                          provider=provider)
    emit(s, now, "shelter.waitlisted", {
        "reference": row.reference, "population_group": group, "beds": needed,
        "urgency": row.urgency, "waitlisted_at": now, "agency": provider}, correlation_id)
    return {"state": "waitlisted", "population_group": group, "beds": needed,
            "reason": f"no {group} bed free for {needed} {'person' if needed == 1 else 'people'}; "
                      "waitlisted, the first free bed of the group is offered in waitlist order"}


def _emit_held(s, reference, facility_id, group, n, now, expires, from_waitlist, agency, correlation_id):
    emit(s, now, "shelter.bed_held", {
        "reference": reference, "facility": facility_id, "population_group": group, "beds": n,
        "held_at": now, "expires_at": expires, "offered_from_waitlist": from_waitlist,
        "agency": agency}, correlation_id)


def offer_freed(s: WriteTransaction, facility_id: str, group: str, now: datetime, correlation_id,
                hold: timedelta) -> list[str]:
    """Offer a facility's free beds of a group to its provider's waitlist, first in line first,
    until no waitlisted referral fits (a closed facility offers nothing). Returns the
    references that got a hold."""
    offered = []
    facility = bed_queries.facility(s, facility_id)
    if facility.closed_at is not None:
        return offered
    agency = facility.provider
    for _ in range(100):
        inv = bed_queries.inventory(s, facility_id, group, for_update=True)
        if inv is None:
            break
        free = bed_rules.free_beds(inv.capacity, inv.occupied, inv.held, inv.out_of_service)
        entries = [placement_queries.entry(r)
                   for r in placement_queries.waitlisted(s, group, agency)]
        entry = rules.next_in_line(entries, free)
        if entry is None:
            break
        expires = rules.hold_deadline(now, hold)
        if not placement_queries.hold_waitlisted(s, entry.reference, facility_id, now, expires,
                                                 agency):
            continue  # someone else placed it meanwhile; look again
        if not bed_queries.take(s, facility_id, group, now, held=entry.beds):
            raise RuntimeError("free beds vanished inside one transaction")
        _emit_held(s, entry.reference, facility_id, group, entry.beds, now, expires, True, agency,
                   correlation_id)
        offered.append(entry.reference)
    return offered


def expire_holds(db: Database, *, now: datetime | None = None,
                 hold: timedelta = DEFAULT_HOLD, limit: int = 100) -> list[str]:
    """Release every hold whose deadline passed and offer its beds on. Safe with any number of
    replicas running it at once: each hold is claimed by a guarded UPDATE (state still 'held',
    deadline passed) whose row count is checked, in its own short transaction, so an expiry
    applies once. Returns the references released by this call."""
    now = at(now)
    with db.read() as s:
        due = placement_queries.expired_holds(s, now, limit)
    expired = []
    for placement_id in due:
        with db.write() as s:
            p = placement_queries.expire(s, placement_id, now)
            if p is None:
                continue
            bed_queries.release(s, p.facility_id, p.population_group, now, held=p.beds)
            emit(s, now, "shelter.hold_expired", {
                "reference": p.reference, "facility": p.facility_id,
                "population_group": p.population_group, "beds": p.beds, "expired_at": now,
                "agency": p.provider})
            offer_freed(s, p.facility_id, p.population_group, now, None, hold)
        expired.append(p.reference)
        log.info("hold of %s at %s expired", p.reference, p.facility_id)
    return expired


def admit(db: Database, caller: Caller, facility_id: str, reference: str, case_manager: str,
          correlation_id: str | None = None, now: datetime | None = None) -> dict:
    """Turn this facility's hold into occupancy, or admit directly when a bed of the group is
    free. Only an accepted referral can be admitted. The resident's care plan opens in the same
    transaction, with the case manager named and the first-week milestones due from ``now``."""
    caller.require("shelter")
    check_staff_id(case_manager)
    if not is_reference(reference):
        raise NotFound("no such incoming referral", field="reference")
    now = at(now)
    with db.write() as s:
        facility = _own_facility(s, caller, facility_id)
        provider_rules.check_open(facility.closed_at)
        row = incoming_queries.for_update(s, reference)
        p = placement_queries.for_update(s, reference)
        if p is not None:
            require_provider(caller, p.provider, "reference")
        mode = rules.check_admission(row.status, p.state if p else None, p.facility_id if p else None,
                                     facility_id)
        group, n = row.population_group, row.beds_needed
        admitted = dict(state="admitted", admitted_at=now, case_manager=case_manager, updated_at=now)
        if mode == "from_hold":
            if not placement_queries.move(s, p.id, "held", **admitted):
                raise Conflict("the hold ended meanwhile; try again", field="reference")
            bed_queries.hold_to_occupied(s, facility_id, group, n, now)
            placement_id = p.id
        else:
            if not bed_queries.take(s, facility_id, group, now, occupied=n):
                raise Conflict(f"no {group} bed free for {n} at facility {facility_id}",
                               field="facility")
            admitted["facility_id"] = facility_id
            admitted["provider"] = facility.provider
            if p is None:
                placement_id = placement_queries.add(s, reference=reference, population_group=group,
                                                     urgency=row.urgency, beds=n, **admitted)
            else:
                if not placement_queries.move(s, p.id, p.state, **admitted):
                    raise Conflict("the placement changed meanwhile; try again", field="reference")
                placement_id = p.id
        plan_id = care_plans.open_plan(s, placement_id, reference, facility_id, case_manager, now,
                                       caller.user)
        emit(s, now, "shelter.admitted", {
            "reference": reference, "admission_id": placement_id, "facility": facility_id,
            "population_group": group, "beds": n, "case_manager": case_manager,
            "admitted_at": now, "agency": facility.provider}, correlation_id)
    return {"admission_id": placement_id, "reference": reference, "facility": facility_id,
            "population_group": group, "beds": n, "case_manager": case_manager,
            "admitted_at": iso(now), "state": "admitted", "plan_id": plan_id}


def discharge(db: Database, caller: Caller, facility_id: str, admission_id: int, outcome: str,
              correlation_id: str | None = None, hold: timedelta = DEFAULT_HOLD, *,
              now: datetime | None = None,
              follow_up_months: tuple[int, ...] = follow_up_rules.DEFAULT_MONTHS) -> dict:
    """Discharge a resident with an outcome; the beds are freed and offered to the waitlist,
    and her follow-up is scheduled (``follow_up_months`` after the discharge day), assigned to
    her plan's case manager, in the same transaction."""
    caller.require("shelter")
    rules.check_outcome(outcome)
    if not isinstance(admission_id, int) or isinstance(admission_id, bool):
        raise NotFound("no such admission", field="admission")
    now = at(now)
    with db.write() as s:
        _own_facility(s, caller, facility_id)
        p = placement_queries.admission_for_update(s, admission_id, facility_id)
        if p is None or p.admitted_at is None:
            raise NotFound(f"no admission {admission_id} at facility {facility_id}", field="admission")
        rules.check_discharge(p.state, outcome)
        if not placement_queries.move(s, p.id, "admitted", state="discharged", discharged_at=now,
                                      outcome=outcome, updated_at=now):
            raise Conflict("the admission changed meanwhile; try again", field="admission")
        bed_queries.release(s, facility_id, p.population_group, now, occupied=p.beds)
        plan = care_queries.open_plan_of(s, p.id)
        care_plans.close_plan(s, p.id, now)
        emit(s, now, "shelter.discharged", {
            "reference": p.reference, "admission_id": p.id, "facility": facility_id,
            "population_group": p.population_group, "beds": p.beds, "outcome": outcome,
            "discharged_at": now, "agency": p.provider}, correlation_id)
        schedule = follow_ups.schedule_at_discharge(
            s, p, facility_id, outcome, plan.case_manager if plan else p.case_manager, now,
            follow_up_months, correlation_id)
        offered = offer_freed(s, facility_id, p.population_group, now, correlation_id, hold)
    return {"admission_id": p.id, "reference": p.reference, "facility": facility_id,
            "population_group": p.population_group, "beds": p.beds, "outcome": outcome,
            "discharged_at": iso(now), "state": "discharged", "offered_to": offered,
            "follow_up": schedule}


def _own_facility(s: WriteTransaction, caller: Caller, facility_id: str, field: str = "facility"):
    """The facility's row, which must be the caller's provider's (shelter staff)."""
    facility = bed_queries.facility(s, facility_id, field)
    require_provider(caller, facility.provider, field)
    return facility
