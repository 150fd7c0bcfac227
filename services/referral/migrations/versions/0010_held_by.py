"""routing (docs/decisions/0039): the provider that holds a referral, since when, and when it
was flagged to the admins with no provider left. Existing referrals the shelter received are
held by the one provider there was, ``REFNET_SHELTER_AGENCY``.

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa
from services.common.migrations import setting_of_migration

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    agency = setting_of_migration("REFNET_SHELTER_AGENCY", "erbil-shelter")
    with op.batch_alter_table('referrals') as batch:
        batch.add_column(sa.Column('held_by', sa.String(100), nullable=True))
        batch.add_column(sa.Column('held_since', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('unplaced_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_referrals_unplaced_at', 'referrals', ['unplaced_at'])
    referrals = sa.table('referrals', sa.column('held_by', sa.String), sa.column('status', sa.String))
    op.execute(referrals.update().where(referrals.c.status != 'submitted')
               .values(held_by=agency))


def downgrade() -> None:
    op.drop_index('ix_referrals_unplaced_at', table_name='referrals')
    with op.batch_alter_table('referrals') as batch:
        for column in ('unplaced_at', 'held_since', 'held_by'):
            batch.drop_column(column)
