"""legal referral requests from the shelter

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

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
    op.create_table('legal_referral_requests',
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('service', sa.String(length=40), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('request_id')
    )
    with op.batch_alter_table('legal_referral_requests', schema=None) as batch_op:
        batch_op.create_index('ix_legal_referral_requests_received', ['received_at'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('legal_referral_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_referral_requests_received')

    op.drop_table('legal_referral_requests')
