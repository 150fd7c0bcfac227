"""The referral service's tables. Personal data lives only in ``file_ciphertext`` (encrypted)."""

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Table, Text, UniqueConstraint)

from services.common.atrest import AtRest
from services.common.attachments import attachment_table
from services.common.audit import audit_table
from services.common.messaging import messaging_tables

metadata = MetaData()

referrals = Table(
    "referrals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(24), nullable=False, unique=True),
    Column("referring_agency", String(100), nullable=False),
    Column("submitted_by", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("population_group", String(20), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("needs", Text, nullable=False),  # JSON list of codes
    Column("children_count", Integer, nullable=False),
    Column("beds_needed", Integer, nullable=False),
    Column("share_status_with_referrer", Boolean, nullable=False),
    Column("share_with_legal", Boolean, nullable=False),
    Column("file_ciphertext", LargeBinary, nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # consent: end dates and withdrawal times per audience, beside the flags above
    Column("referrer_consent_until", DateTime(timezone=True)),
    Column("legal_consent_until", DateTime(timezone=True)),
    Column("referrer_consent_withdrawn_at", DateTime(timezone=True)),
    Column("legal_consent_withdrawn_at", DateTime(timezone=True)),
    # keyed hash (HMAC-SHA256, REFNET_SEARCH_KEY) of the normalised name: search without plaintext
    Column("name_digest", String(64)),
    Column("anonymised_at", DateTime(timezone=True)),
    # why the retention sweep closed a referral that stopped moving (CLOSURE_REASONS), else null
    Column("closure_reason", String(20)),
    # the referring police's own note on a withdrawal: this service's record only, never on the
    # timeline, in an event or in the FHIR Task (its code is on the timeline entry)
    Column("withdrawal_note", String(500)),
    # statistical codes (docs/decisions/0023): sex, age band at identification,
    # nationality (ISO code), forms of exploitation (comma-separated codes); kept on anonymising
    Column("stat_sex", String(10)),
    Column("stat_age_band", String(10)),
    Column("stat_nationality", String(2)),
    Column("stat_exploitation", String(120)),
    # the shelter provider the police addressed the referral to (`addressed_to`; an agency of
    # the directory), null: the network (docs/decisions/0037)
    Column("addressed_to", String(100)),
    # routing (docs/decisions/0039): the provider that holds the referral, since when (the
    # shelter's offer time: an older offer arriving late changes nothing), and when it was
    # flagged to the admins because no provider was left
    Column("held_by", String(100)),
    Column("held_since", DateTime(timezone=True)),
    Column("unplaced_at", DateTime(timezone=True)),
)
Index("ix_referrals_name_digest", referrals.c.name_digest)
Index("ix_referrals_agency_status_id", referrals.c.referring_agency, referrals.c.status, referrals.c.id)
Index("ix_referrals_agency_id", referrals.c.referring_agency, referrals.c.id)
Index("ix_referrals_status_id", referrals.c.status, referrals.c.id)
Index("ix_referrals_submitted_at", referrals.c.submitted_at)
Index("ix_referrals_unplaced_at", referrals.c.unplaced_at)

timeline = Table(
    "timeline_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("agency", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("note", String(500), nullable=False),
    # a decline's or withdrawal's reason code (DECLINE_REASONS, WITHDRAWAL_REASONS); null on
    # other entries and on those recorded before the codes
    Column("reason_code", String(40)),
)
Index("ix_timeline_referral_id", timeline.c.referral_id, timeline.c.id)
Index("ix_timeline_status_at", timeline.c.status, timeline.c.at)

# What the legal service announced about a referral: court status and hearing dates,
# court ids and codes only. Shown on the status timeline to the agencies allowed to see it.
legal_updates = Table(
    "legal_updates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # case_opened | case_closed | case_reopened | court_status | hearing_scheduled |
    # hearing_outcome
    Column("kind", String(30), nullable=False),
    Column("court", String(100)),
    Column("court_case_id", String(32)),
    Column("hearing_id", String(32)),
    Column("status", String(20), nullable=False),  # court status, or scheduled / held / postponed / cancelled
    Column("verdict", String(20)),
    Column("starts_at", DateTime(timezone=True)),
    Column("time_zone", String(64)),
)
Index("ix_legal_updates_referral", legal_updates.c.referral_id, legal_updates.c.id)

# What the shelter service announced about care-plan items referred to partner agencies
# (shelter.partner_referral_changed): ids, codes and times, shown on the timeline to the
# provider's staff (docs/decisions/0040).
partner_updates = Table(
    "partner_updates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("partner_referral_id", String(32), nullable=False),
    Column("agency", String(100), nullable=False),
    Column("partner_agency", String(100), nullable=False),
    Column("service", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason_code", String(40)),
    Column("outcome_code", String(40)),
)
Index("ix_partner_updates_referral", partner_updates.c.referral_id, partner_updates.c.id)

outbox, processed_events = messaging_tables(metadata)

# Every consent choice recorded by shelter staff: who, when, for which audience, what
# for and until when. Appended, never changed; the referral row holds the current state.
consent_records = Table(
    "consent_records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False),
    Column("audience", String(20), nullable=False),  # referring_police | legal_team | provider
    Column("granted", Boolean, nullable=False),
    Column("purpose", String(200)),
    Column("until", DateTime(timezone=True)),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # audience provider: the provider agency the file is shared with (``*``: the network)
    Column("agency", String(100)),
    # a minor survivor's choice: whether the guardian consented with the child (null: an adult)
    Column("guardian_consent", Boolean),
)
Index("ix_consent_records_referral", consent_records.c.referral_id, consent_records.c.id)

# The agency directory (docs/decisions/0037): every agency of the network. Tokens and web users
# name one (active, of a kind their role fits); a referral may be addressed to a shelter
# provider of it; each registration and change is published as ``referral.agency_changed``.
agencies = Table(
    "agencies", metadata,
    Column("id", String(100), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("name_ar", String(200)),
    Column("name_ckb", String(200)),
    Column("region", String(100), nullable=False, default=""),
    Column("services", Text, nullable=False, default="[]"),  # JSON list of AGENCY_SERVICES
    Column("languages", Text, nullable=False, default="[]"),  # JSON list of ISO 639 codes
    Column("routing_order", Integer),  # the order a referral to the network is offered in
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
)
Index("ix_agencies_kind", agencies.c.kind, agencies.c.id)
# Consent to share the FILE with a provider, per agency (docs/decisions/0040): the current state
# (consent_records keeps every change). Agency ``*``: every provider the referral is offered to;
# a row for one agency overrides it.
file_consents = Table(
    "file_consents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False),
    Column("agency", String(100), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("until", DateTime(timezone=True)),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("referral_id", "agency", name="uq_file_consents_referral_agency"),
)

# The guardian of a minor survivor (issue 21), recorded by shelter staff: the name (encrypted,
# read with the file) and how the guardian stands to the child (GUARDIAN_RELATIONSHIPS). The
# child's consent is recorded with the guardian's (``consent_records.guardian_consent``).
guardians = Table(
    "guardians", metadata,
    Column("referral_id", Integer, ForeignKey("referrals.id"), primary_key=True),
    Column("name", LargeBinary),                     # encrypted; null once anonymised
    Column("relationship", String(30), nullable=False),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Documents on a referral (issue 21): the survivor's identity scans, the content and the file
# name encrypted (services/common/attachments.py); deleted with the file at retention.
attachments = attachment_table(metadata, "referral_id", Integer, "referrals.id")

audit_log = audit_table(metadata)

# Every encrypted column of the referral service: what `refnet rotate-keys` re-encrypts.
ENCRYPTED = AtRest(referrals.c.file_ciphertext, guardians.c.name, attachments.c.content,
                   attachments.c.file_name)
