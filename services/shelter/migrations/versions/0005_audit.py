"""privacy (issue 6): the hash-chained audit log

Revision ID: 0005
Revises: 0004
"""
from services.common.migrations import audit_log_ops

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit_log_ops.create()


def downgrade() -> None:
    audit_log_ops.drop()
