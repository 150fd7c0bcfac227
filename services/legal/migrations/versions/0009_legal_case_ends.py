"""a legal case's ends (issue 21): why it was closed, the history of its status (opened,
closed, reopened) and of its lawyers, each change with who, when and a reason code

Existing cases get their history from what they recorded: the opening (by whom and to which
lawyer) and, for a closed case, the closing with reason ``unknown`` by ``unknown`` (who closed
it was not kept before).

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('legal_cases') as batch:
        batch.add_column(sa.Column('closure_reason', sa.String(40), nullable=True))
    op.create_table(
        'legal_case_status_history',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('case_id', sa.String(32), sa.ForeignKey('legal_cases.id'), nullable=False),
        sa.Column('from_status', sa.String(20), nullable=True),
        sa.Column('to_status', sa.String(20), nullable=False),
        sa.Column('reason_code', sa.String(40), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by_user', sa.String(100), nullable=False),
        sa.Column('by_role', sa.String(20), nullable=False),
    )
    op.create_index('ix_legal_case_status_history_case', 'legal_case_status_history',
                    ['case_id', 'id'])
    op.create_table(
        'legal_case_lawyers',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('case_id', sa.String(32), sa.ForeignKey('legal_cases.id'), nullable=False),
        sa.Column('from_lawyer', sa.String(100), nullable=True),
        sa.Column('to_lawyer', sa.String(100), nullable=False),
        sa.Column('reason_code', sa.String(40), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by_user', sa.String(100), nullable=False),
    )
    op.create_index('ix_legal_case_lawyers_case', 'legal_case_lawyers', ['case_id', 'id'])
    op.execute("UPDATE legal_cases SET closure_reason = 'unknown' WHERE status = 'closed'")
    op.execute("INSERT INTO legal_case_status_history (case_id, from_status, to_status, "
               "reason_code, at, by_user, by_role) SELECT id, NULL, 'open', NULL, opened_at, "
               "opened_by, 'legal' FROM legal_cases ORDER BY opened_at, id")
    op.execute("INSERT INTO legal_case_status_history (case_id, from_status, to_status, "
               "reason_code, at, by_user, by_role) SELECT id, 'open', 'closed', 'unknown', "
               "COALESCE(closed_at, updated_at), 'unknown', 'legal' FROM legal_cases "
               "WHERE status = 'closed' ORDER BY closed_at, id")
    op.execute("INSERT INTO legal_case_lawyers (case_id, from_lawyer, to_lawyer, reason_code, "
               "at, by_user) SELECT id, NULL, lawyer, NULL, opened_at, opened_by FROM legal_cases "
               "ORDER BY opened_at, id")


def downgrade() -> None:
    op.drop_index('ix_legal_case_lawyers_case', table_name='legal_case_lawyers')
    op.drop_table('legal_case_lawyers')
    op.drop_index('ix_legal_case_status_history_case', table_name='legal_case_status_history')
    op.drop_table('legal_case_status_history')
    with op.batch_alter_table('legal_cases') as batch:
        batch.drop_column('closure_reason')
