"""documents on a legal case (issue 21): powers of attorney and court summonses, content and
file name encrypted

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
        'attachments',
        sa.Column('id', sa.String(32), nullable=False),
        sa.Column('case_id', sa.String(32), nullable=False),
        sa.Column('kind', sa.String(30), nullable=False),
        sa.Column('media_type', sa.String(30), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.Text(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by', sa.String(100), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['legal_cases.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_attachments_case_id', 'attachments', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_attachments_case_id', 'attachments')
    op.drop_table('attachments')
