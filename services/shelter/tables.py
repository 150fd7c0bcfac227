"""The shelter service's tables. No names: referrals are known by reference only."""

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text)

from services.common.messaging import messaging_tables

metadata = MetaData()

facilities = Table(
    "facilities", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

beds = Table(
    "bed_inventory", metadata,
    Column("facility_id", String(64), ForeignKey("facilities.id"), primary_key=True),
    Column("population_group", String(20), primary_key=True),
    Column("capacity", Integer, nullable=False),
    Column("occupied", Integer, nullable=False, default=0),
    Column("held", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

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
    Column("decision_reason", String(500)),
)
Index("ix_incoming_status_received", incoming.c.status, incoming.c.received_at)

# Hearings of residents, learnt from the legal service (issue 5): date, time, court and
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
    Column("task_status", String(20), nullable=False),  # none | to_arrange
    Column("reminder_due_at", DateTime(timezone=True)),
    Column("reminded_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_hearing_accompaniments_starts", hearing_accompaniments.c.starts_at)

outbox, processed_events = messaging_tables(metadata)
