"""coded reasons: a decline's or withdrawal's reason code on the timeline, the police's
withdrawal note on the referral's own record, and the free text of earlier entries taken off
the timeline (docs/decisions/0036)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

WITHDRAWN = "Withdrawn: "  # the prefix of a withdrawal entry that carried the police's text


def upgrade() -> None:
    with op.batch_alter_table('timeline_entries') as batch:
        batch.add_column(sa.Column('reason_code', sa.String(40), nullable=True))
    with op.batch_alter_table('referrals') as batch:
        batch.add_column(sa.Column('withdrawal_note', sa.String(500), nullable=True))
    # the police's own words move to the referral's record; the shelter kept its decline text
    # itself, so the timeline's copy goes. Both entries then say "reason not recorded".
    op.execute(
        "UPDATE referrals SET withdrawal_note = (SELECT substr(t.note, 12) FROM timeline_entries t"
        " WHERE t.referral_id = referrals.id AND t.status = 'withdrawn'"
        " AND t.note LIKE 'Withdrawn: %' ORDER BY t.id DESC LIMIT 1)"
        " WHERE EXISTS (SELECT 1 FROM timeline_entries t WHERE t.referral_id = referrals.id"
        " AND t.status = 'withdrawn' AND t.note LIKE 'Withdrawn: %')")
    op.execute("UPDATE timeline_entries SET note = 'Withdrawn: Reason not recorded',"
               " reason_code = 'unknown' WHERE status = 'withdrawn'")
    op.execute("UPDATE timeline_entries SET note = 'Declined: Reason not recorded',"
               " reason_code = 'unknown' WHERE status = 'declined'")


def downgrade() -> None:
    with op.batch_alter_table('referrals') as batch:
        batch.drop_column('withdrawal_note')
    with op.batch_alter_table('timeline_entries') as batch:
        batch.drop_column('reason_code')
