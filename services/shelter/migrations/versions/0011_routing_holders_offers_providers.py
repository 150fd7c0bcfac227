"""routing (docs/decisions/0039): who holds an incoming referral, since when and until when it
must be answered; every offer of a referral to a provider; the shelter's copy of the providers.
Existing referrals are held by the one provider there was, ``REFNET_SHELTER_AGENCY``, which is
registered in the copy.

Revision ID: 0011
Revises: 0010
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from services.common.migrations import setting_of_migration

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    agency = setting_of_migration("REFNET_SHELTER_AGENCY", "erbil-shelter")
    now = datetime.now(timezone.utc)
    with op.batch_alter_table('incoming_referrals') as batch:
        batch.add_column(sa.Column('held_by', sa.String(100), nullable=True))
        batch.add_column(sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('service_languages', sa.Text, nullable=True))
        batch.add_column(sa.Column('unplaced_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_incoming_holder_status', 'incoming_referrals',
                    ['held_by', 'status', 'received_at'])
    op.create_index('ix_incoming_status_due', 'incoming_referrals', ['status', 'answer_due_at'])
    # existing referrals: held by the one provider there was, offered when received; no answer
    # due (the sweep does not escalate what was waiting before routing existed)
    incoming = sa.table('incoming_referrals', sa.column('held_by', sa.String),
                        sa.column('offered_at', sa.DateTime(timezone=True)),
                        sa.column('received_at', sa.DateTime(timezone=True)))
    op.execute(incoming.update().where(incoming.c.held_by.is_(None))
               .values(held_by=agency, offered_at=incoming.c.received_at))
    op.create_table(
        'referral_offers',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('reference', sa.String(24), nullable=False),
        sa.Column('agency', sa.String(100), nullable=False),
        sa.Column('why', sa.String(20), nullable=False),
        sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True)),
        sa.Column('declined_at', sa.DateTime(timezone=True)),
        sa.Column('referred_on_at', sa.DateTime(timezone=True)),
        sa.Column('escalated_at', sa.DateTime(timezone=True)),
        sa.Column('reason_code', sa.String(40)),
        sa.UniqueConstraint('reference', 'agency', name='uq_referral_offers_reference_agency'),
    )
    op.create_index('ix_referral_offers_agency', 'referral_offers', ['agency', 'reference'])
    op.execute(
        "INSERT INTO referral_offers (reference, agency, why, offered_at, answered_at, "
        "declined_at, reason_code) SELECT reference, held_by, 'routed', received_at, "
        "CASE WHEN status = 'accepted' THEN decided_at END, "
        "CASE WHEN status = 'declined' THEN decided_at END, decision_reason_code "
        "FROM incoming_referrals")
    providers = op.create_table(
        'providers',
        sa.Column('agency', sa.String(100), primary_key=True),
        sa.Column('active', sa.Boolean, nullable=False),
        sa.Column('region', sa.String(100), nullable=False),
        sa.Column('services', sa.Text, nullable=False),
        sa.Column('spoken_languages', sa.Text, nullable=False),
        sa.Column('routing_order', sa.Integer),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(providers, [{
        'agency': agency, 'active': True, 'region': '', 'services': '["shelter"]',
        'spoken_languages': '[]', 'routing_order': None, 'updated_at': now}])


def downgrade() -> None:
    op.drop_table('providers')
    op.drop_index('ix_referral_offers_agency', table_name='referral_offers')
    op.drop_table('referral_offers')
    op.drop_index('ix_incoming_status_due', table_name='incoming_referrals')
    op.drop_index('ix_incoming_holder_status', table_name='incoming_referrals')
    with op.batch_alter_table('incoming_referrals') as batch:
        for column in ('unplaced_at', 'service_languages', 'answer_due_at', 'offered_at',
                       'held_by'):
            batch.drop_column(column)
