"""The survivor's consent as the legal service applies it. No I/O.

Shelter staff record consent in the referral service; the legal service learns each change
(``referral.consent_changed``, and a direct call from the gateway so the next read honours it).
Withdrawn consent to legal help, or consent whose end date has passed, hides everything of the
referral from the legal team (its legal case and every part of it, court cases, hearings, what
the shelter referred), and ``GET /legal/eligible`` shows only that consent was withdrawn.
Consent to share status with the referring police works the same way for the police's slice of
hearings. Each audience's choice carries its own time: a change applies when it is newer than
the last change applied *for that audience*, whatever happened to the other one meanwhile.
"""

from datetime import datetime

from .conditions import IsTrue, NotEnded, NotFalse, Rule, holds

AUDIENCES = ("referring_police", "legal_team")


def legal_consent_stands(now: datetime) -> Rule:
    """The legal team's consent holds: not withdrawn (unknown: as given on acceptance) and its
    end date, if any, still ahead."""
    return (NotFalse("legal_consent"), NotEnded("legal_consent_until", now))


def referrer_consent_stands(now: datetime) -> Rule:
    """The survivor agreed to share status with the referring agency, and that consent's end
    date, if any, is still ahead (which agency referred is the relation, not the consent)."""
    return (IsTrue("share_status_with_referrer"), NotEnded("referrer_consent_until", now))


# audience -> the column holding the time of the last change applied for it
CHANGED_AT = {"legal_team": "legal_consent_changed_at",
              "referring_police": "referrer_consent_changed_at"}


def consent_values(audience: str, granted: bool, until, changed_at) -> dict:
    """The columns one consent change sets (an end date only while consent is granted), its
    audience's change time included and the other audience's left alone."""
    if audience == "legal_team":
        values = {"legal_consent": granted, "legal_consent_until": until if granted else None}
    else:
        values = {"share_status_with_referrer": granted,
                  "referrer_consent_until": until if granted else None}
    return {**values, CHANGED_AT[audience]: changed_at}


def last_change_at(row, audience: str) -> datetime | None:
    """When the last change for ``audience`` was applied to ``row`` (None: never)."""
    return row[CHANGED_AT[audience]]


def ever_changed(row) -> bool:
    """Whether any consent change reached ``row`` (for either audience)."""
    return any(row[column] is not None for column in CHANGED_AT.values())


def is_newer(change_at: datetime, last_change_at: datetime | None) -> bool:
    """A consent change applies only if it is newer than the last one applied for the same
    audience (the event and the gateway's direct call may arrive in either order, or twice)."""
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
