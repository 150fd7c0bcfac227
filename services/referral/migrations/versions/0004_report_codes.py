"""reports (issue 10): statistical codes beside the encrypted file (sex, age band,
nationality, forms of exploitation), and indexes for counting a period

Rows recorded before this revision keep null codes and are counted as "unknown".

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referrals') as batch:
        batch.add_column(sa.Column('stat_sex', sa.String(10), nullable=True))
        batch.add_column(sa.Column('stat_age_band', sa.String(10), nullable=True))
        batch.add_column(sa.Column('stat_nationality', sa.String(2), nullable=True))
        batch.add_column(sa.Column('stat_exploitation', sa.String(120), nullable=True))
        batch.create_index('ix_referrals_submitted_at', ['submitted_at'])
    op.create_index('ix_timeline_status_at', 'timeline_entries', ['status', 'at'])


def downgrade() -> None:
    op.drop_index('ix_timeline_status_at', table_name='timeline_entries')
    with op.batch_alter_table('referrals') as batch:
        batch.drop_index('ix_referrals_submitted_at')
        batch.drop_column('stat_exploitation')
        batch.drop_column('stat_nationality')
        batch.drop_column('stat_age_band')
        batch.drop_column('stat_sex')
