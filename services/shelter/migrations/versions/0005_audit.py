"""privacy (issue 6): the hash-chained audit log

Revision ID: 0005_audit
Revises: 0003 (issue 4 adds 0004 in parallel: on merge, point down_revision at it)
"""
from services.common.migrations import audit_log_ops

revision = '0005_audit'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit_log_ops.create()


def downgrade() -> None:
    audit_log_ops.drop()
