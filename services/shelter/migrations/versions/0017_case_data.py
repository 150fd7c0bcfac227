"""case data (issue 21): the Human Trafficking Case Data Standard codes recorded for a
resident's care plan (recruitment, means of control, exploitation, countries)

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_data',
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('recruitment_methods', sa.Text(), nullable=False),
        sa.Column('methods_of_control', sa.Text(), nullable=False),
        sa.Column('types_of_exploitation', sa.Text(), nullable=False),
        sa.Column('labour_industries', sa.Text(), nullable=False),
        sa.Column('sex_exploitation_types', sa.Text(), nullable=False),
        sa.Column('country_of_origin', sa.String(2), nullable=True),
        sa.Column('countries_of_exploitation', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.String(100), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['care_plans.id']),
        sa.PrimaryKeyConstraint('plan_id'))


def downgrade() -> None:
    op.drop_table('case_data')
