"""Events of every service, each applied once (``messaging.apply_once``): what they say of a
referral is kept (who referred it, how urgent, whether the survivor lets the police see status,
who holds it), bed holds are watched until they end, and each moment becomes its notifications
and their deliveries in the same transaction."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from services.common.db import Database, WriteTransaction, insert_into
from services.common.messaging import apply_once
from services.common.timeutil import aware

from ..domain import moments
from ..tables import hold_watches, known_referrals, notifications, processed_events
from .common import now_of
from .notifications import audience_allows, make_all

log = logging.getLogger(__name__)


# --- what is known of a referral -------------------------------------------------------------

# Statements built once, their values given at each execution: every event runs several, and
# building one (SQLAlchemy's construction and cache key) cost more than running it on SQLite.
# An update's SET columns are the parameters' keys other than ``b_ref``.
_KNOWN = select(known_referrals).where(known_referrals.c.reference == bindparam("b_ref"))
_KNOWN_FOR_UPDATE = _KNOWN.with_for_update()
_UPDATE_KNOWN = update(known_referrals).where(known_referrals.c.reference == bindparam("b_ref"))
_HOLD_WATCH = (select(hold_watches.c.expires_at)
               .where(hold_watches.c.reference == bindparam("b_ref")).with_for_update())
_UPDATE_HOLD_WATCH = update(hold_watches).where(hold_watches.c.reference == bindparam("b_ref"))
_CLOSE_HOLD_WATCH = (update(hold_watches)
                     .where(and_(hold_watches.c.reference == bindparam("b_ref"),
                                 hold_watches.c.closed_at.is_(None)))
                     .values(closed_at=bindparam("b_now")))
_TOLD = (select(notifications.c.moment).distinct()
         .where(notifications.c.reference == bindparam("b_ref"),
                notifications.c.moment.in_(moments.TOLD_ONCE),
                notifications.c.event_id != bindparam("b_event")))


def known(s: WriteTransaction, reference: str, *, for_update: bool = False):
    """The referral as the events described it, or None."""
    return s.execute(_KNOWN_FOR_UPDATE if for_update else _KNOWN, {"b_ref": reference}).first()


def _keep(s: WriteTransaction, reference: str, now: datetime, **values) -> None:
    """Insert or update what is known of ``reference`` (None values leave a column as it is)."""
    values = {k: v for k, v in values.items() if v is not None}
    if known(s, reference, for_update=True) is None:
        try:
            with s.begin_nested():
                s.execute(insert_into(known_referrals),
                          {"reference": reference, "updated_at": now, **values})
            return
        except IntegrityError:  # another consumer kept it first: update theirs
            pass
    s.execute(_UPDATE_KNOWN, {"b_ref": reference, "updated_at": now, **values})


def _keep_consent(s: WriteTransaction, reference: str, share: bool, until, decided_at: datetime,
                  now: datetime) -> None:
    """Record the survivor's choice for the referring police unless a newer one is known."""
    row = known(s, reference, for_update=True)
    if row is not None and not moments.newer_consent(aware(row.referrer_consent_at), decided_at):
        return
    values = {"share_status_with_referrer": share, "referrer_consent_at": decided_at,
              "referrer_consent_until": until}
    if row is None:
        _keep(s, reference, now)
    s.execute(_UPDATE_KNOWN, {"b_ref": reference, "updated_at": now, **values})


# --- handlers --------------------------------------------------------------------------------

def on_submitted(s: WriteTransaction, envelope: dict, payload: dict, now: datetime, values) -> None:
    """Who referred it and how urgent it is."""
    _keep(s, payload["reference"], now, referring_agency=payload["referring_agency"],
          urgency=payload["urgency"])


def on_accepted(s: WriteTransaction, envelope: dict, payload: dict, now: datetime, values) -> None:
    """v2 says who referred and the survivor's choice at acceptance (v1 says neither)."""
    if envelope["version"] < 2:
        return
    _keep(s, payload["reference"], now, referring_agency=payload["referring_agency"])
    _keep_consent(s, payload["reference"], payload["share_status_with_referrer"], None,
                  payload["decided_at"], now)


