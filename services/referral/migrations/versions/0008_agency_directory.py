"""the agency directory (docs/decisions/0037): the agencies table, registering what existing data
implies (the shelter agency the network ran with, ``REFNET_SHELTER_AGENCY``, as a shelter
provider; each agency that referred as a police unit), and the provider a referral is addressed
to (``addressed_to``; null: the network)

Revision ID: 0008
Revises: 0007
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from services.common.migrations import setting_of_migration

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

MIGRATED_BY = "migration-0008"


def shelter_agency() -> str:
    """The agency id the shelter service signed with until now: ``REFNET_SHELTER_AGENCY`` as
    ``upgrade`` was given it, else of the environment ``refnet migrate`` runs in (the referral
    service's setting, same default)."""
    return setting_of_migration("REFNET_SHELTER_AGENCY", "erbil-shelter")


def upgrade() -> None:
    agencies = op.create_table(
        'agencies',
        sa.Column('id', sa.String(100), primary_key=True),
        sa.Column('kind', sa.String(30), nullable=False),
        sa.Column('name_en', sa.String(200), nullable=False),
        sa.Column('name_ar', sa.String(200), nullable=True),
        sa.Column('name_ckb', sa.String(200), nullable=True),
        sa.Column('region', sa.String(100), nullable=False),
        sa.Column('services', sa.Text(), nullable=False),
        sa.Column('languages', sa.Text(), nullable=False),
        sa.Column('routing_order', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(100), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(100), nullable=False),
    )
    op.create_index('ix_agencies_kind', 'agencies', ['kind', 'id'])
    with op.batch_alter_table('referrals') as batch:
        batch.add_column(sa.Column('addressed_to', sa.String(100), nullable=True))

    now = datetime.now(timezone.utc)
    common = {"region": "", "languages": "[]", "active": True, "created_at": now,
              "created_by": MIGRATED_BY, "updated_at": now, "updated_by": MIGRATED_BY}
    shelter = shelter_agency()
    rows = [{"id": shelter, "kind": "shelter_provider", "name_en": shelter,
             "services": '["shelter"]', "routing_order": 1, **common}]
    connection = op.get_bind()
    referring = connection.execute(sa.text(
        "SELECT DISTINCT referring_agency FROM referrals ORDER BY referring_agency")).scalars()
    rows += [{"id": agency, "kind": "police_unit", "name_en": agency, "services": "[]",
              "routing_order": None, **common} for agency in referring if agency != shelter]
    op.bulk_insert(agencies, rows)


def downgrade() -> None:
    with op.batch_alter_table('referrals') as batch:
        batch.drop_column('addressed_to')
    op.drop_index('ix_agencies_kind', 'agencies')
    op.drop_table('agencies')
