"""Sending an email or SMS: when a failed one is tried again, when it is given up, whether it
may go at all, and what a failure is called (docs/decisions/0042).

A failure is recorded as a code, never as the server's words: ``smtp:421``, ``smtp:connect``,
``sms:http-503``, ``sms:timeout``. A server's reply can quote the address it refused, so only
its numeric code is kept; the address and the message text are never in a code or a log line.
No I/O here.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from . import moments
from .moments import POLICE_AUDIENCE

BACKOFF_CAP = timedelta(hours=1)
CODE = re.compile(r"^(smtp|sms|email|consent):[a-z0-9][a-z0-9-]{0,40}$")

# deliveries.status
PENDING, DIGEST, SENT, DEAD, SUPPRESSED = "pending", "digest", "sent", "dead", "suppressed"


class SendFailed(Exception):
    """A channel could not hand a message over. ``code`` is safe to store and log;
    ``permanent``: trying again cannot help (a recipient the server refuses for good)."""

    def __init__(self, code: str, *, permanent: bool = False):
        if not CODE.match(code):
            raise ValueError("a failure code is a channel and a short token")
        super().__init__(code)
        self.code = code
        self.permanent = permanent


def failure_code(channel: str, what: str | int) -> str:
    """``failure_code("smtp", 421)`` -> ``smtp:421``;
    ``failure_code("sms", "http-503")`` -> ``sms:http-503``."""
    code = f"{channel}:{what}"
    if not CODE.match(code):
        raise ValueError("a failure code is a channel and a short token")
    return code


def backoff(attempts: int, base: float) -> timedelta:
    """The wait after the ``attempts``-th failed try: ``base`` seconds, then doubled after each
    further failure, at most one hour."""
    exponent = min(max(attempts, 1) - 1, 32)  # 2**32 * any base is past the cap already
    return min(timedelta(seconds=base * 2 ** exponent), BACKOFF_CAP)


@dataclass(frozen=True)
class AfterFailure:
    """What a delivery becomes after a failed try."""

    status: str               # pending (tried again) or dead
    attempts: int
    not_before: datetime
    last_error: str


def after_failure(attempts_before: int, code: str, now: datetime, *, base: float,
                  max_attempts: int, permanent: bool = False) -> AfterFailure:
    """One more failed try: tried again after the back-off, or dead once ``max_attempts`` tries
    failed (or at once when trying again cannot help)."""
    attempts = attempts_before + 1
    dead = permanent or attempts >= max_attempts
    return AfterFailure(status=DEAD if dead else PENDING, attempts=attempts,
                        not_before=now if dead else now + backoff(attempts, base),
                        last_error=code)


def consent_stands(audience: str | None, share: bool | None, until: datetime | None,
                   now: datetime) -> bool:
    """Whether a message that depends on a survivor's consent may still go: one without an
    audience always; the police audience while the consent to share status with the referrer
    is given and has not run out (unknown: no); an audience this module does not know, never."""
    if audience is None:
        return True
    return audience == POLICE_AUDIENCE and moments.consent_stands(share, until, now)


def why_not_send(*, channel: str, configured: bool, subscribed: bool, wanted: bool,
                 address: str | None, consent: bool) -> str | None:
    """None when the message may go now; else the code it is suppressed with (never retried):
    the channel is off in this network, the person has no preferences or no longer wants this
    channel for the moment, has no address for it, or the survivor's consent was withdrawn."""
    if not consent:
        return "consent:withdrawn"
    if not configured:
        return failure_code(channel, "off")
    if not subscribed or not wanted:
        return failure_code(channel, "not-wanted")
    if not address:
        return failure_code(channel, "no-address")
    return None


def wants(channels: dict, moment: str, channel: str) -> bool:
    """Whether a person's saved channels (moment -> [channel, ...]) include ``channel`` for
    ``moment``."""
    chosen = channels.get(moment) if isinstance(channels, dict) else None
    return isinstance(chosen, list) and channel in chosen


def digest_due_at(created_at: datetime, hour: int, zone: tzinfo) -> datetime:
    """When a digest line made at ``created_at`` goes out: the first time after it that the
    person's local clock reads ``hour``:00 (a line made at or after today's digest waits for
    tomorrow's), in UTC."""
    local = created_at.astimezone(zone)
    day: date = local.date()
    due = datetime.combine(day, time(hour), tzinfo=zone)
    if due <= local:
        due = datetime.combine(day + timedelta(days=1), time(hour), tzinfo=zone)
    return due.astimezone(timezone.utc)


def last_digest_at(now: datetime, hour: int, zone: tzinfo) -> datetime:
    """The last time at or before ``now`` the person's local clock read ``hour``:00: every line
    made before it is due (``digest_due_at(line) <= now``). In UTC."""
    local = now.astimezone(zone)
    due = datetime.combine(local.date(), time(hour), tzinfo=zone)
    if due > local:
        due = datetime.combine(local.date() - timedelta(days=1), time(hour), tzinfo=zone)
    return due.astimezone(timezone.utc)


def message_id(delivery_id: int) -> str:
    """The Message-ID of a delivery's email, the same on every try, so a receiver can tell a
    resend (a crash after the server accepted it, before it was marked sent) from a new one."""
    return f"<delivery-{int(delivery_id)}@refnet>"


def digest_message_id(delivery_ids: list[int]) -> str:
    """The Message-ID of a digest: named after the first of its deliveries."""
    return f"<delivery-{min(int(i) for i in delivery_ids)}-digest@refnet>"


DIGEST_SUBJECT = {
    "en": "refnet: your daily summary",
    "ar": "refnet: ملخصك اليومي",
    "ckb": "refnet: پوختەی ڕۆژانەت",
}


def digest(language: str, lines: list[str]) -> tuple[str, str]:
    """The subject and text of a daily digest: one line for each notification (each line is
    that notification's own message: the reference, the moment's words and the link)."""
    subject = DIGEST_SUBJECT.get(language, DIGEST_SUBJECT["en"])
    return subject, "\n\n".join(f"- {line}" for line in lines) + "\n"
