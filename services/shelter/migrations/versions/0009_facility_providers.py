"""several shelter providers: each facility belongs to a provider (an agency id) and may be
closed; each placement names its provider; a placement may have a plan at each provider it
stayed with; the survivors' consents to share with a provider (docs/decisions/0038)

Every existing facility and placement becomes the provider named by ``REFNET_SHELTER_AGENCY``
(as ``upgrade`` was given it, else the environment's, else the shelter service's default): the
network had that one provider until now.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

from services.common.migrations import setting_of_migration

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

DEFAULT_AGENCY = "erbil-shelter"  # services/shelter/settings.py's default


def _agency() -> str:
    return setting_of_migration("REFNET_SHELTER_AGENCY", DEFAULT_AGENCY)


def upgrade() -> None:
    agency = _agency()
    with op.batch_alter_table('facilities') as batch:
        batch.add_column(sa.Column('provider', sa.String(100), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE facilities SET provider = :agency").bindparams(agency=agency))
    with op.batch_alter_table('facilities') as batch:
        batch.alter_column('provider', existing_type=sa.String(100), nullable=False)
        batch.create_index('ix_facilities_provider', ['provider', 'id'], unique=False)

    with op.batch_alter_table('placements') as batch:
        batch.add_column(sa.Column('provider', sa.String(100), nullable=True))
    op.execute(sa.text("UPDATE placements SET provider = :agency").bindparams(agency=agency))
    with op.batch_alter_table('placements') as batch:
        batch.alter_column('provider', existing_type=sa.String(100), nullable=False)
        batch.create_index('ix_placements_provider_state', ['provider', 'state'], unique=False)

    # one plan per placement and provider: the unique constraint on admission_id goes (its
    # name is PostgreSQL's default; SQLite's is unnamed and is named here to be dropped)
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('care_plans', naming_convention={
                "uq": "uq_%(table_name)s_%(column_0_name)s"}) as batch:
            batch.drop_constraint('uq_care_plans_admission_id', type_='unique')
            batch.create_index('ix_care_plans_admission', ['admission_id'], unique=False)
    else:
        op.drop_constraint('care_plans_admission_id_key', 'care_plans', type_='unique')
        op.create_index('ix_care_plans_admission', 'care_plans', ['admission_id'], unique=False)

    op.create_table(
        'provider_consents',
        sa.Column('reference', sa.String(24), nullable=False),
        sa.Column('agency', sa.String(100), nullable=False),
        sa.Column('granted', sa.Boolean(), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('reference', 'agency'))


def downgrade() -> None:
    op.drop_table('provider_consents')
    with op.batch_alter_table('care_plans') as batch:
        batch.drop_index('ix_care_plans_admission')
        batch.create_unique_constraint('care_plans_admission_id_key', ['admission_id'])
    with op.batch_alter_table('placements') as batch:
        batch.drop_index('ix_placements_provider_state')
        batch.drop_column('provider')
    with op.batch_alter_table('facilities') as batch:
        batch.drop_index('ix_facilities_provider')
        batch.drop_column('updated_at')
        batch.drop_column('closed_at')
        batch.drop_column('provider')
