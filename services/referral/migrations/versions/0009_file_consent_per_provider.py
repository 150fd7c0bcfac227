"""file consent per provider and partner updates (issue 18, docs/decisions/0040): the
survivor's consent to share the FILE with a provider, per agency; the consent history names the
agency; care-plan items referred to partner agencies, as the shelter announces them. Every existing
referral was submitted with the survivor's consent to the one shelter of the network, so the
agency named by ``REFNET_SHELTER_AGENCY`` (the setting's default when unset) gets file consent.

Revision ID: 0009
Revises: 0008
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from services.common.migrations import setting_of_migration

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SHELTER_AGENCY = "REFNET_SHELTER_AGENCY"


def shelter_agency() -> str:
    """The network's one shelter agency before there were many: the service's setting."""
    from services.referral.settings import SETTINGS
    default = next(s.default for s in SETTINGS if s.env == SHELTER_AGENCY)
    return setting_of_migration(SHELTER_AGENCY, default)


def upgrade() -> None:
    op.create_table(
        'file_consents',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('referral_id', sa.Integer(), sa.ForeignKey('referrals.id'), nullable=False),
        sa.Column('agency', sa.String(100), nullable=False),
        sa.Column('granted', sa.Boolean(), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('referral_id', 'agency', name='uq_file_consents_referral_agency'))
    with op.batch_alter_table('consent_records') as batch:
        batch.add_column(sa.Column('agency', sa.String(100), nullable=True))
    op.create_table(
        'partner_updates',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('referral_id', sa.Integer(), sa.ForeignKey('referrals.id'), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('partner_referral_id', sa.String(32), nullable=False),
        sa.Column('agency', sa.String(100), nullable=False),
        sa.Column('partner_agency', sa.String(100), nullable=False),
        sa.Column('service', sa.String(40), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('reason_code', sa.String(40), nullable=True),
        sa.Column('outcome_code', sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_partner_updates_referral', 'partner_updates', ['referral_id', 'id'])
    now, agency = datetime.now(timezone.utc), shelter_agency()
    op.get_bind().execute(sa.text(
        "INSERT INTO file_consents (referral_id, agency, granted, updated_at)"
        " SELECT id, :agency, :granted, :now FROM referrals"),
        {"agency": agency, "granted": True, "now": now})
    op.get_bind().execute(sa.text(
        "INSERT INTO consent_records (referral_id, audience, granted, purpose, recorded_by,"
        " recorded_at, agency) SELECT id, 'provider', :granted, :purpose, 'migration', :now,"
        " :agency FROM referrals"),
        {"agency": agency, "granted": True, "now": now,
         "purpose": "consent to the referral, before consent per provider"})


def downgrade() -> None:
    op.drop_index('ix_partner_updates_referral', 'partner_updates')
    op.drop_table('partner_updates')
    op.execute("DELETE FROM consent_records WHERE audience = 'provider'")
    with op.batch_alter_table('consent_records') as batch:
        batch.drop_column('agency')
    op.drop_table('file_consents')
