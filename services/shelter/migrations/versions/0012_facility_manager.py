"""the facility's manager (issue 19, docs/decisions/0042): a staff user id, told of a
resident's overdue milestone beside the case manager; null while none is named

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('facilities') as batch:
        batch.add_column(sa.Column('manager', sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('facilities') as batch:
        batch.drop_column('manager')
