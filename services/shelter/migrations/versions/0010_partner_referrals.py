"""partner referrals (issue 18, docs/decisions/0040): care-plan items referred to a partner
agency, with their status, codes and dates

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'partner_referrals',
        sa.Column('id', sa.String(32), nullable=False),
        sa.Column('plan_id', sa.Integer(), sa.ForeignKey('care_plans.id'), nullable=False),
        sa.Column('item_id', sa.Integer(), sa.ForeignKey('plan_items.id'), nullable=False),
        sa.Column('reference', sa.String(24), nullable=False),
        sa.Column('agency', sa.String(100), nullable=False),
        sa.Column('partner_agency', sa.String(100), nullable=False),
        sa.Column('service', sa.String(40), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('reason_code', sa.String(40), nullable=True),
        sa.Column('outcome_code', sa.String(40), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_by', sa.String(100), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_partner_referrals_partner', 'partner_referrals',
                    ['partner_agency', 'sent_at'])
    op.create_index('ix_partner_referrals_item', 'partner_referrals', ['item_id', 'sent_at'])


def downgrade() -> None:
    op.drop_index('ix_partner_referrals_item', 'partner_referrals')
    op.drop_index('ix_partner_referrals_partner', 'partner_referrals')
    op.drop_table('partner_referrals')
