"""consent per audience: one change time per audience instead of one for both

A change for one audience no longer hides a later-arriving, older-dated change for the other.
The single old time is copied to both: nothing already decided is re-opened.

Revision ID: 0005_consent_per_audience
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_consent_per_audience'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('eligible_referrals') as batch:
        batch.add_column(sa.Column('legal_consent_changed_at', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('referrer_consent_changed_at', sa.DateTime(timezone=True),
                                   nullable=True))
    op.execute("UPDATE eligible_referrals SET legal_consent_changed_at = consent_changed_at, "
               "referrer_consent_changed_at = consent_changed_at")
    with op.batch_alter_table('eligible_referrals') as batch:
        batch.drop_column('consent_changed_at')


def downgrade() -> None:
    with op.batch_alter_table('eligible_referrals') as batch:
        batch.add_column(sa.Column('consent_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE eligible_referrals SET consent_changed_at = CASE "
               "WHEN referrer_consent_changed_at IS NULL THEN legal_consent_changed_at "
               "WHEN legal_consent_changed_at IS NULL THEN referrer_consent_changed_at "
               "WHEN legal_consent_changed_at > referrer_consent_changed_at "
               "THEN legal_consent_changed_at ELSE referrer_consent_changed_at END")
    with op.batch_alter_table('eligible_referrals') as batch:
        batch.drop_column('referrer_consent_changed_at')
        batch.drop_column('legal_consent_changed_at')
