"""placements and out of service

Shelter capacity (issue 3): one placement row per referral (waitlist, hold, admission,
discharge), beds out of service with a reason and return date, and the capacity history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:51:08.438310

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('capacity_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('facility_id', sa.String(length=64), nullable=False),
    sa.Column('population_group', sa.String(length=20), nullable=False),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('out_of_service', sa.Integer(), nullable=False),
    sa.Column('occupied', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('capacity_history', schema=None) as batch_op:
        batch_op.create_index('ix_capacity_history_facility', ['facility_id', 'id'], unique=False)

    op.create_table('placements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('population_group', sa.String(length=20), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('beds', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.String(length=64), nullable=True),
    sa.Column('waitlisted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('priority', sa.Integer(), server_default='0', nullable=False),
    sa.Column('priority_reason', sa.String(length=500), nullable=True),
    sa.Column('priority_set_by', sa.String(length=100), nullable=True),
    sa.Column('priority_set_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('admitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('case_manager', sa.String(length=100), nullable=True),
    sa.Column('discharged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], ),
    sa.ForeignKeyConstraint(['reference'], ['incoming_referrals.reference'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.create_index('ix_placements_facility_state', ['facility_id', 'state'], unique=False)
        batch_op.create_index('ix_placements_state_expiry', ['state', 'hold_expires_at'], unique=False)
        batch_op.create_index('ix_placements_state_group', ['state', 'population_group'], unique=False)

    with op.batch_alter_table('bed_inventory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('out_of_service', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('out_of_service_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('out_of_service_until', sa.Date(), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('bed_inventory', schema=None) as batch_op:
        batch_op.drop_column('out_of_service_until')
        batch_op.drop_column('out_of_service_reason')
        batch_op.drop_column('out_of_service')

    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.drop_index('ix_placements_state_group')
        batch_op.drop_index('ix_placements_state_expiry')
        batch_op.drop_index('ix_placements_facility_state')

    op.drop_table('placements')
    with op.batch_alter_table('capacity_history', schema=None) as batch_op:
        batch_op.drop_index('ix_capacity_history_facility')

    op.drop_table('capacity_history')
