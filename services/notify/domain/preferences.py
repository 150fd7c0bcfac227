"""A person's notification preferences (docs/decisions/0042): the defaults, the checks of what
they save (each failure names its field, never echoes the value), and when and by which channels
a message may reach them: quiet hours in their own time zone, and the daily digest.

The shape is the API's::

    {"language": "en"|"ar"|"ckb", "email": str|None, "phone": "+<8-15 digits>"|None,
     "time_zone": IANA name, "quiet_hours": {"start": "HH:MM", "end": "HH:MM"} | None,
     "digest": {"enabled": bool, "hour": 0-23}, "moments": {"<moment>": ["email", "sms"]}}
"""

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.common.errors import InvalidInput
from services.contracts.vocabulary import NOTIFY_CHANNELS, NOTIFY_LANGUAGES, NOTIFY_MOMENTS

DEFAULT_TIME_ZONE = "Asia/Baghdad"
DEFAULT_DIGEST_HOUR = 8
OUTSIDE = ("email", "sms")           # the channels besides the always-on inbox
FIELDS = ("language", "email", "phone", "time_zone", "quiet_hours", "digest", "moments")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$")
PHONE = re.compile(r"^\+[0-9]{8,15}$")
CLOCK_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
CODE = re.compile(r"^[a-z_]{1,40}$")  # a moment code fit to name in a field


def defaults() -> dict:
    """What a person without saved preferences has: the inbox only, in English."""
    return {"language": "en", "email": None, "phone": None, "time_zone": DEFAULT_TIME_ZONE,
            "quiet_hours": None, "digest": {"enabled": False, "hour": DEFAULT_DIGEST_HOUR},
            "moments": {}}


def _bad(field: str, detail: str):
    return InvalidInput(detail, field=field)


