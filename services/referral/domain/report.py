"""What the referral service keeps in clear for statistics, and how it counts it.

At intake the survivor's sex, age band at identification (child under 18 / adult), nationality
and forms of exploitation are kept as codes beside the encrypted file (docs/decisions/0023):
coarse enough to count, not enough to find a person, and they survive anonymisation, so a
year's figures can still be made after retention removed the files. Pure: no I/O.
"""

from services.contracts.submission import ADULT_AGE, age_of
from services.contracts.vocabulary import exploitation_category as category_of_forms

from .lifecycle import PLACED


def report_codes(submission: dict) -> dict:
    """The statistical codes of a validated submission (no name, no birth year)."""
    survivor = submission["survivor"]
    child = age_of(survivor, submission["identified_on"]) < ADULT_AGE
    return {
        "sex": survivor["sex"],
        "age_band": "child" if child else "adult",
        "nationality": survivor["nationality"],
        "exploitation": ",".join(sorted(set(submission["exploitation_types"]))),
    }


def exploitation_category(codes: str | None) -> str:
    """The reporting category of the comma-separated forms kept at intake (the shared rule of
    ``vocabulary.exploitation_category``); ``UNKNOWN`` when none were kept."""
    return category_of_forms((codes or "").split(","))


def outcome_of(statuses: set[str]) -> str:
    """A referral's outcome from the statuses its timeline reached by the end of the period."""
    if statuses & set(PLACED):
        return "accepted"
    if "declined" in statuses:
        return "declined"
    if "withdrawn" in statuses:
        return "withdrawn"
    return "pending"
