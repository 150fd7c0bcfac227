"""The survivor's consent as the legal service applies it. No I/O.

Shelter staff record consent in the referral service; the legal service learns each change
(``referral.consent_changed``, and a direct call from the gateway so the next read honours it).
Withdrawn consent to legal help hides the referral's legal case, court cases and hearings from
the legal team, and ``GET /legal/eligible`` shows only that consent was withdrawn.
"""

from datetime import datetime

from services.common.timeutil import aware

AUDIENCES = ("referring_police", "legal_team")


def consent_values(audience: str, granted: bool, until, changed_at) -> dict:
    if audience == "legal_team":
        return {"legal_consent": granted, "legal_consent_until": until if granted else None,
                "consent_changed_at": changed_at}
    return {"share_status_with_referrer": granted, "referrer_consent_until": until if granted else None,
            "consent_changed_at": changed_at}


def eligible_status(current: str, audience: str, granted: bool) -> str:
    """eligible <-> consent_withdrawn on the legal team's consent; other statuses stay."""
    if audience != "legal_team" or current not in ("eligible", "consent_withdrawn"):
        return current
    return "eligible" if granted else "consent_withdrawn"


def shown_status(row, now: datetime) -> str:
    """What the legal team is told: eligible, or consent_withdrawn (also once its end date passed)."""
    if row["status"] == "consent_withdrawn" or row.get("legal_consent") is False:
        return "consent_withdrawn"
    until = row.get("legal_consent_until")
    if until is not None and aware(until) <= aware(now):
        return "consent_withdrawn"
    return row["status"]
