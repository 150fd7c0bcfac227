"""The legal service's tables. The legal issue adds cases, court cases and hearings."""

from sqlalchemy import Column, DateTime, MetaData, String, Table

from services.common.messaging import messaging_tables

metadata = MetaData()

eligible = Table(
    "eligible_referrals", metadata,
    Column("reference", String(24), primary_key=True),
    Column("status", String(20), nullable=False),  # eligible | withdrawn
    Column("eligible_since", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

outbox, processed_events = messaging_tables(metadata)
