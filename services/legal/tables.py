"""The legal service's tables. Referrals are known by reference only; legal notes, charges
text, purposes and outcomes stay here and never travel in an event.

Every free-text column is ``Sealed``: encrypted at rest with the file keys
(``services.common.atrest``), never searched or filtered on. ``ENCRYPTED`` (every sealed column)
is what `refnet rotate-keys` re-encrypts. Court names and case numbers stay in clear: they are
the courts' own identifiers, filtered on and unique per court."""

from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, UniqueConstraint)

from services.common.atrest import AtRest, Sealed
from services.common.attachments import attachment_table
from services.common.audit import audit_table
from services.common.messaging import messaging_tables

metadata = MetaData()

Id = lambda name, *args, **kw: Column(name, String(32), *args, **kw)  # noqa: E731 - uuid4 hex


def case_part(name: str, *columns) -> Table:
    """A table of one kind of part of a legal case: its own id, the case's id, then ``columns``."""
    return Table(name, metadata, Id("id", primary_key=True),
                 Id("case_id", ForeignKey("legal_cases.id"), nullable=False), *columns)

eligible = Table(
    "eligible_referrals", metadata,
    Column("reference", String(24), primary_key=True),
    Column("status", String(20), nullable=False),  # eligible | withdrawn
    Column("eligible_since", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # from referral.accepted v2 (null when learnt from v1: the police then see nothing)
    Column("referring_agency", String(100)),
    Column("share_status_with_referrer", Boolean),
    Column("shelter_agency", String(100)),
    # consent as last recorded by shelter staff (referral.consent_changed); null: as
    # on acceptance. status becomes consent_withdrawn when the legal team's consent is withdrawn.
    Column("legal_consent", Boolean),
    Column("legal_consent_until", DateTime(timezone=True)),
    Column("referrer_consent_until", DateTime(timezone=True)),
    # when the last change applied for each audience was made (newer wins, per audience)
    Column("legal_consent_changed_at", DateTime(timezone=True)),
    Column("referrer_consent_changed_at", DateTime(timezone=True)),
)

cases = Table(
    "legal_cases", metadata,
    Id("id", primary_key=True),
    Column("reference", String(24), ForeignKey("eligible_referrals.reference"), nullable=False,
           unique=True),
    Column("lawyer", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # open | closed
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # closed by the legal team (the legal hold ends); its free text anonymised by retention
    Column("closed_at", DateTime(timezone=True)),
    Column("anonymised_at", DateTime(timezone=True)),
    # why it was last closed (LEGAL_CLOSURE_REASONS; null while open); kept on anonymising
    Column("closure_reason", String(40)),
)

# Every status change of a legal case (opened, closed, reopened): who, when, from, to, why (a
# code). Staff ids and codes only, so anonymising the case leaves it as it is.
case_status_history = Table(
    "legal_case_status_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Id("case_id", ForeignKey("legal_cases.id"), nullable=False),
    Column("from_status", String(20)),                  # null: the opening
    Column("to_status", String(20), nullable=False),
    Column("reason_code", String(40)),                  # null for the opening
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by_user", String(100), nullable=False),
    Column("by_role", String(20), nullable=False),
)
Index("ix_legal_case_status_history_case", case_status_history.c.case_id, case_status_history.c.id)

# Every lawyer a legal case was assigned to: the first at the opening (``from_lawyer`` null),
# then each reassignment with its reason's code and who made it.
lawyer_history = Table(
    "legal_case_lawyers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Id("case_id", ForeignKey("legal_cases.id"), nullable=False),
    Column("from_lawyer", String(100)),
    Column("to_lawyer", String(100), nullable=False),
    Column("reason_code", String(40)),                  # null for the opening's assignment
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by_user", String(100), nullable=False),
)
Index("ix_legal_case_lawyers_case", lawyer_history.c.case_id, lawyer_history.c.id)

sessions = case_part(
    "counselling_sessions",
    Column("held_on", Date, nullable=False),
    Column("topic", Sealed, nullable=False),
    Column("lawyer", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_sessions_case", sessions.c.case_id, sessions.c.held_on)

notes = case_part(
    "legal_notes",
    Column("author", String(100), nullable=False),
    Column("text", Sealed, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_notes_case", notes.c.case_id, notes.c.created_at)

court_cases = case_part(
    "court_cases",
    Column("court", String(100), nullable=False),
    Column("case_number", String(64), nullable=False),
    Column("charges", Sealed, nullable=False),  # JSON [{"statute", "description"}]
    Column("standing", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("verdict", String(20)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("court", "case_number", name="uq_court_cases_court_number"),
)
Index("ix_court_cases_case", court_cases.c.case_id)

court_status_history = Table(
    "court_status_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Id("court_case_id", ForeignKey("court_cases.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("verdict", String(20)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by_role", String(20), nullable=False),
    Column("by_agency", String(100), nullable=False),
)
Index("ix_court_status_history_case", court_status_history.c.court_case_id, court_status_history.c.id)

hearings = Table(
    "hearings", metadata,
    Id("id", primary_key=True),
    Id("court_case_id", ForeignKey("court_cases.id"), nullable=False),
    Column("court", String(100), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),  # UTC
    Column("time_zone", String(64), nullable=False),               # the court's zone name
    Column("purpose", Sealed, nullable=False),
    Column("attendance_required", Boolean, nullable=False),
    Column("status", String(20), nullable=False),  # scheduled | held | postponed | cancelled
    Column("outcome_note", Sealed),
    Id("postponed_from"),
    Column("reminder_sent_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # the interpreter the survivor needs at the hearing (services/contracts/interpreters.py):
    # the language and the booking's status; none recorded: both null
    Column("interpreter_language", String(3)),
    Column("interpreter_status", String(20)),
)
Index("ix_hearings_starts", hearings.c.starts_at)
Index("ix_hearings_court_starts", hearings.c.court, hearings.c.starts_at)
Index("ix_hearings_reminder", hearings.c.status, hearings.c.reminder_sent_at, hearings.c.starts_at)

documents = case_part(
    "document_requests",
    Column("kind", String(20), nullable=False),       # identity_card | passport | travel_document
    Column("authority", Sealed, nullable=False),
    Column("status", String(20), nullable=False),     # requested | submitted | issued | rejected
    Column("requested_on", Date, nullable=False),
    Column("submitted_on", Date),
    Column("issued_on", Date),
    Column("rejected_on", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_documents_case", documents.c.case_id)

disputes = case_part(
    "labour_disputes",
    Column("employer", Sealed, nullable=False),
    Column("claims", Text, nullable=False),           # JSON list of claim codes
    Column("amount_claimed", Integer),                # whole currency units
    Column("amount_recovered", Integer),
    Column("currency", String(3)),
    Column("status", String(20), nullable=False),
    Column("outcome", Sealed),
    Column("opened_on", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_disputes_case", disputes.c.case_id)

# Plan items the shelter referred to the legal team (shelter.legal_referral_requested): the
# reference, the service asked for and the shelter's opaque request id, nothing of the plan.
referral_requests = Table(
    "legal_referral_requests", metadata,
    Id("request_id", primary_key=True),
    Column("reference", String(24), nullable=False),
    Column("service", String(40), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("ix_legal_referral_requests_received", referral_requests.c.received_at)

# Documents on a legal case (issue 21): powers of attorney and court summonses, the content
# (encrypted bytes) and the file name (sealed) as every service keeps them
# (services/common/attachments.py); deleted when the case is anonymised.
attachments = attachment_table(metadata, "case_id", String(32), "legal_cases.id")

outbox, processed_events = messaging_tables(metadata)

audit_log = audit_table(metadata)

# Every encrypted column of the legal service (the sealed free text and the documents' content):
# what rotate-keys covers.
ENCRYPTED = AtRest.of(metadata, attachments.c.content)
