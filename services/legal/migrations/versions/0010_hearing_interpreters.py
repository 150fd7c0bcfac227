"""hearing interpreters (issue 21): the language and booking status of the interpreter the
survivor needs at a hearing

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
    with op.batch_alter_table('hearings') as batch:
        batch.add_column(sa.Column('interpreter_language', sa.String(3), nullable=True))
        batch.add_column(sa.Column('interpreter_status', sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('hearings') as batch:
        batch.drop_column('interpreter_status')
        batch.drop_column('interpreter_language')
