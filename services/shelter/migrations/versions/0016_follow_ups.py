"""follow-up after discharge (issue 21, docs/decisions/0051): one scheduled contact per offset of
REFNET_FOLLOW_UP_MONTHS, recorded once with an outcome code and the day it was made; the row
whose recording ended the follow-up carries ``ended_at``. Discharges before this migration have
no schedule (their retention counts from the discharge, as before).

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'follow_ups',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('admission_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(24), nullable=False),
        sa.Column('provider', sa.String(100), nullable=False),
        sa.Column('facility_id', sa.String(64), nullable=False),
        sa.Column('case_manager', sa.String(100), nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('discharged_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('outcome', sa.String(20), nullable=True),
        sa.Column('contacted_on', sa.Date(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by', sa.String(100), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['admission_id'], ['placements.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('admission_id', 'months', name='uq_follow_ups_admission_months'))
    op.create_index('ix_follow_ups_provider_status_due', 'follow_ups',
                    ['provider', 'status', 'due_on'])
    op.create_index('ix_follow_ups_admission', 'follow_ups', ['admission_id'])


def downgrade() -> None:
    op.drop_index('ix_follow_ups_admission', 'follow_ups')
    op.drop_index('ix_follow_ups_provider_status_due', 'follow_ups')
    op.drop_table('follow_ups')
