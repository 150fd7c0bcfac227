"""The shelter service's tables. No names: referrals are known by reference only."""

from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, SmallInteger, String, Table, Text, UniqueConstraint)

from services.common.attachments import attachment_table
from services.common.atrest import AtRest
from services.common.audit import audit_table
from services.common.messaging import messaging_tables

metadata = MetaData()

# Each facility belongs to one shelter provider (an agency id of the directory): the provider's
# staff act on it, its beds, its placements and its residents' plans; no other provider's staff
# do (docs/decisions/0038). A closed facility keeps its rows, takes no beds and lists as closed.
facilities = Table(
    "facilities", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("manager", String(100)),  # a staff user id (overdue milestones), null: none named
)
Index("ix_facilities_provider", facilities.c.provider, facilities.c.id)

beds = Table(
    "bed_inventory", metadata,
    Column("facility_id", String(64), ForeignKey("facilities.id"), primary_key=True),
    Column("population_group", String(20), primary_key=True),
    Column("capacity", Integer, nullable=False),
    Column("occupied", Integer, nullable=False, default=0),
    Column("held", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # beds taken out of service (repairs, an outbreak...): not available, not occupied
    Column("out_of_service", Integer, nullable=False, default=0, server_default="0"),
    Column("out_of_service_reason", String(200)),
    Column("out_of_service_until", Date),
)

# Every change of capacity or of beds out of service, with who made it and why.
capacity_history = Table(
    "capacity_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("facility_id", String(64), ForeignKey("facilities.id"), nullable=False),
    Column("population_group", String(20), nullable=False),
    Column("change", String(20), nullable=False),  # capacity | out_of_service
    Column("capacity", Integer, nullable=False),
    Column("out_of_service", Integer, nullable=False),
    Column("occupied", Integer, nullable=False),
    Column("held", Integer, nullable=False),
    Column("reason", String(200)),
    Column("changed_by", String(100), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
Index("ix_capacity_history_facility", capacity_history.c.facility_id, capacity_history.c.id)

incoming = Table(
    "incoming_referrals", metadata,
    Column("reference", String(24), primary_key=True),
    Column("population_group", String(20), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("needs", Text, nullable=False),
    Column("children_count", Integer, nullable=False),
    Column("beds_needed", Integer, nullable=False),
    Column("referring_agency", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(100)),
    Column("decision_reason_code", String(40)),  # a code of DECLINE_REASONS
    Column("decision_reason", String(500)),  # the staff's own note: never leaves this service
    # when retention blanked this referral's free text at the shelter (domain/retention.py)
    Column("anonymised_at", DateTime(timezone=True)),
    # routing (docs/decisions/0039): the provider (agency id) that holds the referral, since
    # when, and when its answer is due before the escalation sweep offers it on
    Column("held_by", String(100)),
    Column("offered_at", DateTime(timezone=True)),
    Column("answer_due_at", DateTime(timezone=True)),
    Column("service_languages", Text),  # JSON list of ISO 639 codes, matched when routing
    Column("unplaced_at", DateTime(timezone=True)),  # flagged to the admins: no provider left
    # the survivor is a minor (referral.submitted v3; null: learnt from an older version): a
    # placement decision waits for the best-interests determination below
    Column("survivor_minor", Boolean),
    # URGENCY_RANK of ``urgency`` (set at receipt; urgency never changes): the staff's list is
    # ordered by it, and an index holds that order (migration 0019)
    Column("urgency_rank", SmallInteger, nullable=False, server_default="0"),
)
Index("ix_incoming_status_received", incoming.c.status, incoming.c.received_at)

# The best-interests determination of a minor survivor's referral (issue 21): who made it,
# when, and its outcome's code; the latest one counts. No free text.
best_interests = Table(
    "best_interests", metadata,
    Column("reference", String(24), ForeignKey("incoming_referrals.reference"), primary_key=True),
    Column("outcome", String(40), nullable=False),
    Column("assessed_by", String(100), nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
# a provider's list in its order, of one status or of all: a page is read in order from the
# index, however many referrals the provider has held before
Index("ix_incoming_holder_status_order", incoming.c.held_by, incoming.c.status,
      incoming.c.urgency_rank, incoming.c.received_at, incoming.c.reference)
Index("ix_incoming_holder_order", incoming.c.held_by, incoming.c.urgency_rank,
      incoming.c.received_at, incoming.c.reference)
Index("ix_incoming_status_due", incoming.c.status, incoming.c.answer_due_at)

# Every offer of a referral to a provider: why, when, and how it ended (answered: accepted;
# declined with a code; referred on; escalated). One row per referral and provider, so a
# provider is never offered the same referral twice.
referral_offers = Table(
    "referral_offers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(24), nullable=False),
    Column("agency", String(100), nullable=False),
    Column("why", String(20), nullable=False),  # OFFER_REASONS
    Column("offered_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    Column("declined_at", DateTime(timezone=True)),
    Column("referred_on_at", DateTime(timezone=True)),
    Column("escalated_at", DateTime(timezone=True)),
    Column("reason_code", String(40)),  # DECLINE_REASONS or REFER_ON_REASONS
    UniqueConstraint("reference", "agency", name="uq_referral_offers_reference_agency"),
)
Index("ix_referral_offers_agency", referral_offers.c.agency, referral_offers.c.reference)

# The shelter's copy of the directory's shelter providers, from `referral.agency_changed`:
# what routing matches a referral against (the referral service owns the directory).
providers = Table(
    "providers", metadata,
    Column("agency", String(100), primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("region", String(100), nullable=False),
    Column("services", Text, nullable=False),  # JSON list of AGENCY_SERVICES codes
    Column("spoken_languages", Text, nullable=False),  # JSON list of ISO 639 codes
    Column("routing_order", Integer),  # the admin's order; None after every ordered one
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The legal and court cases the legal service announced for a referral, open or closed: the
# shelter keeps a referral's records while one is open (the legal hold, domain/retention.py).
legal_matters = Table(
    "legal_matters", metadata,
    Column("matter_id", String(32), primary_key=True),  # the legal case's or court case's id
    Column("reference", String(24), nullable=False),
    Column("kind", String(20), nullable=False),  # legal_case | court_case
    Column("open", Boolean, nullable=False),
    # when the legal service made the change last applied (the event's time: what orders a
    # legal case's closings and reopenings; rows from before 0050 hold when it was received)
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_legal_matters_reference", legal_matters.c.reference)

# One row per referral, ever: a referral can never hold or occupy two places (unique reference).
# state: waitlisted | held | admitted | discharged | expired | released (domain/placement.py)
placements = Table(
    "placements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(24), ForeignKey("incoming_referrals.reference"), nullable=False,
           unique=True),
    Column("state", String(20), nullable=False),
    Column("population_group", String(20), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("beds", Integer, nullable=False),
    Column("facility_id", String(64), ForeignKey("facilities.id")),  # null while waitlisted
    Column("waitlisted_at", DateTime(timezone=True)),
    Column("priority", Integer, nullable=False, default=0, server_default="0"),
    Column("priority_reason", String(500)),
    Column("priority_set_by", String(100)),
    Column("priority_set_at", DateTime(timezone=True)),
    Column("held_at", DateTime(timezone=True)),
    Column("hold_expires_at", DateTime(timezone=True)),
    Column("admitted_at", DateTime(timezone=True)),
    Column("case_manager", String(100)),
    Column("discharged_at", DateTime(timezone=True)),
    Column("outcome", String(20)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # the provider whose placement it is: whose waitlist it is on, whose beds it holds or
    # occupies (the facility's provider once it has one; a transfer changes it)
    Column("provider", String(100), nullable=False),
)
Index("ix_placements_provider_state", placements.c.provider, placements.c.state)
Index("ix_placements_state_group", placements.c.state, placements.c.population_group)
Index("ix_placements_state_expiry", placements.c.state, placements.c.hold_expires_at)
Index("ix_placements_facility_state", placements.c.facility_id, placements.c.state)

# Hearings of residents, learnt from the legal service: date, time, court and
# attendance only; the reminder turns one into an accompaniment task.
hearing_accompaniments = Table(
    "hearing_accompaniments", metadata,
    Column("hearing_id", String(32), primary_key=True),
    Column("reference", String(24), nullable=False),
    Column("court", String(100), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("attendance_required", Boolean, nullable=False),
    Column("status", String(20), nullable=False),       # scheduled | held | postponed | cancelled
    # none, or the accompaniment task's status (kept in step with ``tasks``)
    Column("task_status", String(20), nullable=False),
    Column("reminder_due_at", DateTime(timezone=True)),
    Column("reminded_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_hearing_accompaniments_starts", hearing_accompaniments.c.starts_at)

# Tasks (docs/decisions/0042): a hearing's court accompaniment, a cash request's approval. Ids,
# codes, user ids and times only; one per hearing, one per plan item.
tasks = Table(
    "tasks", metadata,
    Column("id", String(32), primary_key=True),           # uuid4 hex
    Column("kind", String(20), nullable=False),           # accompaniment | cash_approval
    Column("status", String(20), nullable=False),         # to_arrange | assigned | done | not_needed
    Column("reference", String(24), nullable=False),
    Column("agency", String(100), nullable=False),        # the provider whose task it is
    Column("facility", String(64)),
    Column("hearing_id", String(32)),                     # an accompaniment's hearing
    Column("plan_id", Integer),                           # a cash approval's plan and item
    Column("item_id", Integer),
    Column("assignee", String(100)),
    Column("requested_by", String(100)),                  # a cash request's requester
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(100), nullable=False),
    UniqueConstraint("hearing_id", name="uq_tasks_hearing"),
    UniqueConstraint("item_id", name="uq_tasks_item"),
)
Index("ix_tasks_agency_due", tasks.c.agency, tasks.c.due_at, tasks.c.id)
Index("ix_tasks_assignee_due", tasks.c.assignee, tasks.c.due_at, tasks.c.id)

# --- care plans and first-week milestones ----------------------------------------------------
# Personal text (the person's goals in their words, case notes, the screening result) is stored
# encrypted with REFNET_FILE_KEYS (Fernet); codes, staff ids and times are in clear.

care_plans = Table(
    "care_plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # a placement's plan at each provider it stayed with: a transfer without the survivor's
    # consent to the new provider closes the plan at the old one and opens another
    Column("admission_id", Integer, ForeignKey("placements.id"), nullable=False),
    Column("reference", String(24), nullable=False),
    Column("facility_id", String(64), ForeignKey("facilities.id"), nullable=False),
    Column("case_manager", String(100), nullable=False),
    Column("psychologist", String(100)),
    Column("status", String(20), nullable=False),  # open | closed (at discharge)
    Column("goals", LargeBinary),                  # encrypted: the person's own words
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("agreed_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
    # the person's languages (ISO 639 codes, comma-separated, as staff confirmed them) and
    # whether an interpreter is needed; blanked by retention
    Column("languages", String(40)),
    Column("interpreter_needed", Boolean),
)
Index("ix_care_plans_facility_manager", care_plans.c.facility_id, care_plans.c.case_manager)
Index("ix_care_plans_admission", care_plans.c.admission_id)

plan_items = Table(
    "plan_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("care_plans.id"), nullable=False),
    Column("service", String(40), nullable=False),
    Column("owner", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # planned | in_progress | done | cancelled
    Column("starts_on", Date),
    Column("due_on", Date),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),  # the requester (cash: not the approver)
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    Column("cash_purpose", String(20)),
    Column("amount", Integer),
    Column("currency", String(3)),
    Column("approved_by", String(100)),
    Column("approved_at", DateTime(timezone=True)),
    Column("paid_by", String(100)),
    Column("paid_at", DateTime(timezone=True)),
    Column("legal_request_id", String(32)),
    Column("legal_referred_at", DateTime(timezone=True)),
)
Index("ix_plan_items_plan", plan_items.c.plan_id, plan_items.c.id)

care_milestones = Table(
    "care_milestones", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("care_plans.id"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
    Column("done_by", String(100)),
    Column("overdue_notified_at", DateTime(timezone=True)),  # the overdue event's claim
    UniqueConstraint("plan_id", "code", name="uq_care_milestones_plan_code"),
)
Index("ix_care_milestones_open", care_milestones.c.done_at, care_milestones.c.due_at)

# Follow-up after discharge (issue 21, docs/decisions/0051): one scheduled contact per offset of
# REFNET_FOLLOW_UP_MONTHS, made at discharge; recorded once with an outcome code and the day.
# Codes, staff ids and dates only. ``ended_at`` on the last row to end it marks the follow-up's
# end (the discharged stay's retention counts from it, domain/retention.py).
follow_ups = Table(
    "follow_ups", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("admission_id", Integer, ForeignKey("placements.id"), nullable=False),
    Column("reference", String(24), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("facility_id", String(64), nullable=False),
    Column("case_manager", String(100), nullable=False),
    Column("months", Integer, nullable=False),
    Column("discharged_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(20), nullable=False),     # scheduled | recorded | cancelled
    Column("outcome", String(20)),                    # FOLLOW_UP_OUTCOMES
    Column("contacted_on", Date),
    Column("recorded_at", DateTime(timezone=True)),
    Column("recorded_by", String(100)),
    Column("ended_at", DateTime(timezone=True)),      # set on the contact that ended it
    UniqueConstraint("admission_id", "months", name="uq_follow_ups_admission_months"),
)
Index("ix_follow_ups_provider_status_due", follow_ups.c.provider, follow_ups.c.status,
      follow_ups.c.due_on)
Index("ix_follow_ups_admission", follow_ups.c.admission_id)

care_notes = Table(
    "care_notes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("care_plans.id"), nullable=False),
    Column("author", String(100), nullable=False),
    Column("body", LargeBinary, nullable=False),   # encrypted
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_care_notes_plan", care_notes.c.plan_id, care_notes.c.id)

# An interpreter for a first-week occasion of the plan (services/contracts/interpreters.py):
# the language and the booking's status, who changed it last and when; no name of anyone.
interpreter_bookings = Table(
    "interpreter_bookings", metadata,
    Column("plan_id", Integer, ForeignKey("care_plans.id"), primary_key=True),
    Column("occasion", String(40), primary_key=True),
    Column("language", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The Human Trafficking Case Data Standard codes staff record for a resident's plan
# (services/shelter/domain/htcds.py, docs/decisions/0054): JSON lists of the standard's value
# names and ISO 3166-1 alpha-2 codes; no free text, no name. Deleted by retention.
case_data = Table(
    "case_data", metadata,
    Column("plan_id", Integer, ForeignKey("care_plans.id"), primary_key=True),
    Column("recruitment_methods", Text, nullable=False),
    Column("methods_of_control", Text, nullable=False),
    Column("types_of_exploitation", Text, nullable=False),
    Column("labour_industries", Text, nullable=False),
    Column("sex_exploitation_types", Text, nullable=False),
    Column("country_of_origin", String(2)),
    Column("countries_of_exploitation", Text, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

screenings = Table(
    "screenings", metadata,
    Column("plan_id", Integer, ForeignKey("care_plans.id"), primary_key=True),
    Column("psychologist", String(100), nullable=False),
    Column("result", LargeBinary, nullable=False),  # encrypted JSON: outcome and summary
    Column("screened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The survivor's consent to share her file (and so her care plan) with a provider, as the
# referral service announced it (``referral.consent_changed`` v2, audience "provider"): what a
# transfer reads to decide whether the plan goes with her.
provider_consents = Table(
    "provider_consents", metadata,
    Column("reference", String(24), primary_key=True),
    Column("agency", String(100), primary_key=True),
    Column("granted", Boolean, nullable=False),
    Column("until", DateTime(timezone=True)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
# Care-plan items referred to a partner agency (docs/decisions/0040): status, codes and dates
# only; the partner's users see the row of their agency, never the plan, a note or the file.
partner_referrals = Table(
    "partner_referrals", metadata,
    Column("id", String(32), primary_key=True),          # the partner_referral_id (opaque)
    Column("plan_id", Integer, ForeignKey("care_plans.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("plan_items.id"), nullable=False),
    Column("reference", String(24), nullable=False),
    Column("agency", String(100), nullable=False),          # the provider whose plan it is
    Column("partner_agency", String(100), nullable=False),
    Column("service", String(40), nullable=False),          # PARTNER_SERVICES
    Column("status", String(20), nullable=False),           # PARTNER_REFERRAL_STATUSES
    Column("reason_code", String(40)),                      # PARTNER_DECLINE_REASONS
    Column("outcome_code", String(40)),                     # PARTNER_OUTCOMES
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("sent_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
)
Index("ix_partner_referrals_partner", partner_referrals.c.partner_agency, partner_referrals.c.sent_at)
Index("ix_partner_referrals_item", partner_referrals.c.item_id, partner_referrals.c.sent_at)

# Documents on a care plan (issue 21): medical reports, the content and the file name
# encrypted (services/common/attachments.py); read by the plan's case manager and psychologist,
# deleted with the plan's notes at retention.
attachments = attachment_table(metadata, "plan_id", Integer, "care_plans.id")

outbox, processed_events = messaging_tables(metadata)

# Who changed what, append-only and hash-chained (services/common/audit.py)
audit_log = audit_table(metadata)

# Every encrypted column of the shelter service: the care use cases seal and open through it,
# and `refnet rotate-keys` re-encrypts each.
ENCRYPTED = AtRest(care_plans.c.goals, care_notes.c.body, screenings.c.result,
                   attachments.c.content, attachments.c.file_name)
