"""privacy (issue 6): consent state on eligible referrals, the hash-chained audit log

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

from services.common.migrations import audit_log_ops

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('eligible_referrals') as batch:
        batch.add_column(sa.Column('legal_consent', sa.Boolean(), nullable=True))
        batch.add_column(sa.Column('legal_consent_until', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('referrer_consent_until', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('consent_changed_at', sa.DateTime(timezone=True), nullable=True))
    audit_log_ops.create()


def downgrade() -> None:
    audit_log_ops.drop()
    with op.batch_alter_table('eligible_referrals') as batch:
        for name in ('consent_changed_at', 'referrer_consent_until', 'legal_consent_until',
                     'legal_consent'):
            batch.drop_column(name)
