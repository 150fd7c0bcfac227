"""minor survivors' guardians (issue 21): the guardian of a minor (name encrypted) and, on
each consent recorded for a minor, whether the guardian consented with the child

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'guardians',
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.LargeBinary(), nullable=True),
        sa.Column('relationship', sa.String(30), nullable=False),
        sa.Column('recorded_by', sa.String(100), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id']),
        sa.PrimaryKeyConstraint('referral_id'))
    with op.batch_alter_table('consent_records') as batch:
        batch.add_column(sa.Column('guardian_consent', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('consent_records') as batch:
        batch.drop_column('guardian_consent')
    op.drop_table('guardians')
