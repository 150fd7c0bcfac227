"""shelter tasks (issue 19, docs/decisions/0042): court accompaniment of a hearing and the
approval of a cash request, each with an assignee, a due time and a status
(to_arrange -> assigned -> done | not_needed); the hearings already reminded get their task

Revision ID: 0013
Revises: 0012
"""
import uuid

from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tasks',
        sa.Column('id', sa.String(32), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('reference', sa.String(24), nullable=False),
        sa.Column('agency', sa.String(100), nullable=False),
        sa.Column('facility', sa.String(64), nullable=True),
        sa.Column('hearing_id', sa.String(32), nullable=True),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('assignee', sa.String(100), nullable=True),
        sa.Column('requested_by', sa.String(100), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_by', sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('hearing_id', name='uq_tasks_hearing'),
        sa.UniqueConstraint('item_id', name='uq_tasks_item'))
    op.create_index('ix_tasks_agency_due', 'tasks', ['agency', 'due_at', 'id'])
    op.create_index('ix_tasks_assignee_due', 'tasks', ['assignee', 'due_at', 'id'])
    # hearings reminded before tasks existed: their accompaniment becomes a task to arrange
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT h.hearing_id, h.reference, h.starts_at, h.updated_at, p.provider, p.facility_id "
        "FROM hearing_accompaniments h JOIN placements p ON p.reference = h.reference "
        "WHERE h.task_status = 'to_arrange'")).fetchall()
    for r in rows:
        bind.execute(sa.text(
            "INSERT INTO tasks (id, kind, status, reference, agency, facility, hearing_id, "
            "due_at, created_at, changed_at, changed_by) VALUES (:id, 'accompaniment', "
            "'to_arrange', :reference, :agency, :facility, :hearing_id, :due_at, :at, :at, "
            "'refnet-shelter')"),
            {"id": uuid.uuid4().hex, "reference": r.reference, "agency": r.provider,
             "facility": r.facility_id, "hearing_id": r.hearing_id, "due_at": r.starts_at,
             "at": r.updated_at})


def downgrade() -> None:
    op.drop_index('ix_tasks_assignee_due', 'tasks')
    op.drop_index('ix_tasks_agency_due', 'tasks')
    op.drop_table('tasks')
