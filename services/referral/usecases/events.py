"""Events from the shelter and legal services, applied once each (``messaging.apply_once``):
the referral's status and timeline follow the shelter's decisions and placements, and its legal
timeline the legal service's court status and hearings."""

import logging

from sqlalchemy import bindparam, func, insert, select, update
from services.common.db import WriteTransaction

from services.common.clock import Clock
from services.common.db import Database
from services.common.errors import RetryLater
from services.common.messaging import add_to_outbox, apply_once
from services.common.timeutil import aware, iso
from services.contracts.decisions import reason_label
from services.contracts.envelope import make_event
from services.contracts.vocabulary import UNKNOWN

from ..domain import holders
from ..domain import lifecycle
from ..domain import partner_updates as partner_rules
from ..domain import referral as rules
from ..queries import load_for_update
from ..tables import (legal_updates, outbox, partner_updates, processed_events, referrals,
                      timeline)
from .retention import close
from .steps import SOURCE, add_timeline, announce_change, move

log = logging.getLogger(__name__)

def apply_event(db: Database, clock: Clock, body: dict) -> bool:
    """Extend the timeline from another service's event, once per ``event_id``.

    Returns False for an event this service does not act on, or has handled before.
    """
    return apply_once(db, processed_events, body, HANDLERS, clock.now())


