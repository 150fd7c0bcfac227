"""legal cases, counselling, notes, court cases, hearings, documents, labour disputes (issue 5)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:57:21.508105

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
    op.create_table('legal_cases',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('lawyer', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reference'], ['eligible_referrals.reference'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    op.create_table('counselling_sessions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('lawyer', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['legal_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('counselling_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_case', ['case_id', 'held_on'], unique=False)

    op.create_table('court_cases',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('court', sa.String(length=100), nullable=False),
    sa.Column('case_number', sa.String(length=64), nullable=False),
    sa.Column('charges', sa.Text(), nullable=False),
    sa.Column('standing', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['legal_cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('court', 'case_number', name='uq_court_cases_court_number')
    )
    with op.batch_alter_table('court_cases', schema=None) as batch_op:
        batch_op.create_index('ix_court_cases_case', ['case_id'], unique=False)

    op.create_table('document_requests',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('rejected_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['legal_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('document_requests', schema=None) as batch_op:
        batch_op.create_index('ix_documents_case', ['case_id'], unique=False)

    op.create_table('labour_disputes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('claims', sa.Text(), nullable=False),
    sa.Column('amount_claimed', sa.Integer(), nullable=True),
    sa.Column('amount_recovered', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=500), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['legal_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('labour_disputes', schema=None) as batch_op:
        batch_op.create_index('ix_disputes_case', ['case_id'], unique=False)

    op.create_table('legal_notes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['legal_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('legal_notes', schema=None) as batch_op:
        batch_op.create_index('ix_notes_case', ['case_id', 'created_at'], unique=False)

    op.create_table('court_status_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('court_case_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_role', sa.String(length=20), nullable=False),
    sa.Column('by_agency', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['court_case_id'], ['court_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('court_status_history', schema=None) as batch_op:
        batch_op.create_index('ix_court_status_history_case', ['court_case_id', 'id'], unique=False)

    op.create_table('hearings',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('court_case_id', sa.String(length=32), nullable=False),
    sa.Column('court', sa.String(length=100), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('attendance_required', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome_note', sa.String(length=500), nullable=True),
    sa.Column('postponed_from', sa.String(length=32), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['court_case_id'], ['court_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hearings', schema=None) as batch_op:
        batch_op.create_index('ix_hearings_court_starts', ['court', 'starts_at'], unique=False)
        batch_op.create_index('ix_hearings_reminder', ['status', 'reminder_sent_at', 'starts_at'], unique=False)
        batch_op.create_index('ix_hearings_starts', ['starts_at'], unique=False)

    with op.batch_alter_table('eligible_referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referring_agency', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('share_status_with_referrer', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('shelter_agency', sa.String(length=100), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('eligible_referrals', schema=None) as batch_op:
        batch_op.drop_column('shelter_agency')
        batch_op.drop_column('share_status_with_referrer')
        batch_op.drop_column('referring_agency')

    with op.batch_alter_table('hearings', schema=None) as batch_op:
        batch_op.drop_index('ix_hearings_starts')
        batch_op.drop_index('ix_hearings_reminder')
        batch_op.drop_index('ix_hearings_court_starts')

    op.drop_table('hearings')
    with op.batch_alter_table('court_status_history', schema=None) as batch_op:
        batch_op.drop_index('ix_court_status_history_case')

    op.drop_table('court_status_history')
    with op.batch_alter_table('legal_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_notes_case')

    op.drop_table('legal_notes')
    with op.batch_alter_table('labour_disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_disputes_case')

    op.drop_table('labour_disputes')
    with op.batch_alter_table('document_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_case')

    op.drop_table('document_requests')
    with op.batch_alter_table('court_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_court_cases_case')

    op.drop_table('court_cases')
    with op.batch_alter_table('counselling_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_case')

    op.drop_table('counselling_sessions')
    op.drop_table('legal_cases')
