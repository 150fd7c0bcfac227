"""security: the audit chain keyed (key_id), and on PostgreSQL audit_log owned by
audit_owner, the service's role keeping SELECT and INSERT only

Revision ID: 0005
Revises: 0004
"""
from services.common.migrations import audit_log_ops

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit_log_ops.add_key_id()
    audit_log_ops.protect()


def downgrade() -> None:
    audit_log_ops.unprotect()
    audit_log_ops.drop_key_id()
