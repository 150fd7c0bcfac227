"""Sending the email and SMS that are due, and the admins' list of those that failed
(docs/decisions/0042).

Every replica ticks. A round claims a few due deliveries with a lease (``claimed_by``,
``claimed_until``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a guarded UPDATE under SQLite's
write lock: decision 0004's pattern) in one short transaction, then, outside any transaction,
reads the person's address and language, checks again that the message may go (the survivor's
consent for police-facing moments, the person still wanting that channel for that moment),
sends it, and settles it in a second short transaction that first checks the lease is still
its own: sent; or a failure (tried again after a back-off, dead after
``REFNET_NOTIFY_MAX_ATTEMPTS`` with a ``delivery_failed`` notification to the admins in the
same transaction); or suppressed. Rows waiting for a person's daily digest go out together, as
one email, at that person's digest hour.

A message can go twice only if the process dies after the server accepted it and before the
second transaction commits; its Message-ID is the same on every try, so a receiver can tell.
Log lines and ``last_error`` carry ids, channels and codes: never an address, a name or the
message's text.
"""

import json
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, or_, select, update

from services.common.caller import Caller
from services.common.errors import InvalidInput
from services.common.timeutil import aware

from ..channels.sms import HttpWebhook, SmsProvider
from ..channels.smtp import SmtpChannel, build_email
from ..domain import delivery as rules
from ..domain.delivery import DEAD, DIGEST, PENDING, SENT, SUPPRESSED, SendFailed
from ..domain.messages import render
from ..domain.moments import delivery_failed
from ..tables import deliveries, known_referrals, notifications, subscribers
from .notifications import make_all

log = logging.getLogger(__name__)

BATCH = 10                       # deliveries one round claims
DIGEST_PEOPLE = 20               # people whose digest one round sends
# renewed just before each send, so one send (a few SMTP exchanges of at most 20 s each) has
# all of it: another replica can take a row only once its holder has stopped renewing
LEASE = timedelta(minutes=5)
FAILED_LIMIT = 200


@dataclass(frozen=True)
class Channels:
    """The outside channels of this network; None: that channel is off."""

    email: SmtpChannel | None
    sms: SmsProvider | None

    @classmethod
    def from_values(cls, values) -> "Channels":
        return cls(email=SmtpChannel.from_values(values), sms=HttpWebhook.from_values(values))

    def configured(self, channel: str) -> bool:
        return getattr(self, channel, None) is not None


@dataclass
class Job:
    """A claimed delivery with what sending it needs (read after the claim, outside it)."""

    id: int
    user_id: str
    channel: str
    attempts: int
    created_at: datetime
    moment: str
    reference: str | None
    link: str
    params: dict
    audience: str | None
    subscribed: bool
    language: str
    email: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    channels: dict = field(repr=False)
    share: bool | None = None
    consent_until: datetime | None = None

    def address(self) -> str | None:
        return self.email if self.channel == "email" else self.phone

    def hold_back(self, configured: bool, now: datetime) -> str | None:
        """None if it may go now, else the code it is suppressed with."""
        return rules.why_not_send(
            channel=self.channel, configured=configured, subscribed=self.subscribed,
            wanted=rules.wants(self.channels, self.moment, self.channel), address=self.address(),
            consent=rules.consent_stands(self.audience, self.share, self.consent_until, now))


# --- the round -------------------------------------------------------------------------------

def send_due(db, values, clock, channels: Channels | None = None) -> dict:
    """Send what is due now (a few deliveries, and the digests whose hour has come); return the
    count of each outcome."""
    channels = channels or Channels.from_values(values)
    counts = {SENT: 0, PENDING: 0, DEAD: 0, SUPPRESSED: 0}
    claim = str(uuid.uuid4())
    now = clock.now()
    if _claim_due(db, claim, now):
        _work(db, claim, values, channels, clock, counts, digest=False)
    claim = str(uuid.uuid4())
    now = clock.now()
    if _claim_digests(db, claim, now):
        _work(db, claim, values, channels, clock, counts, digest=True)
    return counts


def _claimable(now: datetime):
    return or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now)


def _claim_due(db, claim: str, now: datetime) -> int:
    """Lease up to ``BATCH`` pending deliveries whose time has come to ``claim``. A round with
    nothing due only reads (on SQLite a write would take the database's one write lock)."""
    due = and_(deliveries.c.status == PENDING, deliveries.c.not_before <= now, _claimable(now))
    with db.read() as c:
        if c.execute(select(deliveries.c.id).where(due).limit(1)).first() is None:
            return 0
    with db.write() as s:
        query = (select(deliveries.c.id).where(due)
                 .order_by(deliveries.c.not_before, deliveries.c.id).limit(BATCH))
        if not db.sqlite:
            query = query.with_for_update(skip_locked=True)
        ids = list(s.execute(query).scalars())
        if not ids:
            return 0
        return s.execute(update(deliveries).where(deliveries.c.id.in_(ids), due)
                         .values(claimed_by=claim, claimed_until=now + LEASE)).rowcount