def _text(value, field: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(field, f"{field} must be text of at most {limit} characters")
    return value.strip() or None


def _clock_time(value, field: str) -> str:
    if not isinstance(value, str) or not CLOCK_TIME.match(value):
        raise _bad(field, "a time of day as HH:MM (00:00 to 23:59)")
    return value


def validate(data) -> dict:
    """The preferences ``data`` describes, complete (a key left out takes its default), or
    ``InvalidInput`` naming the first bad field (``moments.<moment>`` for a channel without its
    address or an unknown moment). Never echoes a value."""
    if not isinstance(data, dict):
        raise _bad("preferences", "an object of preferences")
    for key in data:
        if key not in FIELDS:
            raise _bad(key if isinstance(key, str) and CODE.match(key) else "preferences",
                       "not a preference")
    out = defaults()
    language = data.get("language", "en")
    if language not in NOTIFY_LANGUAGES:
        raise _bad("language", f"one of {', '.join(NOTIFY_LANGUAGES)}")
    out["language"] = language
    email = _text(data.get("email"), "email", 254)
    if email is not None and not EMAIL.match(email):
        raise _bad("email", "not an email address")
    out["email"] = email
    phone = _text(data.get("phone"), "phone", 16)
    if phone is not None and not PHONE.match(phone):
        raise _bad("phone", "a phone number as + and 8 to 15 digits")
    out["phone"] = phone
    zone = data.get("time_zone") or DEFAULT_TIME_ZONE
    if not isinstance(zone, str) or len(zone) > 64 or not _known_zone(zone):
        raise _bad("time_zone", "an IANA time zone, e.g. Asia/Baghdad")
    out["time_zone"] = zone
    out["quiet_hours"] = _quiet_hours(data.get("quiet_hours"))
    out["digest"] = _digest(data.get("digest"))
    out["moments"] = _moments(data.get("moments"), email, phone)
    return out


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _quiet_hours(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad("quiet_hours", "start and end, or null")
    for key in value:
        if key not in ("start", "end"):
            raise _bad("quiet_hours", "only start and end")
    start = _clock_time(value.get("start"), "quiet_hours.start")
    end = _clock_time(value.get("end"), "quiet_hours.end")
    if start == end:
        raise _bad("quiet_hours.end", "quiet hours end at another time than they start")
    return {"start": start, "end": end}


def _digest(value) -> dict:
    if value is None:
        return {"enabled": False, "hour": DEFAULT_DIGEST_HOUR}
    if not isinstance(value, dict):
        raise _bad("digest", "enabled and hour")
    for key in value:
        if key not in ("enabled", "hour"):
            raise _bad("digest", "only enabled and hour")
    enabled = value.get("enabled", False)
    if not isinstance(enabled, bool):
        raise _bad("digest.enabled", "true or false")
    hour = value.get("hour", DEFAULT_DIGEST_HOUR)
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise _bad("digest.hour", "an hour from 0 to 23")
    return {"enabled": enabled, "hour": hour}


def _moments(value, email: str | None, phone: str | None) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad("moments", "moment codes, each with a list of channels")
    out = {}
    for moment, channels in value.items():
        field = f"moments.{moment}" if isinstance(moment, str) and CODE.match(moment) else "moments"
        if moment not in NOTIFY_MOMENTS:
            raise _bad(field, "not a moment")
        if not isinstance(channels, list) or any(c not in NOTIFY_CHANNELS for c in channels):
            raise _bad(field, f"a list of channels: {', '.join(NOTIFY_CHANNELS)}")
        chosen = [c for c in OUTSIDE if c in channels]   # "inbox" is always on: ignored
        if "email" in chosen and email is None:
            raise _bad(field, "email needs an email address")
        if "sms" in chosen and phone is None:
            raise _bad(field, "sms needs a phone number")
        if chosen:
            out[moment] = chosen
    return out


# --- when and how a message goes ----------------------------------------------------------------

def channels_for(prefs: dict | None, moment: str) -> tuple[str, ...]:
    """The outside channels (email, sms) ``prefs`` chose for ``moment`` and can reach; none
    without preferences (the inbox is always on and needs no delivery)."""
    if not prefs:
        return ()
    chosen = prefs.get("moments", {}).get(moment, ())
    reachable = {"email": prefs.get("email"), "sms": prefs.get("phone")}
    return tuple(c for c in OUTSIDE if c in chosen and reachable[c])


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _at_local(day, minutes: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time (a time skipped by a clock change moves on by the
    change: zoneinfo's fold rules)."""
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(timezone.utc)


def in_quiet_hours(prefs: dict | None, now: datetime) -> bool:
    """Whether ``now`` falls in the person's quiet hours (start inclusive, end exclusive; a
    window may run past midnight, 22:00 to 07:00)."""
    quiet = (prefs or {}).get("quiet_hours")
    if not quiet:
        return False
    local = now.astimezone(ZoneInfo(prefs["time_zone"]))
    minute = local.hour * 60 + local.minute
    start, end = _minutes(quiet["start"]), _minutes(quiet["end"])
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def send_after(prefs: dict | None, urgent: bool, now: datetime) -> datetime:
    """When a message may go: ``now``, or the end of the quiet hours it falls in. Urgent
    messages ignore quiet hours."""
    if urgent or not in_quiet_hours(prefs, now):
        return now
    zone = ZoneInfo(prefs["time_zone"])
    local = now.astimezone(zone)
    end = _minutes(prefs["quiet_hours"]["end"])
    day = local.date()
    if local.hour * 60 + local.minute >= end:   # in the evening part of a window past midnight
        day = day + timedelta(days=1)
    return max(now, _at_local(day, end, zone))


def is_digest(prefs: dict | None, urgent: bool, channel: str) -> bool:
    """A non-urgent email of a person who chose the daily digest waits for it."""
    return bool(prefs) and channel == "email" and not urgent and prefs["digest"]["enabled"]


def next_digest_at(prefs: dict, now: datetime) -> datetime:
    """The next time the person's digest goes out: their digest hour, local time, today if it is
    still ahead, else tomorrow."""
    zone = ZoneInfo(prefs["time_zone"])
    local = now.astimezone(zone)
    at = _at_local(local.date(), prefs["digest"]["hour"] * 60, zone)
    if at <= now:
        at = _at_local(local.date() + timedelta(days=1), prefs["digest"]["hour"] * 60, zone)
    return at


def delivery_plan(prefs: dict | None, moment: str, urgent: bool,
                  now: datetime) -> list[tuple[str, str, datetime]]:
    """The deliveries one notification makes for one person: (channel, status, not_before)
    per channel they chose for the moment; status ``digest`` (waiting for the daily digest) or
    ``pending``."""
    plan = []
    for channel in channels_for(prefs, moment):
        if is_digest(prefs, urgent, channel):
            plan.append((channel, "digest", next_digest_at(prefs, now)))
        else:
            plan.append((channel, "pending", send_after(prefs, urgent, now)))
    return plan
