"""interpreters (issue 21): the person's languages and whether an interpreter is needed on the
care plan, and an interpreter booking per first-week occasion (screening, rights briefing)

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('care_plans') as batch:
        batch.add_column(sa.Column('languages', sa.String(40), nullable=True))
        batch.add_column(sa.Column('interpreter_needed', sa.Boolean(), nullable=True))
    op.create_table(
        'interpreter_bookings',
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('occasion', sa.String(40), nullable=False),
        sa.Column('language', sa.String(3), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('updated_by', sa.String(100), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['care_plans.id']),
        sa.PrimaryKeyConstraint('plan_id', 'occasion'))


def downgrade() -> None:
    op.drop_table('interpreter_bookings')
    with op.batch_alter_table('care_plans') as batch:
        batch.drop_column('interpreter_needed')
        batch.drop_column('languages')
