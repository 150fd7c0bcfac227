"""Making a notification and its email and SMS deliveries, inside the caller's transaction: the
one way every notification is made (events, hold warnings, failed deliveries)."""

import functools
import json
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError

from services.common.db import WriteTransaction, insert_into
from services.common.timeutil import aware

from ..domain import preferences as rules
from ..domain.moments import POLICE_AUDIENCE, Planned, consent_stands
from ..tables import deliveries, known_referrals, notifications, subscribers


def _delivery_prefs(row) -> dict:
    """What decides a subscriber's deliveries, read without opening their sealed contact
    details: whether they have an address (``True``), not what it is."""
    return {"email": bool(row.has_email), "phone": bool(row.has_phone),
            "time_zone": row.time_zone,
            "quiet_hours": ({"start": row.quiet_start, "end": row.quiet_end}
                            if row.quiet_start and row.quiet_end else None),
            "digest": {"enabled": bool(row.digest), "hour": row.digest_hour},
            "moments": json.loads(row.channels or "{}")}


_SUBSCRIBER = (subscribers.c.user_id, subscribers.c.time_zone, subscribers.c.quiet_start,
               subscribers.c.quiet_end, subscribers.c.digest, subscribers.c.digest_hour,
               subscribers.c.channels,
               subscribers.c.email.is_not(None).label("has_email"),
               subscribers.c.phone.is_not(None).label("has_phone"))


_PERSON = select(*_SUBSCRIBER).where(subscribers.c.user_id == bindparam("b_user"))


@functools.lru_cache(maxsize=None)
def _desk(of_agency: bool, excluding: bool):
    """The subscribers of a desk, built once per shape (at an agency or any, excluding one
    person or not): parameters ``b_role``, ``b_event``, ``b_agency``, ``b_exclude``."""
    personal = (select(notifications.c.user_id)
                .where(and_(notifications.c.event_id == bindparam("b_event"),
                            notifications.c.user_id.is_not(None))))
    conditions = [subscribers.c.role == bindparam("b_role"), subscribers.c.user_id.not_in(personal)]
    if of_agency:
        conditions.append(subscribers.c.agency == bindparam("b_agency"))
    if excluding:
        conditions.append(subscribers.c.user_id != bindparam("b_exclude"))
    return select(*_SUBSCRIBER).where(and_(*conditions)).order_by(subscribers.c.user_id)


def _subscribers_of(s: WriteTransaction, planned: Planned, event_id: str) -> list:
    """The people a notification's email and SMS may go to: the person it is addressed to, or
    every subscriber of the desk's role (at its agency; any agency for ``*``) except the one it
    excludes and those who got a personal notification of the same event."""
    r = planned.recipient
    if not r.is_desk:
        return s.execute(_PERSON, {"b_user": r.user_id}).all()
    query = _desk(r.agency is not None, r.exclude_user is not None)
    return s.execute(query, {"b_role": r.role, "b_event": event_id, "b_agency": r.agency,
                             "b_exclude": r.exclude_user}).all()


def make_notification(s: WriteTransaction, planned: Planned, *, event_id: str, now: datetime) -> int | None:
    """Make ``planned`` (a ``services.notify.domain.moments.Planned``) as a notification of
    ``event_id``, and its deliveries, in the caller's transaction ``s``.

    Once per (event_id, moment, recipient): a notification made before (a redelivered event,
    another replica) is left as it is and None returned; else the new notification's id.
    Deliveries: per person (the addressee, or the desk's subscribers less ``exclude_user`` and
    anyone with a personal notification of the same event, so make personal ones first), per
    channel they chose for the moment; ``not_before`` after their quiet hours unless urgent;
    a non-urgent email of a digest reader waits with status ``digest`` until their digest hour.
    """
    r = planned.recipient
    try:
        with s.begin_nested():
            result = s.execute(insert_into(notifications), dict(
                event_id=event_id, moment=planned.moment, recipient=r.key, user_id=r.user_id,
                role=r.role, agency=r.agency, exclude_user=r.exclude_user,
                reference=planned.reference, audience=planned.audience, link=planned.link,
                params=json.dumps(planned.params, sort_keys=True), urgent=planned.urgent,
                created_at=now))
    except IntegrityError:
        return None
    notification_id = result.inserted_primary_key[0]
    for row in _subscribers_of(s, planned, event_id):
        plan = rules.delivery_plan(_delivery_prefs(row), planned.moment, planned.urgent, now)
        for channel, status, not_before in plan:
            s.execute(insert_into(deliveries), dict(
                notification_id=notification_id, user_id=row.user_id, channel=channel,
                status=status, not_before=not_before, attempts=0, created_at=now))
    return notification_id


def make_all(s: WriteTransaction, planned: list[Planned], *, event_id: str, now: datetime) -> list[int]:
    """Make each of ``planned`` (personal ones first, so a desk's deliveries skip the people
    told in person); the ids of those made now."""
    made = []
    for p in sorted(planned, key=lambda p: p.recipient.is_desk):
        notification_id = make_notification(s, p, event_id=event_id, now=now)
        if notification_id is not None:
            made.append(notification_id)
    return made



_CONSENT = (select(known_referrals.c.share_status_with_referrer,
                   known_referrals.c.referrer_consent_until)
            .where(known_referrals.c.reference == bindparam("b_ref")))


def audience_allows(s, audience: str | None, reference: str | None, now: datetime) -> bool:
    """Whether a notification for ``audience`` about ``reference`` may still be shown or sent
    at ``now``: always without an audience; for the referring police, only while the survivor's
    consent to share status with them stands, as last learnt (``known_referrals``)."""
    if audience is None:
        return True
    if audience != POLICE_AUDIENCE or reference is None:
        return False
    row = s.execute(_CONSENT, {"b_ref": reference}).first()
    return row is not None and consent_stands(row.share_status_with_referrer,
                                              aware(row.referrer_consent_until), now)
