"""The inbox: a person's notifications and their duty desk's, newest first, one per event (a
desk notification of an event they were told of in person is not shown twice), those about a
referral's status to the police only while the survivor's consent stands; and what they read."""

import json
from datetime import datetime

from sqlalchemy import and_, exists, func, insert, not_, or_, select, true
from sqlalchemy.exc import IntegrityError

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import InvalidInput, NotFound
from services.common.timeutil import iso
from services.contracts.vocabulary import NOTIFY_LANGUAGES

from ..domain.messages import render
from ..tables import inbox_reads, known_referrals, notifications
from .common import decode_cursor, encode_cursor, now_of
from .preferences import language_of

MAX_PAGE = 100
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def visible_to(caller: Caller, now: datetime):
    """The notifications in ``caller``'s inbox at ``now``."""
    n, personal = notifications.c, notifications.alias("personal")
    told_in_person = exists().where(and_(personal.c.event_id == n.event_id,
                                         personal.c.user_id == caller.user))
    desk = and_(n.user_id.is_(None), n.role == caller.role,
                or_(n.agency == caller.agency, n.agency.is_(None)),
                or_(n.exclude_user.is_(None), n.exclude_user != caller.user),
                not_(told_in_person))
    k = known_referrals.c
    consent = exists().where(and_(k.reference == n.reference,
                                  k.share_status_with_referrer.is_(True),
                                  or_(k.referrer_consent_until.is_(None),
                                      k.referrer_consent_until > now)))
    return and_(or_(n.user_id == caller.user, desk), or_(n.audience.is_(None), consent))


def _read_by(caller: Caller):
    r = inbox_reads.c
    return exists().where(and_(r.notification_id == notifications.c.id,
                               r.user_id == caller.user))


def list_inbox(db: Database, caller, *, language: str | None = None, unread_only: bool = False,
               cursor: str | None = None, limit: int = 50, values=None, clock=None) -> dict:
    """The caller's inbox, newest first, ``limit`` at a time (``next_cursor`` pages on), each
    with its text in ``language`` (else the caller's own, else English); and the unread
    count."""
    caller = Caller.from_dict(caller)
    if language is not None and language not in NOTIFY_LANGUAGES:
        raise InvalidInput(f"one of {', '.join(NOTIFY_LANGUAGES)}", field="language")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}", field="limit")
    now = now_of(clock)
    visible = visible_to(caller, now)
    conditions = [visible]
    if unread_only:
        conditions.append(not_(_read_by(caller)))
    if cursor:
        conditions.append(notifications.c.id < decode_cursor(cursor))
    n = notifications.c
    query = (select(n.id, n.moment, n.reference, n.link, n.params, n.urgent, n.created_at,
                    _read_by(caller).label("read"))
             .where(and_(true(), *conditions)).order_by(n.id.desc()).limit(limit + 1))
    with db.read() as s:
        rows = s.execute(query).all()
        unread = _unread(s, caller, visible)
        language = language or language_of(s, caller.user)
    page, more = rows[:limit], len(rows) > limit
    base = (getattr(values, "public_url", None) or DEFAULT_PUBLIC_URL).rstrip("/")
    items = []
    for r in page:
        _, text = render(r.moment, r.reference, base + r.link, language, json.loads(r.params))
        items.append({"id": r.id, "moment": r.moment, "reference": r.reference, "link": r.link,
                      "text": text, "urgent": bool(r.urgent), "created_at": iso(r.created_at),
                      "read": bool(r.read)})
    return {"items": items, "next_cursor": encode_cursor(page[-1].id) if more else None,
            "unread": unread}


def _unread(s, caller: Caller, visible) -> int:
    return s.execute(select(func.count()).select_from(notifications)
                     .where(and_(visible, not_(_read_by(caller))))).scalar_one()


def unread_count(db: Database, caller, *, clock=None) -> dict:
    """How many notifications of the caller's inbox they have not read."""
    caller = Caller.from_dict(caller)
    with db.read() as s:
        return {"unread": _unread(s, caller, visible_to(caller, now_of(clock)))}


def mark_read(db: Database, caller, notification_id, *, clock=None) -> dict:
    """Mark a notification of the caller's inbox read (again: no change); ``NotFound`` for one
    that is not in it."""
    caller = Caller.from_dict(caller)
    try:
        if isinstance(notification_id, (bool, float)):
            raise ValueError
        notification_id = int(notification_id)
    except (TypeError, ValueError):
        raise InvalidInput("a notification id", field="notification_id") from None
    if notification_id < 1:
        raise NotFound("no such notification in your inbox", field="notification_id")
    now = now_of(clock)
    with db.write() as s:
        found = s.execute(select(notifications.c.id).where(and_(
            notifications.c.id == notification_id, visible_to(caller, now)))).first()
        if found is None:
            raise NotFound("no such notification in your inbox", field="notification_id")
        try:
            with s.begin_nested():
                s.execute(insert(inbox_reads).values(notification_id=notification_id,
                                                     user_id=caller.user, read_at=now))
        except IntegrityError:
            pass  # read before
    return {"id": notification_id, "read": True}
