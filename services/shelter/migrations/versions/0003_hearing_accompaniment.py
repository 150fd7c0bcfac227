"""residents' hearings and court accompaniment tasks (legal issue 5)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:59:35.294719

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('hearing_accompaniments',
    sa.Column('hearing_id', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('court', sa.String(length=100), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('attendance_required', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('task_status', sa.String(length=20), nullable=False),
    sa.Column('reminder_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hearing_id')
    )
    with op.batch_alter_table('hearing_accompaniments', schema=None) as batch_op:
        batch_op.create_index('ix_hearing_accompaniments_starts', ['starts_at'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('hearing_accompaniments', schema=None) as batch_op:
        batch_op.drop_index('ix_hearing_accompaniments_starts')

    op.drop_table('hearing_accompaniments')
