"""retention: when a referral's free text was anonymised at the shelter, and the legal
and court cases announced by the legal service (the legal hold)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'legal_matters',
        sa.Column('matter_id', sa.String(32), primary_key=True),
        sa.Column('reference', sa.String(24), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('open', sa.Boolean, nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_legal_matters_reference', 'legal_matters', ['reference'])


def downgrade() -> None:
    op.drop_index('ix_legal_matters_reference', table_name='legal_matters')
    op.drop_table('legal_matters')
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.drop_column('anonymised_at')
