"""A resident's transfer to another provider's facility (docs/decisions/0038).

In one write transaction, every step guarded like the rest of the bed code: the beds are taken
at the new facility (a guarded UPDATE whose row count is checked; none free is a ``Conflict``
naming ``to_facility``) and freed at the old one, the placement moves with its provider, and the
freed beds are offered to the old provider's waitlist. The care plan goes with her only when she
consented to share her file with the new provider (``referral.consent_changed`` v2, kept in
``provider_consents``); otherwise the old provider's plan closes there and a new one opens at
the new facility. ``shelter.resident_transferred`` tells the referral service, whose timeline
for the same reference gains an entry naming both agencies.
"""

from datetime import datetime, timedelta

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.timeutil import aware, iso
from services.contracts.references import is_reference

from ..domain import placement as placement_rules
from ..domain import providers as rules
from ..domain.fields import check_staff_id
from ..domain.visibility import require_provider
from ..queries import beds as bed_queries
from ..queries import care as care_queries
from ..queries import consents as consent_queries
from ..queries import placements as placement_queries
from . import care_plans
from .admissions import offer_freed
from .common import at, emit
from .tasks import move_with_resident


def transfer(db: Database, caller: Caller, reference: str, to_facility: str, case_manager: str,
             correlation_id: str | None = None, hold: timedelta = placement_rules.DEFAULT_HOLD,
             *, now: datetime | None = None) -> dict:
    """Move an admitted resident of the caller's provider (an administrator: of any provider)
    to ``to_facility``, another provider's open facility of her population group, with
    ``case_manager`` (the receiving provider's staff id) managing her stay there."""
    caller.require("shelter", "admin")
    if not is_reference(reference):
        raise NotFound("no such resident", field="reference")
    if not isinstance(to_facility, str) or not to_facility:
        raise InvalidInput("the facility to move to", field="to_facility")
    check_staff_id(case_manager)
    now = at(now)
    with db.write() as s:
        p = placement_queries.for_update(s, reference)
        if p is None:
            raise NotFound("no such resident", field="reference")
        require_provider(caller, p.provider, "reference")
        target = _target(s, to_facility)
        group, beds = p.population_group, p.beds
        # both inventory rows locked in facility id order: two transfers in opposite
        # directions at once wait for each other instead of deadlocking (PostgreSQL)
        locked = {f: bed_queries.inventory(s, f, group, for_update=True)
                  for f in sorted({p.facility_id, to_facility})}
        inventory = locked[to_facility]
        rules.check_transfer(p.state, p.provider, group, target.provider, inventory is not None,
                             target.closed_at)
        if not bed_queries.take(s, to_facility, group, now, occupied=beds):
            raise Conflict(f"no {group} bed free for {beds} at facility {to_facility}",
                           field="to_facility")
        if not placement_queries.move(s, p.id, "admitted", facility_id=to_facility,
                                      provider=target.provider, case_manager=case_manager,
                                      updated_at=now):
            raise Conflict("the admission changed meanwhile; try again", field="reference")
        bed_queries.release(s, p.facility_id, group, now, occupied=beds)
        consent = consent_queries.of(s, reference, target.provider)
        shared = consent is not None and rules.plan_goes_along(consent.granted,
                                                               aware(consent.until), now)
        plan = care_queries.open_plan_of(s, p.id)
        if plan is not None and shared:
            care_queries.change_plan(s, plan.id, facility_id=to_facility,
                                     case_manager=case_manager, psychologist=None,
                                     updated_at=now, updated_by=caller.user[:100])
            plan_id = plan.id
        else:
            care_plans.close_plan(s, p.id, now)
            plan_id = care_plans.open_plan(s, p.id, reference, to_facility, case_manager, now,
                                           caller.user)
        move_with_resident(s, reference, plan_id if shared and plan else None, target.provider,
                           to_facility, now, caller.user)
        emit(s, now, "shelter.resident_transferred", {
            "reference": reference, "from_agency": p.provider, "to_agency": target.provider,
            "from_facility": p.facility_id, "to_facility": to_facility,
            "population_group": group, "beds": beds, "care_plan_shared": bool(shared and plan),
            "transferred_at": now}, correlation_id)
        offered = offer_freed(s, p.facility_id, group, now, correlation_id, hold)
    return {"reference": reference, "admission_id": p.id, "from_facility": p.facility_id,
            "to_facility": to_facility, "from_provider": p.provider,
            "to_provider": target.provider, "population_group": group, "beds": beds,
            "case_manager": case_manager, "care_plan_shared": bool(shared and plan),
            "plan_id": plan_id, "transferred_at": iso(now), "offered_to": offered}


def _target(s, facility_id: str):
    """The facility to move to: an unknown one is bad input naming ``to_facility``."""
    try:
        return bed_queries.facility(s, facility_id, "to_facility", for_update=True)
    except NotFound:
        raise InvalidInput(f"no facility {facility_id}", field="to_facility") from None