def on_consent_changed(s: WriteTransaction, envelope: dict, payload: dict, now: datetime, values) -> None:
    """The survivor's new choice for the referring police (other audiences are not ours)."""
    if payload["audience"] != moments.POLICE_AUDIENCE:
        return
    _keep_consent(s, payload["reference"], payload["granted"], payload.get("until"),
                  payload["changed_at"], now)


def on_status_changed(s: WriteTransaction, envelope: dict, payload: dict, now: datetime, values) -> None:
    """A police-visible step: told to the officer and their unit while consent stands, as the
    event carries it, unless a newer choice is known."""
    ref = payload["reference"]
    _keep(s, ref, now, referring_agency=payload["referring_agency"],
          submitted_by=payload["submitted_by"], urgency=payload["urgency"])
    _keep_consent(s, ref, payload["share_status_with_referrer"], None, payload["changed_at"], now)
    consent = audience_allows(s, moments.POLICE_AUDIENCE, ref, now)
    told = frozenset(s.execute(_TOLD, {"b_ref": ref, "b_event": str(envelope["event_id"])})
                     .scalars())
    _make(s, envelope, moments.status_changed(payload, consent, told), now)


def on_referral_offered(s: WriteTransaction, envelope: dict, payload: dict, now: datetime, values) -> None:
    """A provider holds the referral now: its duty desk is told."""
    ref = payload["reference"]
    _keep(s, ref, now, holder=payload["agency"])
    row = known(s, ref)
    _make(s, envelope, moments.referral_offered(payload, row.urgency if row else None), now)


def on_bed_held(s: WriteTransaction, envelope: dict, payload: dict, now: datetime, values) -> None:
    """Watch the hold: its provider is warned before it expires unless the person arrives."""
    ref, expires_at = payload["reference"], payload["expires_at"]
    warn_at = expires_at - timedelta(minutes=values.hold_warning_minutes)
    watch = {"agency": payload["agency"], "expires_at": expires_at, "warn_at": warn_at,
             "warned_at": None, "closed_at": None}
    existing = s.execute(_HOLD_WATCH, {"b_ref": ref}).first()
    if existing is None:
        s.execute(insert_into(hold_watches), {"reference": ref, **watch})
    elif aware(existing.expires_at) != expires_at:   # held again: a new watch
        s.execute(_UPDATE_HOLD_WATCH, {"b_ref": ref, **watch})


def on_hold_over(s: WriteTransaction, envelope: dict, payload: dict, now: datetime, values) -> None:
    """The person arrived, the hold lapsed or the referral ended: no warning any more."""
    s.execute(_CLOSE_HOLD_WATCH, {"b_ref": payload["reference"], "b_now": now})


def _planner(plan):
    def handler(s: WriteTransaction, envelope: dict, payload: dict, now: datetime, values) -> None:
        _make(s, envelope, plan(payload), now)
    handler.__doc__ = plan.__doc__
    return handler


def _make(s: WriteTransaction, envelope: dict, planned: list, now: datetime) -> None:
    made = make_all(s, planned, event_id=str(envelope["event_id"]), now=now)
    if made:
        log.info("%d notification(s) of %s for %s made", len(made), planned[0].moment,
                 planned[0].reference)


HANDLERS = {
    "referral.submitted": on_submitted,
    "referral.accepted": on_accepted,
    "referral.consent_changed": on_consent_changed,
    "referral.status_changed": on_status_changed,
    "referral.withdrawn": on_hold_over,
    "referral.closed": on_hold_over,
    "shelter.referral_offered": on_referral_offered,
    "shelter.bed_held": on_bed_held,
    "shelter.admitted": on_hold_over,
    "shelter.hold_expired": on_hold_over,
    "shelter.milestone_overdue": _planner(moments.milestone_overdue),
    "shelter.task_changed": _planner(moments.task_changed),
    "legal.hearing_reminder": _planner(moments.hearing_reminder),
    "legal.court_status_changed": _planner(moments.court_status_changed),
}


def apply_event(db: Database, body: dict, values, *, clock=None) -> bool:
    """Apply an event once; False when not acted on (an unknown or unhandled type, or seen
    before)."""
    return apply_once(db, processed_events, body, HANDLERS, now_of(clock), values)
