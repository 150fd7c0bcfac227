"""What the shelter does with other services' events: record submitted referrals, close
withdrawn ones and those the referral service closed, track its residents' hearings and the
legal and court cases that hold a referral's records. Each event is applied once per
``event_id`` (``messaging.apply_once``), in the transaction of its effect."""

import logging
from datetime import datetime, timedelta
from functools import partial

from services.common.db import WriteTransaction

from services.common.db import Database
from services.common.messaging import apply_once

from ..domain import accompaniment as hearing_rules
from ..domain import placement as rules
from ..domain import retention as retention_rules
from ..queries import beds as bed_queries
from ..queries import consents as consent_queries
from ..queries import hearings as hearing_queries
from ..queries import incoming as incoming_queries
from ..queries import legal_matters as legal_queries
from ..queries import placements as placement_queries
from ..queries import routing as provider_queries
from ..queries import tasks as task_queries
from ..tables import processed_events
from .admissions import offer_freed
from . import routing
from .common import at, emit
from .routing import Timing
from .tasks import drop_accompaniment, open_accompaniment

log = logging.getLogger(__name__)


def apply_event(db: Database, body: dict, *, agency: str, hold: timedelta = rules.DEFAULT_HOLD,
                now: datetime | None = None, timing: Timing | None = None) -> bool:
    """Act on another service's event once per ``event_id``; ``agency`` is this shelter's id
    (the network's default provider); ``timing`` when answers are due (routing).
    False when the event was applied before."""
    timing = timing or Timing(default_agency=agency)
    handlers = dict(HANDLERS, **{"referral.submitted": partial(on_submitted, timing=timing)})
    return apply_once(db, processed_events, body, handlers, agency, hold, at(now))


def on_submitted(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
                 now: datetime, timing: Timing | None = None) -> None:
    """The police submitted a referral: the shelter receives it, and it is offered to the
    provider it was addressed to or routed to the best fitting one (v2; v1 is routed)."""
    if not incoming_queries.add(s, p, now):
        return
    timing = timing or Timing(default_agency=agency)
    row = incoming_queries.for_update(s, p["reference"])
    offer = routing.first_offer(s, row, p.get("requested_provider"), timing, now)
    log.info("incoming referral %s recorded", p["reference"])
    emit(s, now, "shelter.referral_received", {
        "reference": p["reference"], "received_at": now, "agency": offer[0]},
        envelope.get("correlation_id"))
    routing.announce_first(s, p["reference"], offer, now, envelope.get("correlation_id"))


def on_agency_changed(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
                      now: datetime) -> None:
    """The directory registered or changed an agency: the shelter's copy of the providers."""
    provider_queries.record_provider(s, p, now)


def on_withdrawn(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
                 now: datetime) -> None:
    """The police withdrew: a received or accepted referral is withdrawn; its held beds are
    released and offered on; a waitlisted one leaves the list. An admitted person stays."""
    _call_off(s, envelope, p["reference"], "withdrawn", p["withdrawn_at"], agency, hold, now)


def on_closed(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
              now: datetime) -> None:
    """The referral service closed a referral that stopped moving (retention): as a withdrawal,
    what the shelter still holds for it is released, and its own status becomes closed. A
    closure after the shelter's own follow-up ended (v2 ``follow_up_ended``) has nothing left
    to release here."""
    if p.get("reason") == "follow_up_ended":
        return
    _call_off(s, envelope, p["reference"], "closed", p["closed_at"], agency, hold, now)


def on_legal_matter(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
                    now: datetime) -> None:
    """A legal or court case of a referral opened, closed or reopened: the shelter's legal
    hold."""
    change = retention_rules.matter_change(envelope["type"], p)
    if change is not None:
        legal_queries.record(s, p["reference"], *change)


def _call_off(s: WriteTransaction, envelope: dict, reference: str, status: str, at, agency: str,
              hold: timedelta, now: datetime) -> None:
    placement = placement_queries.for_update(s, reference)
    if placement is not None and placement.state in rules.STAYED:
        log.warning("referral %s %s while %s; placement kept", reference, status, placement.state)
        return
    incoming_queries.withdraw(s, reference, at, status)
    if placement is None or placement.state not in rules.RELEASABLE:
        return
    if not placement_queries.move(s, placement.id, placement.state, state="released", updated_at=now):
        return
    if placement.state == "held":
        bed_queries.release(s, placement.facility_id, placement.population_group, now,
                            held=placement.beds)
        offer_freed(s, placement.facility_id, placement.population_group, now,
                    envelope.get("correlation_id"), hold)


def _resident(s: WriteTransaction, reference: str) -> bool:
    return hearing_rules.is_resident(incoming_queries.status_of(s, reference))


def on_hearing_scheduled(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
                         now: datetime) -> None:
    """A resident's hearing was scheduled: the shelter tracks it."""
    if not _resident(s, p["reference"]) or hearing_queries.known(s, p["hearing_id"]):
        return
    hearing_queries.add(s, p, attendance_required=p["attendance_required"], status="scheduled",
                        task_status="none", updated_at=now)


def on_hearing_outcome(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
                       now: datetime) -> None:
    """A tracked hearing was held, postponed or cancelled (then no one accompanies anyone to
    it: its open task is not needed)."""
    hearing_queries.change(s, p["hearing_id"], status=p["outcome"], updated_at=now)
    if p["outcome"] in ("postponed", "cancelled"):
        drop_accompaniment(s, p["hearing_id"], now)


def on_hearing_reminder(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
                        now: datetime) -> None:
    """The reminder makes the hearing an accompaniment task (recorded even if the reminder
    overtook the hearing's own event)."""
    if not _resident(s, p["reference"]):
        return
    values = {"task_status": "to_arrange", "reminder_due_at": p["due_at"],
              "reminded_at": p["sent_at"], "updated_at": now}
    if not hearing_queries.change(s, p["hearing_id"], **values):
        hearing_queries.add(s, p, attendance_required=True, status="scheduled", **values)
    task = open_accompaniment(s, p["reference"], p["hearing_id"], p["starts_at"], agency, now)
    if task is None:  # reminded again: the task as it stands is the accompaniment's status
        existing = task_queries.of_hearing(s, p["hearing_id"])
        task_queries.keep_accompaniment_in_step(s, p["hearing_id"], existing["status"])
    log.info("hearing %s: accompaniment to arrange", p["hearing_id"])


def on_consent_changed(s: WriteTransaction, envelope: dict, p: dict, agency: str, hold: timedelta,
                       now: datetime) -> None:
    """The survivor's consent to share her file with one provider (``referral.consent_changed``
    v2, audience ``provider``): kept, the latest change winning, for a transfer to decide
    whether her care plan goes with her. Other audiences are the legal service's."""
    if p.get("audience") != "provider" or not p.get("agency"):
        return
    consent_queries.record(s, p["reference"], p["agency"], p["granted"], p.get("until"),
                           p["changed_at"])


# each handler gets (session, envelope, payload, agency, hold, now)
HANDLERS = {
    "referral.submitted": on_submitted,
    "referral.agency_changed": on_agency_changed,
    "referral.withdrawn": on_withdrawn,
    "referral.closed": on_closed,
    "referral.consent_changed": on_consent_changed,
    "legal.case_opened": on_legal_matter,
    "legal.case_closed": on_legal_matter,
    "legal.case_reopened": on_legal_matter,
    "legal.court_status_changed": on_legal_matter,
    "legal.hearing_scheduled": on_hearing_scheduled,
    "legal.hearing_outcome": on_hearing_outcome,
    "legal.hearing_reminder": on_hearing_reminder,
}
