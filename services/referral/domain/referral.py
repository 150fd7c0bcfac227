"""Rules about a referral as submitted: who it is for, what it needs, who may see it. No I/O."""

from datetime import date

from services.common.caller import Caller
from services.common.errors import NotFound
from services.contracts.submission import ADULT_AGE, age_of


def population_group(submission: dict) -> str:
    """The shelter group a referral needs: children and families, else women or men."""
    survivor = submission["survivor"]
    minor = age_of(survivor, submission["identified_on"]) < ADULT_AGE
    if minor or submission.get("children"):
        return "children"
    return "women" if survivor["sex"] == "female" else "men"


def beds_needed(submission: dict) -> int:
    """A family needs as many beds as people."""
    return 1 + len(submission.get("children") or [])


def summary_fields(submission: dict) -> dict:
    """The non-personal facts kept in clear beside the encrypted file."""
    consent = submission["consent"]
    return {
        "population_group": population_group(submission),
        "urgency": submission["urgency"],
        "needs": list(submission["needs"]),
        "children_count": len(submission.get("children") or []),
        "beds_needed": beds_needed(submission),
        "share_status_with_referrer": bool(consent.get("share_status_with_referrer", True)),
        "share_with_legal": bool(consent.get("share_with_legal", True)),
    }


def may_read_status(caller: Caller, referral: dict) -> bool:
    """Status is shared with the shelter, the referring police agency (with the survivor's
    consent), and the legal team (with consent to legal help)."""
    if caller.role == "shelter":
        return True
    if caller.role == "police":
        return caller.agency == referral["referring_agency"] and referral["share_status_with_referrer"]
    if caller.role == "legal":
        return referral["share_with_legal"]
    return False


def may_read_file(caller: Caller, referral: dict) -> bool:
    """The full file (identity and circumstances) is for shelter staff only."""
    return caller.role == "shelter"


def require_status_access(caller: Caller, referral: dict | None, reference: str) -> dict:
    """The referral, or ``NotFound``: another agency's reference must not be told apart from
    one that does not exist."""
    if referral is None or not may_read_status(caller, referral):
        raise NotFound(f"no referral {reference}", field="reference")
    return referral


def require_withdraw_access(caller: Caller, referral: dict | None, reference: str) -> dict:
    if referral is None or caller.role != "police" or caller.agency != referral["referring_agency"]:
        raise NotFound(f"no referral {reference}", field="reference")
    return referral


