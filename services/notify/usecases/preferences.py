"""A person's own notification preferences: read (the defaults until saved) and replaced whole.
The email address and phone number are sealed at rest and never logged."""

import json

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.db import Database

from ..domain import preferences as rules
from ..tables import subscribers
from .common import now_of


def shape_of(row) -> dict:
    """The preferences a subscriber row holds, in the API's shape."""
    if row is None:
        return rules.defaults()
    return {"language": row.language, "email": row.email, "phone": row.phone,
            "time_zone": row.time_zone,
            "quiet_hours": ({"start": row.quiet_start, "end": row.quiet_end}
                            if row.quiet_start and row.quiet_end else None),
            "digest": {"enabled": bool(row.digest), "hour": row.digest_hour},
            "moments": json.loads(row.channels or "{}")}


def language_of(s: Connection | WriteTransaction, user: str) -> str:
    """The language a person reads their messages in (English without preferences); reads no
    sealed column."""
    language = s.execute(select(subscribers.c.language)
                         .where(subscribers.c.user_id == user)).scalar_one_or_none()
    return language or "en"


def get_preferences(db: Database, caller, *, clock=None) -> dict:
    """The caller's preferences, or the defaults when they saved none."""
    caller = Caller.from_dict(caller)
    with db.read() as s:
        row = s.execute(select(subscribers).where(subscribers.c.user_id == caller.user)).first()
    return shape_of(row)


def save_preferences(db: Database, caller, preferences, *, clock=None) -> dict:
    """Replace the caller's preferences (their own only: the user, agency and role the gateway
    vouched for); ``InvalidInput`` naming the field on bad input, and then nothing changes."""
    caller = Caller.from_dict(caller)
    prefs = rules.validate(preferences)
    quiet = prefs["quiet_hours"] or {}
    row = {"agency": caller.agency, "role": caller.role, "language": prefs["language"],
           "email": prefs["email"], "phone": prefs["phone"],
           "channels": json.dumps(prefs["moments"], sort_keys=True),
           "quiet_start": quiet.get("start"), "quiet_end": quiet.get("end"),
           "time_zone": prefs["time_zone"], "digest": prefs["digest"]["enabled"],
           "digest_hour": prefs["digest"]["hour"], "updated_at": now_of(clock)}
    with db.write() as s:
        done = s.execute(update(subscribers).where(subscribers.c.user_id == caller.user)
                         .values(**row)).rowcount
        if not done:
            s.execute(insert(subscribers).values(user_id=caller.user, **row))
    return prefs
