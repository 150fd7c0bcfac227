"""coded reasons: the code of a decline's reason beside the staff's own note

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.add_column(sa.Column('decision_reason_code', sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.drop_column('decision_reason_code')
