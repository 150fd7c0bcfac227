"""The survivor's consent as the legal service applies it. No I/O.

Shelter staff record consent in the referral service; the legal service learns each change
(``referral.consent_changed``, and a direct call from the gateway so the next read honours it).
Withdrawn consent to legal help, or consent whose end date has passed, hides the referral's
legal case, court cases and hearings from the legal team, and ``GET /legal/eligible`` shows only
that consent was withdrawn. Consent to share status with the referring police works the same
way for the police's slice of hearings.
"""

from datetime import datetime

from .conditions import Equals, IsTrue, NotEnded, NotFalse, Rule, holds

AUDIENCES = ("referring_police", "legal_team")


def legal_consent_stands(now: datetime) -> Rule:
    """The legal team's consent holds: not withdrawn (unknown: as given on acceptance) and its
    end date, if any, still ahead."""
    return (NotFalse("legal_consent"), NotEnded("legal_consent_until", now))


def referrer_consent_stands(agency: str, now: datetime) -> Rule:
    """The referring agency may follow the case: it is ``agency``, the survivor agreed to share
    status with it, and that consent's end date, if any, is still ahead."""
    return (Equals("referring_agency", agency), IsTrue("share_status_with_referrer"),
            NotEnded("referrer_consent_until", now))


def consent_values(audience: str, granted: bool, until, changed_at) -> dict:
    """The columns one consent change sets (an end date only while consent is granted)."""
    if audience == "legal_team":
        return {"legal_consent": granted, "legal_consent_until": until if granted else None,
                "consent_changed_at": changed_at}
    return {"share_status_with_referrer": granted, "referrer_consent_until": until if granted else None,
            "consent_changed_at": changed_at}


def is_newer(change_at: datetime, last_change_at: datetime | None) -> bool:
    """A consent change applies only if it is newer than the last one applied (the event and the
    gateway's direct call may arrive in either order, or twice)."""
    return last_change_at is None or last_change_at < change_at


def eligible_status(current: str, audience: str, granted: bool) -> str:
    """eligible <-> consent_withdrawn on the legal team's consent; other statuses stay."""
    if audience != "legal_team" or current not in ("eligible", "consent_withdrawn"):
        return current
    return "eligible" if granted else "consent_withdrawn"


def shown_status(row, now: datetime) -> str:
    """What the legal team is told: eligible, or consent_withdrawn (also once its end date passed)."""
    if row["status"] == "consent_withdrawn" or not holds(legal_consent_stands(now), row):
        return "consent_withdrawn"
    return row["status"]
