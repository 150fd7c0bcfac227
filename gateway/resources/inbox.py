"""Notifications (the notify service, docs/decisions/0042), for every signed-in role: the
caller's inbox (their own notifications and their duty desk's, newest first), marking one read,
the unread count, and the caller's own notification preferences (contact details, quiet hours,
the daily digest, and the channels per moment). The notify service checks the preferences again;
both name the refused field (``quiet_hours.start``, ``moments.referral_offered``)."""

import re
from functools import lru_cache
from zoneinfo import available_timezones

from marshmallow import ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from services.contracts.vocabulary import (NOTIFY_CHANNELS, NOTIFY_LANGUAGES, NOTIFY_MOMENTS,
                                           ROLES)

from .declare import FILTERED, INPUT, LISTING, ONE, Ctx, endpoint
from .shapes import Strict, answer, integers, numeric_id, one_of, strings

EVERYONE = ROLES  # every role has an inbox: its own notifications and its desk's

CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
PHONE = r"^\+[0-9]{8,15}$"
_CODE = re.compile(r"^[a-z_]{1,40}$")  # a moment code fit to name in a field


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA zone names this machine knows (read once: it scans the zone data)."""
    return frozenset(available_timezones())


def _known_zone(name: str) -> None:
    if name not in time_zones():
        raise ValidationError("not an IANA time zone name (e.g. Asia/Baghdad)")


# --- schemas ---------------------------------------------------------------------------------------

class InboxQuery(Strict):
    unread = fields.Boolean(load_default=False,
                            metadata={"description": "true: only the unread notifications"})
    cursor = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class QuietHours(Strict):
    start = fields.String(required=True, validate=validate.Regexp(
        CLOCK_TIME, error="a time of day as HH:MM (00:00 to 23:59)"),
        metadata={"description": "HH:MM in time_zone"})
    end = fields.String(required=True, validate=validate.Regexp(
        CLOCK_TIME, error="a time of day as HH:MM (00:00 to 23:59)"),
        metadata={"description": "HH:MM in time_zone; may be past midnight (22:00 to 07:00)"})

    @validates_schema
    def _not_empty(self, data, **_):
        if data.get("start") and data.get("start") == data.get("end"):
            raise ValidationError("quiet hours end at another time than they start",
                                  field_name="end")


class Digest(Strict):
    enabled = fields.Boolean(metadata={"description": "non-urgent email once a day (default false)"})
    hour = fields.Integer(strict=True, validate=validate.Range(min=0, max=23),
                          metadata={"description": "the local hour it goes out (default 8)"})


class MomentChannels(fields.Field):
    """``{"<moment>": ["email", "sms"], ...}``: each key a moment, each value a list of
    channels; an error names ``moments.<moment>`` (a key that is no code: ``moments``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("moment codes, each with a list of channels")
        if len(value) > len(NOTIFY_MOMENTS):
            raise ValidationError(f"at most {len(NOTIFY_MOMENTS)} moments")
        errors: dict = {}
        out = {}
        for moment, channels in value.items():
            name = moment if isinstance(moment, str) and _CODE.match(moment) else "_schema"
            if moment not in NOTIFY_MOMENTS:
                errors.setdefault(name, []).append("not a moment")
            elif not isinstance(channels, list) or len(channels) > len(NOTIFY_CHANNELS) or any(
                    channel not in NOTIFY_CHANNELS for channel in channels):
                errors.setdefault(name, []).append(
                    f"a list of channels: {', '.join(NOTIFY_CHANNELS)}")
            else:
                out[moment] = list(dict.fromkeys(channels))  # each channel once
        if errors:
            raise ValidationError(errors)
        return out

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class PreferencesBody(Strict):
    """The caller's notification preferences, replaced whole (a field left out takes its
    default: English, no email or phone, Asia/Baghdad, no quiet hours, no digest, inbox only)."""
    language = one_of(NOTIFY_LANGUAGES, metadata={"description": "of the messages: en, ar, ckb"})
    email = fields.String(allow_none=True, validate=[validate.Length(max=254), validate.Email(
        error="not an email address")])
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        PHONE, error="Not an E.164 phone number."),
        metadata={"description": "E.164: + and 8 to 15 digits"})
    time_zone = fields.String(validate=[validate.Length(min=1, max=64), _known_zone], metadata={"description": "IANA zone of the quiet hours and the digest (Asia/Baghdad)"})
    quiet_hours = fields.Nested(QuietHours, allow_none=True,
                                metadata={"description": "no email or SMS of a non-urgent "
                                                         "moment in this window"})
    digest = fields.Nested(Digest)
    moments = MomentChannels(metadata={
        "description": "moment -> channels besides the inbox (email, sms); a moment not "
                       "listed: inbox only",
        "type": "object", "additionalProperties": {"type": "array", "items": {
            "type": "string", "enum": list(NOTIFY_CHANNELS)}}})

    @validates_schema
    def _addresses(self, data, **_):
        errors: dict = {}
        for moment, channels in (data.get("moments") or {}).items():
            if "email" in channels and not data.get("email"):
                errors[moment] = ["email needs an email address"]
            elif "sms" in channels and not data.get("phone"):
                errors[moment] = ["sms needs a phone number"]
        if errors:
            raise ValidationError({"moments": errors})


