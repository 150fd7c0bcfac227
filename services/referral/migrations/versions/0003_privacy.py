"""privacy (issue 6): consent records and end dates, keyed name digest, anonymisation time,
the hash-chained audit log (append-only: update and delete refused by triggers)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

from services.common.migrations import audit_log_ops

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referrals') as batch:
        batch.add_column(sa.Column('referrer_consent_until', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('legal_consent_until', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('referrer_consent_withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('legal_consent_withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('name_digest', sa.String(64), nullable=True))
        batch.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_referrals_name_digest', ['name_digest'])
    op.create_table(
        'consent_records',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('referral_id', sa.Integer(), sa.ForeignKey('referrals.id'), nullable=False),
        sa.Column('audience', sa.String(20), nullable=False),
        sa.Column('granted', sa.Boolean(), nullable=False),
        sa.Column('purpose', sa.String(200), nullable=True),
        sa.Column('until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by', sa.String(100), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_consent_records_referral', 'consent_records', ['referral_id', 'id'])
    audit_log_ops.create()


def downgrade() -> None:
    audit_log_ops.drop()
    op.drop_index('ix_consent_records_referral', 'consent_records')
    op.drop_table('consent_records')
    with op.batch_alter_table('referrals') as batch:
        batch.drop_index('ix_referrals_name_digest')
        for name in ('anonymised_at', 'name_digest', 'legal_consent_withdrawn_at',
                     'referrer_consent_withdrawn_at', 'legal_consent_until', 'referrer_consent_until'):
            batch.drop_column(name)
