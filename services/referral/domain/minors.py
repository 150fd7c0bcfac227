"""A minor survivor's guardian and consent (issue 21). Plain rules, no I/O.

A referral is a minor's when its statistical age band at identification is ``child``
(``domain/report.py``: the file's own age rule, a birth year alone erring towards a minor).
A minor's guardian is recorded by the shelter staff who hold the referral. A grant of a minor's
consent is recorded with the guardian's: there must be a guardian on record, and the guardian
must have consented too; a minor's withdrawal never waits for anyone.
"""

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import GUARDIAN_RELATIONSHIPS

MAX_NAME = 200


def is_minor(referral: dict) -> bool:
    """Whether the referral's survivor was a minor when identified."""
    return referral.get("stat_age_band") == "child"


def check_guardian(name, relationship) -> str:
    """A guardian's name (1 to 200 characters, kept encrypted) and relationship code."""
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME:
        raise InvalidInput(f"the guardian's name, 1 to {MAX_NAME} characters", field="name")
    if relationship not in GUARDIAN_RELATIONSHIPS:
        raise InvalidInput(f"must be one of {', '.join(GUARDIAN_RELATIONSHIPS)}",
                           field="relationship")
    return name.strip()


def check_has_guardian_role(referral: dict) -> None:
    """Only a minor's referral has a guardian."""
    if not is_minor(referral):
        raise Conflict("the survivor of this referral is not a minor: no guardian is recorded",
                       field="reference")


def guardian_consent_of(referral: dict, granted: bool, guardian_consent, has_guardian: bool):
    """What a consent record keeps of the guardian: None for an adult (and ``guardian_consent``
    must not be given); for a minor's grant, a guardian on record (``409`` naming ``guardian``)
    who consented too (``422`` naming ``guardian_consent``); a minor's withdrawal never waits."""
    if not is_minor(referral):
        if guardian_consent is not None:
            raise InvalidInput("only a minor's consent is recorded with a guardian's",
                               field="guardian_consent")
        return None
    if guardian_consent is not None and not isinstance(guardian_consent, bool):
        raise InvalidInput("true or false", field="guardian_consent")
    if not granted:
        return guardian_consent
    if not has_guardian:
        raise Conflict("record the minor's guardian before a consent to share",
                       field="guardian")
    if guardian_consent is not True:
        raise InvalidInput("a minor's consent to share is recorded with the guardian's",
                           field="guardian_consent")
    return True