def _claim_digests(db, claim: str, now: datetime) -> int:
    """Lease the digest rows of up to ``DIGEST_PEOPLE`` people whose digest hour has passed
    since their oldest row was made: each person's rows made before that hour. Who is due is
    read first; each claim is a guarded UPDATE (a row another replica claimed meanwhile is not
    taken)."""
    waiting = and_(deliveries.c.status == DIGEST, deliveries.c.channel == "email",
                   deliveries.c.not_before <= now, _claimable(now))
    with db.read() as c:
        people = c.execute(
            select(deliveries.c.user_id, func.min(deliveries.c.created_at),
                   subscribers.c.digest, subscribers.c.digest_hour, subscribers.c.time_zone)
            .select_from(deliveries.outerjoin(subscribers,
                                              subscribers.c.user_id == deliveries.c.user_id))
            .where(waiting)
            .group_by(deliveries.c.user_id, subscribers.c.digest, subscribers.c.digest_hour,
                      subscribers.c.time_zone)
            .order_by(func.min(deliveries.c.created_at))).all()
    due = []
    for user_id, oldest, enabled, hour, zone in people:
        cutoff = now  # no digest (any more): what waits goes now
        if enabled and hour is not None:
            cutoff = rules.last_digest_at(now, hour, _zone(zone))
        if aware(oldest) < cutoff:
            due.append((user_id, cutoff))
    if not due:
        return 0
    claimed = 0
    with db.write() as s:
        for user_id, cutoff in due[:DIGEST_PEOPLE]:
            claimed += s.execute(
                update(deliveries)
                .where(waiting, deliveries.c.user_id == user_id, deliveries.c.created_at < cutoff)
                .values(claimed_by=claim, claimed_until=now + LEASE)).rowcount
    return claimed


def _work(db, claim, values, channels, clock, counts, *, digest: bool) -> None:
    """Send what ``claim`` holds (one message per delivery, or one digest per person) and settle
    each; whatever is still held at the end (an error stopped the round) is given back."""
    try:
        jobs = _jobs(db, claim)
        groups = _by_person(jobs) if digest else [[job] for job in jobs]
        for group in groups:
            now = clock.now()
            held_ids = _renew(db, claim, [job.id for job in group], now)
            if not held_ids:
                continue  # the lease ran out and another replica took these
            group = _jobs(db, claim, held_ids)  # consent and preferences as they are now
            held = [(job, job.hold_back(channels.configured(job.channel), now)) for job in group]
            for job, code in held:
                if code:
                    _settle(db, claim, [job], SUPPRESSED, code, values, now)
                    counts[SUPPRESSED] += 1
                    log.info("delivery %s by %s suppressed: %s", job.id, job.channel, code)
            going = [job for job, code in held if not code]
            if going:
                outcome, code = _send(going, values, channels, clock, digest=digest)
                done = _settle(db, claim, going, outcome, code, values, clock.now())
                for status in done:
                    counts[status] += 1
    finally:
        with db.write() as s:
            s.execute(update(deliveries).where(deliveries.c.claimed_by == claim)
                      .values(claimed_by=None, claimed_until=None))


def _renew(db, claim: str, ids: list[int], now: datetime) -> list[int]:
    """Extend the lease of deliveries ``ids`` for one send; those ``claim`` still holds."""
    with db.write() as s:
        s.execute(update(deliveries)
                  .where(deliveries.c.id.in_(ids), deliveries.c.claimed_by == claim)
                  .values(claimed_until=now + LEASE))
        held = set(s.execute(select(deliveries.c.id).where(
            deliveries.c.id.in_(ids), deliveries.c.claimed_by == claim)).scalars())
    return sorted(held)


def _by_person(jobs: list[Job]) -> list[list[Job]]:
    people: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        people[job.user_id].append(job)
    return list(people.values())


def _jobs(db, claim: str, ids: list[int] | None = None) -> list[Job]:
    """The deliveries ``claim`` holds (those of ``ids``), with their notification, the person's
    preferences and address, and the referral's consent as last learnt."""
    query = (
        select(deliveries.c.id, deliveries.c.user_id, deliveries.c.channel,
               deliveries.c.attempts, deliveries.c.created_at, notifications.c.moment,
               notifications.c.reference, notifications.c.link, notifications.c.params,
               notifications.c.audience, subscribers.c.user_id.label("subscriber"),
               subscribers.c.language, subscribers.c.email, subscribers.c.phone,
               subscribers.c.channels, known_referrals.c.share_status_with_referrer,
               known_referrals.c.referrer_consent_until)
        .select_from(
            deliveries.join(notifications, notifications.c.id == deliveries.c.notification_id)
            .outerjoin(subscribers, subscribers.c.user_id == deliveries.c.user_id)
            .outerjoin(known_referrals, known_referrals.c.reference == notifications.c.reference))
        .where(deliveries.c.claimed_by == claim)
        .order_by(deliveries.c.id))
    if ids is not None:
        query = query.where(deliveries.c.id.in_(ids))
    with db.read() as c:
        rows = c.execute(query).all()
    return [Job(id=r.id, user_id=r.user_id, channel=r.channel, attempts=r.attempts,
                created_at=aware(r.created_at), moment=r.moment, reference=r.reference,
                link=r.link, params=_loads(r.params, {}), audience=r.audience,
                subscribed=r.subscriber is not None, language=r.language or "en",
                email=r.email, phone=r.phone, channels=_loads(r.channels, {}),
                share=r.share_status_with_referrer,
                consent_until=aware(r.referrer_consent_until))
            for r in rows]