def _on_received(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    row = load_for_update(s, payload["reference"])
    if row is None or row.status != "submitted":
        return  # stale: a later status is already recorded
    move(s, row, "received", payload["received_at"], payload["agency"], "Received by the shelter", now,
         correlation_id=envelope.get("correlation_id"))


def _on_screening_started(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """The holding provider started screening a received referral: the status and timeline
    say so, with the reason's code. Stale (already decided, withdrawn) changes nothing."""
    row = load_for_update(s, payload["reference"])
    if row is None:
        log.warning("screening of unknown referral %s ignored", payload["reference"])
        return
    row = _ensure_received(s, envelope, row, payload["started_at"], payload["agency"], now)
    if row.status != "received":
        log.info("referral %s: screening ignored, status is %s", row.reference, row.status)
        return
    code = payload["reason_code"]
    move(s, row, "screening", payload["started_at"], payload["agency"],
         f"Screening by the shelter: {reason_label(code)}", now, code,
         correlation_id=envelope.get("correlation_id"))


def _on_decision(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    decision = "accepted" if envelope["type"] == "shelter.referral_accepted" else "declined"
    row = load_for_update(s, payload["reference"])
    if row is None:
        log.warning("decision for unknown referral %s ignored", payload["reference"])
        return
    if decision == "accepted":
        _ensure_accepted(s, envelope, row, payload["decided_at"], payload["agency"], now)
        return
    row = _ensure_received(s, envelope, row, payload["decided_at"], payload["agency"], now)
    if row.status not in lifecycle.UNDECIDED or not lifecycle.can_move(row.status, decision):
        log.warning("referral %s: shelter %s ignored, status is %s", row.reference, decision, row.status)
        return
    # v2 carries the reason's code only; a v1 message still in flight may carry the staff's
    # text, which stays off the timeline (recorded as a reason not recorded)
    code = payload.get("reason_code") if envelope.get("version", 1) >= 2 else None
    move(s, row, decision, payload["decided_at"], payload["agency"],
         f"Declined: {reason_label(code)}", now, code or UNKNOWN,
         correlation_id=envelope.get("correlation_id"))
    _announce_decision(s, envelope, row, decision, payload["decided_at"], payload["agency"], now)


def _ensure_received(s: WriteTransaction, envelope: dict, row, at, agency: str, now):
    if row.status == "submitted":  # the receipt event may still be on its way
        row = move(s, row, "received", at, agency, "Received by the shelter", now,
                   correlation_id=envelope.get("correlation_id"))
    return row


def _ensure_accepted(s: WriteTransaction, envelope: dict, row, at, agency: str, now):
    """Record the acceptance once. The shelter's placement events (bed held, waitlisted,
    admitted) come from the acceptance's transaction or later, but consumers handle messages
    concurrently, so one of them may arrive first: it records the acceptance then, and the
    acceptance event arriving later finds the referral already past it and changes nothing.
    Returns the row, or None when the referral is no longer undecided (withdrawn, declined...)."""
    row = _ensure_received(s, envelope, row, at, agency, now)
    if row.status not in lifecycle.UNDECIDED:
        return row if row.status in lifecycle.PLACED else None
    row = move(s, row, "accepted", at, agency, "Accepted by the shelter", now,
               correlation_id=envelope.get("correlation_id"))
    _announce_decision(s, envelope, row, "accepted", at, agency, now)
    return row


def _announce_decision(s: WriteTransaction, envelope: dict, row, decision: str, at, shelter_agency: str,
                       now) -> None:
    current = dict(row._mapping)
    add_to_outbox(s, outbox, make_event(f"referral.{decision}", {
        "reference": row.reference, "decided_at": at,
        # consent as it stands now (withdrawn or expired: false), never the submission's
        "legal_consent": rules.consent_active(current, "legal_team", now),
        "referring_agency": row.referring_agency,
        "share_status_with_referrer": rules.consent_active(current, "referring_police", now),
        "shelter_agency": shelter_agency,
    }, source=SOURCE, correlation_id=envelope.get("correlation_id"), occurred_at=now))


# built once: every placement event and every offer runs them
_LATEST_ENTRY = select(func.max(timeline.c.at)).where(timeline.c.referral_id == bindparam("b_id"))
_SET_HOLDER = update(referrals).where(referrals.c.id == bindparam("b_id"))


def _placement_event(new_status: str, at_field: str, note):
    """A handler for a shelter placement event: move the referral to ``new_status`` when the
    lifecycle allows it from where it stands; a stale or out-of-order event changes nothing."""
    def handle(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
        row = load_for_update(s, payload["reference"])
        if row is None:
            log.warning("%s for unknown referral %s ignored", envelope["type"], payload["reference"])
            return
        at = payload[at_field]
        latest = s.execute(_LATEST_ENTRY, {"b_id": row.id}).scalar()
        if latest is not None and aware(at) < aware(latest):
            log.info("referral %s: %s older than its timeline; ignored", row.reference, envelope["type"])
            return
        row = _ensure_accepted(s, envelope, row, at, payload["agency"], now)
        if row is not None and row.status == "waitlisted" and new_status == "admitted":
            # admitted directly when a bed was free on arrival: the lifecycle leaves the
            # waitlist through accepted (waitlisted -> admitted is not a transition)
            row = move(s, row, "accepted", at, payload["agency"], "Off the waitlist: a bed was free",
                       now, correlation_id=envelope.get("correlation_id"))
        if row is None or not lifecycle.can_move(row.status, new_status):
            log.warning("referral %s: %s ignored, status is %s", payload["reference"],
                        envelope["type"], row.status if row is not None else "gone")
            return
        move(s, row, new_status, at, payload["agency"], note(payload), now,
             correlation_id=envelope.get("correlation_id"))
    return handle


def _held_note(p: dict) -> str:
    how = "offered from the waitlist" if p["offered_from_waitlist"] else "held"
    return (f"{p['beds']} {p['population_group']} bed(s) {how} at {p['facility']} until "
            f"{iso(p['expires_at'])}")


def _on_transferred(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """A resident moved to another provider's facility: the same reference, one timeline, an
    entry naming both agencies (the status stays admitted)."""
    row = load_for_update(s, payload["reference"])
    if row is None:
        log.warning("transfer of unknown referral %s ignored", payload["reference"])
        return
    if row.status != "admitted":
        log.warning("referral %s: transfer ignored, status is %s", row.reference, row.status)
        return
    plan = ("care plan handed over (the survivor consented)" if payload["care_plan_shared"]
            else "care plan not handed over (no consent to share with this provider)")
    add_timeline(s, row.id, payload["transferred_at"], payload["to_agency"], "admitted",
                 f"Transferred from {payload['from_agency']} ({payload['from_facility']}) to "
                 f"{payload['to_agency']} ({payload['to_facility']}); {plan}")
def _on_offered(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """A provider now holds the referral: the timeline names it (and why), and ``held_by``
    follows it unless a newer offer was recorded first. The status never moves back."""
    row = load_for_update(s, payload["reference"])
    if row is None:
        log.warning("offer of unknown referral %s ignored", payload["reference"])
        return
    at, agency = payload["offered_at"], payload["agency"]
    row = _ensure_received(s, envelope, row, at, agency, now)
    if holders.passed_on(payload["why"]):  # the first holder is the receipt's agency
        # an offer is made while the referral is received (undecided) at the shelter: so its
        # entry says, even when the new holder's acceptance was consumed first
        note = holders.offer_note(payload["why"], agency, payload.get("previous_agency"),
                                  payload.get("reason_code"))
        code = payload.get("reason_code") if payload["why"] == "declined" else None
        if row.status == "screening" and holders.is_newer_offer(at, row.held_since):
            # the previous holder's screening ends with the pass-on: the new holder receives it
            row = move(s, row, "received", at, agency, note, now, code,
                       correlation_id=envelope.get("correlation_id"))
        else:
            add_timeline(s, row.id, at, agency, holders.OFFERED_WHILE, note, code)
    if holders.is_newer_offer(at, row.held_since):
        s.execute(_SET_HOLDER, {"b_id": row.id, "held_by": agency, "held_since": at,
                                "unplaced_at": None, "updated_at": now})
    if payload["why"] == "escalated":  # no provider answered in time: the police may be told
        announce_change(s, row, "escalated", agency, now, envelope.get("correlation_id"))


def _on_unplaced(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """No provider is left: flagged to the admins once, on the timeline; status unchanged."""
    row = load_for_update(s, payload["reference"])
    if row is None or row.unplaced_at is not None:
        return
    previous = payload.get("previous_agency") or row.held_by
    add_timeline(s, row.id, payload["flagged_at"], previous or row.referring_agency, row.status,
                 holders.unplaced_note(previous))
    s.execute(update(referrals).where(referrals.c.id == row.id).values(
        unplaced_at=payload["flagged_at"], updated_at=now))


def _on_legal(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """A legal event extends the referral's legal timeline (court status, hearing dates)."""
    row = s.execute(select(referrals.c.id).where(referrals.c.reference == payload["reference"])).first()
    if row is None:
        log.warning("legal event %s for unknown referral %s ignored", envelope["type"],
                    payload["reference"])
        return
    entry = rules.legal_update(envelope["type"], payload, envelope["occurred_at"])
    s.execute(insert(legal_updates).values(referral_id=row.id, **entry))


def _on_partner_referral(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """A care-plan item referred to a partner agency moved: a row beside the timeline, shown to
    the provider's staff (``domain.partner_updates``); the referral's status stays."""
    row = s.execute(select(referrals.c.id).where(referrals.c.reference == payload["reference"])).first()
    if row is None:
        log.warning("%s for unknown referral %s ignored", envelope["type"], payload["reference"])
        return
    s.execute(insert(partner_updates).values(referral_id=row.id,
                                             **partner_rules.update_of(payload)))


class DischargeNotYetApplied(RetryLater):
    """``shelter.follow_up_ended`` overtook the discharge it follows (a discharge with no
    follow-up ends it in the same transaction; consumers run concurrently): raised so that the
    consumer hands the event back and retries it after a delay (docs/decisions/0013)."""


def _on_follow_up_ended(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """The shelter's follow-up after discharge ended: the discharged referral is closed with
    reason ``follow_up_ended`` (a timeline entry, ``referral.closed`` v2, an audit entry),
    through retention's closing step. Already closed: nothing changes."""
    row = load_for_update(s, payload["reference"])
    if row is None:
        log.warning("follow-up end of unknown referral %s ignored", payload["reference"])
        return
    if row.status == "admitted":
        raise DischargeNotYetApplied(f"referral {row.reference}: follow-up ended before its "
                                     "discharge was applied; retried")
    if row.status != "discharged":
        log.info("referral %s: follow-up end ignored, status is %s", row.reference, row.status)
        return
    close(s, row, "follow_up_ended", now, "referral.close_follow_up_ended",
          actor="system:follow-up")


HANDLERS = {
    "shelter.follow_up_ended": _on_follow_up_ended,
    "shelter.partner_referral_changed": _on_partner_referral,
    "shelter.referral_received": _on_received,
    "shelter.referral_accepted": _on_decision,
    "shelter.referral_declined": _on_decision,
    "shelter.referral_offered": _on_offered,
    "shelter.referral_unplaced": _on_unplaced,
    "shelter.screening_started": _on_screening_started,
    "shelter.waitlisted": _placement_event(
        "waitlisted", "waitlisted_at",
        lambda p: f"Waitlisted: no {p['population_group']} bed free for {p['beds']}"),
    "shelter.bed_held": _placement_event("bed_held", "held_at", _held_note),
    "shelter.hold_expired": _placement_event(
        "accepted", "expired_at",
        lambda p: f"Hold expired at {p['facility']}: the person did not arrive; beds offered on"),
    "shelter.admitted": _placement_event(
        "admitted", "admitted_at",
        lambda p: f"Admitted at {p['facility']}; case manager {p['case_manager']}"),
    "shelter.discharged": _placement_event(
        "discharged", "discharged_at", lambda p: f"Discharged: {p['outcome']}"),
    "shelter.resident_transferred": _on_transferred,

    "legal.case_opened": _on_legal,
    "legal.case_closed": _on_legal,
    "legal.case_reopened": _on_legal,
    "legal.court_status_changed": _on_legal,
    "legal.hearing_scheduled": _on_legal,
    "legal.hearing_outcome": _on_legal,
}
