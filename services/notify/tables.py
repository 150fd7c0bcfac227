"""The notify service's tables (docs/decisions/0042).

What it knows of a referral is what the events told it: the reference, who referred it and
whether the survivor lets them see status; never a name. A notification is addressed to a
person (``user_id``) or to a duty desk (a role at an agency; ``agency`` null: every agency, as
for the network's admins) and carries a moment code, a reference, a link and codes only.
``deliveries`` are the email and SMS messages to send, one per notification, person and channel;
the inbox needs none (a person's inbox is read from ``notifications``).

A person's contact details (email address, phone number) are their own, not a survivor's, but
they are personal: ``Sealed`` (encrypted at rest with the file keys), never logged.
"""

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String,
                        Table, Text, UniqueConstraint)

from services.common.atrest import AtRest, Sealed
from services.common.audit import audit_table
from services.common.messaging import messaging_tables

metadata = MetaData()

outbox, processed_events = messaging_tables(metadata)
audit_log = audit_table(metadata)

# A referral as the events described it: whom to tell about it, and whether they may be told.
known_referrals = Table(
    "known_referrals", metadata,
    Column("reference", String(24), primary_key=True),
    Column("referring_agency", String(100)),
    Column("submitted_by", String(100)),
    Column("urgency", String(20)),
    Column("holder", String(100)),                    # the provider that holds it now
    # the survivor's consent to share status with the referring police, as last learnt (from
    # referral.status_changed, referral.accepted v2 or referral.consent_changed), and when that
    # was decided (a newer decision wins); checked again when a message is sent
    Column("share_status_with_referrer", Boolean),
    Column("referrer_consent_until", DateTime(timezone=True)),
    Column("referrer_consent_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A bed hold the provider is warned about before it expires (unless the person arrived).
hold_watches = Table(
    "hold_watches", metadata,
    Column("reference", String(24), primary_key=True),
    Column("agency", String(100), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("warn_at", DateTime(timezone=True), nullable=False),
    Column("warned_at", DateTime(timezone=True)),     # the warning was queued
    Column("closed_at", DateTime(timezone=True)),     # admitted, expired or withdrawn first
)
Index("ix_hold_watches_due", hold_watches.c.warned_at, hold_watches.c.closed_at,
      hold_watches.c.warn_at)

# A person's preferences and contact details. Without a row: the inbox only, in English.
subscribers = Table(
    "subscribers", metadata,
    Column("user_id", String(100), primary_key=True),
    Column("agency", String(100), nullable=False),    # as the gateway vouched (the caller)
    Column("role", String(20), nullable=False),
    Column("language", String(3), nullable=False),    # NOTIFY_LANGUAGES
    Column("email", Sealed),
    Column("phone", Sealed),
    Column("channels", Text, nullable=False),         # JSON: moment -> [channel, ...]
    Column("quiet_start", String(5)),                 # "22:00" (local time), or null: none
    Column("quiet_end", String(5)),
    Column("time_zone", String(64), nullable=False),  # IANA, e.g. Asia/Baghdad
    Column("digest", Boolean, nullable=False),        # non-urgent email in one daily message
    Column("digest_hour", Integer, nullable=False),   # local hour the digest goes out
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_subscribers_desk", subscribers.c.agency, subscribers.c.role)

notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),   # the event it was made from
    Column("moment", String(40), nullable=False),     # NOTIFY_MOMENTS
    # who: a person, or a desk (a role at an agency; agency null: every agency of the role)
    Column("recipient", String(220), nullable=False),  # "user:<id>" | "desk:<role>@<agency|*>"
    Column("user_id", String(100)),
    Column("role", String(20)),
    Column("agency", String(100)),
    Column("exclude_user", String(100)),              # a desk row not shown to this person
    Column("reference", String(24)),
    Column("audience", String(30)),                   # a consent audience it depends on, or null
    Column("link", String(300), nullable=False),       # a path of the web pages
    Column("params", Text, nullable=False),           # JSON of codes (never free text)
    Column("urgent", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("event_id", "moment", "recipient", name="uq_notifications_once"),
)
Index("ix_notifications_user", notifications.c.user_id, notifications.c.id)
Index("ix_notifications_desk", notifications.c.role, notifications.c.agency, notifications.c.id)

inbox_reads = Table(
    "inbox_reads", metadata,
    Column("notification_id", Integer, ForeignKey("notifications.id"), primary_key=True),
    Column("user_id", String(100), primary_key=True),
    Column("read_at", DateTime(timezone=True), nullable=False),
)

# One message to send: a notification to one person by email or SMS. pending -> sent | dead |
# suppressed (consent withdrawn, or the person turned the channel off, before it went);
# "digest": waits for the person's daily digest.
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notification_id", Integer, ForeignKey("notifications.id"), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("channel", String(10), nullable=False),    # email | sms
    Column("status", String(12), nullable=False),
    Column("not_before", DateTime(timezone=True), nullable=False),  # quiet hours, back-off
    Column("attempts", Integer, nullable=False),
    Column("claimed_by", String(36)),
    Column("claimed_until", DateTime(timezone=True)),
    Column("last_error", String(200)),                # a code and the server's reply code
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("notification_id", "user_id", "channel", name="uq_deliveries_once"),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.not_before)

ENCRYPTED = AtRest.of(metadata)
