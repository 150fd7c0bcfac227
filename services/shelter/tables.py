"""The shelter service's tables. No names: referrals are known by reference only."""

from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table,
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

outbox, processed_events = messaging_tables(metadata)
