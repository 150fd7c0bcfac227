"""Incoming referrals and the shelter's decision on each."""

from datetime import datetime, timedelta

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, NotFound
from services.common.inputs import parse_date
from services.common.timeutil import iso
from services.contracts.references import is_reference

from ..domain import intake as rules
from ..domain import routing as routing_rules
from ..domain.placement import DEFAULT_HOLD
from ..queries import incoming as queries
from ..queries import routing as route_queries
from . import routing
from .admissions import place
from .common import at, emit
from .routing import Timing


def list_incoming(db: Database, caller: Caller, status: str | None = "received",
                  limit: int = 50, cursor: str | None = None) -> dict:
    """The referrals the caller's provider holds, in a status (every status when None): most
    urgent first, then newest first, ``limit`` at a time; ``next_cursor`` pages on."""
    caller.require("shelter")
    rules.check_status_filter(status)
    rules.check_page_size(limit)
    position = queries.read_cursor(cursor) if cursor else None
    with db.read() as s:
        rows = queries.listed(s, caller.agency, status, limit, position)
    page, more = rows[:limit], len(rows) > limit
    return {"items": [queries.incoming_view(r) for r in page],
            "next_cursor": queries.page_cursor(page[-1]) if more else None}


def decide(db: Database, caller: Caller, reference: str, decision: str, reason: str | None,
           correlation_id: str | None = None, hold: timedelta = DEFAULT_HOLD, *,
           now: datetime | None = None, reason_code: str | None = None,
           to: str | None = None, timing: Timing = Timing()) -> dict:
    """Accept, decline or refer on an incoming referral the caller's provider holds (another
    provider's staff get ``NotFound``); the referral service learns it by event.

    A decline needs a reason code (checked before the referral is read); the event carries the
    code, and ``reason``, the staff's own note, stays in this service. A decline passes the
    referral to the next fitting provider never offered it (``shelter.referral_offered``); only
    when none is left is it declined (``shelter.referral_declined``) and flagged to the admins.
    A refer-on (``to``, ``reason_code`` of REFER_ON_REASONS) passes it to the provider named.
    Accepting holds the beds the referral needs in a facility of its group in the same
    transaction, or waitlists it when none fits: a decision never leaves a referral accepted and
    unplaced, and two accepts can never take the same last bed. Every decision is a guarded
    update on the status *and* the holder read, so exactly one decision on a referral wins.
    """
    caller.require("shelter")
    rules.check_decision(decision, reason_code)
    if not is_reference(reference):
        raise NotFound("no such incoming referral", field="reference")
    now = at(now)
    with db.write() as s:
        row = queries.held_for_update(s, reference, caller.agency)
        rules.check_open(row.status, decision)
        determination = queries.best_interests_of(s, reference) if row.survivor_minor else None
        rules.check_placement_allowed(decision, row.survivor_minor,
                                      determination.outcome if determination else None)
        if decision == routing_rules.REFER_ON:
            passed_to = routing.refer_on(s, row, caller.agency, to, reason_code, timing, now,
                                         correlation_id)
            return {"reference": reference, "status": "referred_on", "decided_at": iso(now),
                    "held_by": passed_to}
        if decision == "decline":
            passed_to = routing.pass_on_after_decline(s, row, caller.agency, reason_code,
                                                      timing, now, correlation_id)
            if passed_to is not None:
                return {"reference": reference, "status": "declined", "decided_at": iso(now),
                        "held_by": passed_to}
        new_status = rules.decide(row.status, decision, reason_code)
        if not queries.record_decision(s, row, new_status, now, caller.user, reason, reason_code):
            raise Conflict("the referral was decided or passed on meanwhile", field="reference")
        if new_status == "accepted":
            route_queries.end_offer(s, reference, caller.agency, answered_at=now)
        emit(s, now, f"shelter.referral_{new_status}", {
            "reference": reference, "decided_at": now, "agency": caller.agency,
            "reason_code": reason_code}, correlation_id)
        if new_status == "declined" and routing_rules.declined_to_network(
                route_queries.offer_reasons(s, reference)):
            # the last provider declined a referral to the network: flagged to the admins
            routing.flag(s, reference, caller.agency, now, correlation_id)
        placement = None
        if new_status == "accepted":
            placement = place(s, row, now, caller.agency, correlation_id, hold)
    result = {"reference": reference, "status": new_status, "decided_at": iso(now),
              "held_by": caller.agency}
    if placement is not None:
        result["placement"] = placement
    return result


def start_screening(db: Database, caller: Caller, reference: str, reason_code: str | None,
                    correlation_id: str | None = None, *, now: datetime | None = None) -> dict:
    """The provider holding a received referral starts screening it before deciding, with a
    coded reason (another provider's staff get ``NotFound``). Its answer is then given: the
    escalation sweep no longer passes it on. The referral service learns it by event."""
    caller.require("shelter")
    rules.check_screening_reason(reason_code)
    if not is_reference(reference):
        raise NotFound("no such incoming referral", field="reference")
    now = at(now)
    with db.write() as s:
        row = queries.held_for_update(s, reference, caller.agency)
        rules.check_may_screen(row.status)
        if not queries.start_screening(s, row, now, caller.user, reason_code):
            raise Conflict("the referral was decided or passed on meanwhile", field="reference")
        emit(s, now, "shelter.screening_started", {
            "reference": reference, "agency": caller.agency, "reason_code": reason_code,
            "started_at": now}, correlation_id)
    return {"reference": reference, "status": rules.SCREENING, "reason_code": reason_code,
            "started_at": iso(now), "held_by": caller.agency}


def record_best_interests(db: Database, caller: Caller, reference: str, outcome,
                          assessed_on=None, *, now: datetime | None = None) -> dict:
    """The holding provider records the best-interests determination of a minor survivor's
    referral (who: the caller; when: ``assessed_on``, today by default; the outcome's code),
    before its placement decision; a later one replaces it. Codes only."""
    caller.require("shelter")
    now = at(now)
    day = parse_date(assessed_on, "assessed_on") if assessed_on is not None else now.date()
    rules.check_best_interests(outcome, day, now.date())
    if not is_reference(reference):
        raise NotFound("no such incoming referral", field="reference")
    with db.write() as s:
        row = queries.held_for_update(s, reference, caller.agency)
        rules.check_determinable(row.status, row.survivor_minor)
        queries.put_best_interests(s, reference, outcome, caller.user, day, now)
    return {"reference": reference, "outcome": outcome, "assessed_by": caller.user,
            "assessed_on": day.isoformat(), "recorded_at": iso(now)}
