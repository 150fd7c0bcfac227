"""Eligible referrals: the referral as the legal service knows it, with the survivor's consent."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.consent import legal_consent_stands
from ..tables import eligible
from .filters import rule_clause

CONSENT_COLUMNS = {name: eligible.c[name] for name in (
    "legal_consent", "legal_consent_until", "referring_agency", "share_status_with_referrer",
    "referrer_consent_until", "shelter_agency")}


def legal_consent_ok(now: datetime):
    """SQL: the legal team's consent stands for the joined eligible row at ``now``."""
    return rule_clause(legal_consent_stands(now), CONSENT_COLUMNS)


def eligible_row(s: Session, reference: str):
    """The eligible row of a referral, or None."""
    return s.execute(select(eligible).where(eligible.c.reference == reference)).first()
