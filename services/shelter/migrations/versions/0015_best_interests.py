"""minor survivors (issue 21): whether an incoming referral's survivor is a minor, and the
best-interests determination a minor's placement decision waits for

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.add_column(sa.Column('survivor_minor', sa.Boolean(), nullable=True))
    op.create_table(
        'best_interests',
        sa.Column('reference', sa.String(24), nullable=False),
        sa.Column('outcome', sa.String(40), nullable=False),
        sa.Column('assessed_by', sa.String(100), nullable=False),
        sa.Column('assessed_on', sa.Date(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['reference'], ['incoming_referrals.reference']),
        sa.PrimaryKeyConstraint('reference'))


def downgrade() -> None:
    op.drop_table('best_interests')
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.drop_column('survivor_minor')
