"""Eligible referrals: the referral as the legal service knows it, with the survivor's consent."""

from sqlalchemy import select
from services.common.db import WriteTransaction

from ..tables import eligible

# the eligible row's columns the visibility rules (``access``) name: consent and relations
CONSENT_COLUMNS = {name: eligible.c[name] for name in (
    "legal_consent", "legal_consent_until", "referring_agency", "share_status_with_referrer",
    "referrer_consent_until", "shelter_agency")}


def eligible_row(s: WriteTransaction, reference: str, for_update: bool = False):
    """The eligible row of a referral, or None (locked when ``for_update``)."""
    query = select(eligible).where(eligible.c.reference == reference)
    return s.execute(query.with_for_update() if for_update else query).first()
