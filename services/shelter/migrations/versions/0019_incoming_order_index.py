"""the incoming list's order kept in an index: each referral's urgency rank stored beside it

Shelter staff list what their provider holds most urgent first, then newest. The order was a
CASE over the urgency, so every view sorted all the provider's referrals of that status (a
provider's history grows without bound); with the rank a column, an index on (holder, status,
rank, received, reference) gives a page in order and the scan stops after it.

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# services/contracts/vocabulary.py URGENCY_RANK when this migration was written (a migration
# keeps its own copy: the vocabulary may grow after it)
RANKS = {"routine": 0, "urgent": 1, "emergency": 2}


def upgrade() -> None:
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.add_column(sa.Column('urgency_rank', sa.SmallInteger(), nullable=False,
                                   server_default='0'))
    incoming = sa.table('incoming_referrals', sa.column('urgency', sa.String),
                        sa.column('urgency_rank', sa.SmallInteger))
    op.execute(incoming.update().values(
        urgency_rank=sa.case(RANKS, value=incoming.c.urgency, else_=0)))
    op.drop_index('ix_incoming_holder_status', 'incoming_referrals')  # the next one's prefix
    op.create_index('ix_incoming_holder_status_order', 'incoming_referrals',
                    ['held_by', 'status', 'urgency_rank', 'received_at', 'reference'])
    op.create_index('ix_incoming_holder_order', 'incoming_referrals',
                    ['held_by', 'urgency_rank', 'received_at', 'reference'])


def downgrade() -> None:
    op.drop_index('ix_incoming_holder_order', 'incoming_referrals')
    op.drop_index('ix_incoming_holder_status_order', 'incoming_referrals')
    op.create_index('ix_incoming_holder_status', 'incoming_referrals',
                    ['held_by', 'status', 'received_at'])
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.drop_column('urgency_rank')