Notification = answer("Notification", integers("id"),
                      strings("moment reference link text created_at"),
                      urgent=fields.Boolean(), read=fields.Boolean())
InboxPage = answer("InboxPage", items=fields.List(fields.Nested(Notification)),
                   next_cursor=fields.String(allow_none=True), unread=fields.Integer())
UnreadCount = answer("UnreadCount", integers("unread"))
ReadMark = answer("ReadMark", integers("id"), read=fields.Boolean())
Preferences = answer("Preferences", base=PreferencesBody)


def _language(ctx: Ctx) -> str | None:
    """The language the request asks for (``Accept-Language``; a page sends its own), or None:
    the notify service then writes in the person's saved language, else English."""
    given = ctx.headers.get("Accept-Language") if ctx.headers else None
    if not given:
        return None
    for tag, quality in parse_accept_header(given[:200], LanguageAccept):  # most wanted first
        primary = tag.split("-")[0].lower()  # ar-IQ is Arabic, en-GB English
        if quality > 0 and primary in NOTIFY_LANGUAGES:
            return primary
    return None


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/inbox", roles=EVERYONE,
          summary="The caller's notifications and their duty desk's, newest first, with the "
                  "unread count; each text in the request's language (Accept-Language), else "
                  "the caller's saved one",
          query=InboxQuery, response=InboxPage, errors=FILTERED)
def list_inbox(ctx: Ctx):
    q = ctx.query
    return ctx.rpc("notify", "list_inbox", language=_language(ctx), unread_only=q["unread"],
                   cursor=q.get("cursor"), limit=q["limit"])


@endpoint("GET", "/inbox/unread", roles=EVERYONE,
          summary="How many of the caller's notifications are unread", response=UnreadCount,
          errors=LISTING)
def unread_inbox(ctx: Ctx):
    return ctx.rpc("notify", "unread_count")


@endpoint("POST", "/inbox/<notification_id>/read", roles=EVERYONE,
          summary="Mark one of the caller's notifications read (again: no change)",
          response=ReadMark, errors=ONE)
def mark_inbox_read(ctx: Ctx, notification_id: str):
    answered = ctx.rpc("notify", "mark_read",
                       notification_id=numeric_id(notification_id, "notification_id"))
    badges = ctx.extensions.get("refnet.unread")
    if badges is not None:  # this worker's pages show the new count at once
        badges.forget(ctx.identity.user)
    return answered


@endpoint("GET", "/me/preferences", roles=EVERYONE,
          summary="The caller's notification preferences (the defaults until saved)",
          response=Preferences, errors=LISTING)
def get_preferences(ctx: Ctx):
    return ctx.rpc("notify", "get_preferences")


@endpoint("PUT", "/me/preferences", roles=EVERYONE,
          summary="Replace the caller's notification preferences: language, email, phone, time "
                  "zone, quiet hours, daily digest, channels per moment",
          body=PreferencesBody, response=Preferences, errors=INPUT)
def save_preferences(ctx: Ctx):
    return ctx.rpc("notify", "save_preferences", preferences=ctx.data)


class FailedQuery(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


FailedMessage = answer("FailedMessage", integers("delivery_id attempts"),
                       strings("moment channel last_error"),
                       reference=fields.String(allow_none=True))
FailedMessages = answer("FailedMessages", items=fields.List(fields.Nested(FailedMessage)))


@endpoint("GET", "/admin/notifications/failed", roles=("admin",),
          summary="Email and SMS that could not be sent after every try, newest first: the "
                  "moment, the channel, the tries and the failure's code (never the address)",
          query=FailedQuery, response=FailedMessages, errors=FILTERED)
def failed_messages(ctx: Ctx):
    return ctx.rpc("notify", "list_failed", limit=ctx.query["limit"])
