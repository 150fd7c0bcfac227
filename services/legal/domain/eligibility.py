"""When a referral becomes eligible for legal representation. No I/O."""


def eligible_on_acceptance(legal_consent: bool) -> bool:
    """An accepted referral is eligible only if the survivor consented to legal help."""
    return bool(legal_consent)