def _send(jobs: list[Job], values, channels: Channels, clock, *, digest: bool):
    """Send one message (or one digest of several): (SENT, None), or (failure, code)."""
    first = jobs[0]
    base = values.public_url.rstrip("/")
    try:
        texts = [render(job.moment, job.reference, base + job.link, job.language, job.params)
                 for job in jobs]
        if first.channel == "sms":
            channels.sms.send(first.phone, texts[0][1])
        else:
            if digest:
                subject, text = rules.digest(first.language, [t for _, t in texts])
                message_id = rules.digest_message_id([job.id for job in jobs])
            else:
                (subject, text), message_id = texts[0], rules.message_id(first.id)
            channels.email.send(build_email(sender=channels.email.sender, to=first.email,
                                            subject=subject, text=text, message_id=message_id,
                                            at=clock.now()))
    except SendFailed as failure:
        return ("permanent" if failure.permanent else "failed"), failure.code
    except Exception as error:  # noqa: BLE001 - a bug here must not stop the other rows
        log.error("delivery %s by %s: %s while sending", first.id, first.channel,
                  type(error).__name__)
        return "failed", rules.failure_code("email" if first.channel == "email" else "sms",
                                            "internal")
    ids = ", ".join(str(job.id) for job in jobs)
    log.info("delivery %s sent by %s", ids, first.channel)
    return SENT, None


def _settle(db, claim, jobs: list[Job], outcome: str, code: str | None, values,
            now: datetime) -> list[str]:
    """Record what became of ``jobs`` if ``claim`` still holds them; the statuses set."""
    done = []
    with db.write() as s:
        for job in jobs:
            mine = and_(deliveries.c.id == job.id, deliveries.c.claimed_by == claim)
            if outcome == SENT:
                change = dict(status=SENT, sent_at=now, last_error=None)
            elif outcome == SUPPRESSED:
                change = dict(status=SUPPRESSED, last_error=code)
            else:
                after = rules.after_failure(job.attempts, code, now,
                                            base=values.notify_backoff_seconds,
                                            max_attempts=values.notify_max_attempts,
                                            permanent=outcome == "permanent")
                change = dict(status=after.status, attempts=after.attempts,
                              not_before=after.not_before, last_error=after.last_error)
            updated = s.execute(update(deliveries).where(mine)
                                .values(claimed_by=None, claimed_until=None, **change)).rowcount
            if not updated:  # the lease ran out and another replica has it now
                log.warning("delivery %s: lease lost before it was settled", job.id)
                continue
            done.append(change["status"])
            if change["status"] == PENDING:
                log.warning("delivery %s by %s failed (%s), try %d; again after %s", job.id,
                            job.channel, code, change["attempts"], change["not_before"].isoformat())
            elif change["status"] == DEAD:
                log.warning("delivery %s by %s dead after %d tries (%s)", job.id, job.channel,
                            change["attempts"], code)
                _tell_admins(s, job, now)
    return done


def _tell_admins(session, job: Job, now: datetime) -> None:
    """The ``delivery_failed`` notification of a dead delivery, to every admin's desk, with the
    admins' own deliveries (``make_all``, the one way notifications are made); once: its event
    id is the delivery's. Not for a dead message that was itself such a notice: the admins'
    email failing would otherwise tell them again, by email, without end."""
    if job.moment == "delivery_failed":
        log.warning("delivery %s: a failed-delivery notice could not be sent either", job.id)
        return
    make_all(session, delivery_failed(job.reference, job.channel, job.moment),
             event_id=f"delivery-{job.id}", now=now)


def _zone(name: str | None):
    try:
        return ZoneInfo(name or "Asia/Baghdad")
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def _loads(text: str | None, default):
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


# --- the admins' view ------------------------------------------------------------------------

def list_failed(db, caller, limit: int = 50) -> dict:
    """The messages that could not be sent (dead), newest first: ids, moments, channels, tries,
    failure codes and references. Administrators only."""
    caller = Caller.from_dict(caller)
    caller.require("admin")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= FAILED_LIMIT:
        raise InvalidInput(f"limit is 1 to {FAILED_LIMIT}", field="limit")
    query = (select(deliveries.c.id, notifications.c.moment, deliveries.c.channel,
                    deliveries.c.attempts, deliveries.c.last_error, notifications.c.reference)
             .select_from(deliveries.join(notifications,
                                          notifications.c.id == deliveries.c.notification_id))
             .where(deliveries.c.status == DEAD)
             .order_by(deliveries.c.id.desc()).limit(limit))
    with db.read() as c:
        rows = c.execute(query).all()
    return {"items": [{"delivery_id": r.id, "moment": r.moment, "channel": r.channel,
                       "attempts": r.attempts, "last_error": r.last_error,
                       "reference": r.reference} for r in rows]}
