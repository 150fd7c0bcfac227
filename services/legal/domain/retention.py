"""Closing a legal case, and retention of the legal service's free text. Plain rules, no I/O.

* The legal team closes a legal case when representation ends; not while one of its court
  cases is still open (``check_close``): the court case holds the referral's records.
* ``REFNET_LEGAL_RETENTION_DAYS`` after a case closed, its free text goes: legal notes are
  erased; counselling topics, charge descriptions, hearing purposes and outcome notes, document
  authorities, employers and dispute outcomes become ``ANONYMISED``. Codes, statuses, dates,
  amounts and court ids stay, so the figures survive.
"""

import json
from datetime import datetime, timedelta

from services.common.errors import Conflict

ANONYMISED = "(anonymised)"


def check_close(case_status: str, open_court_cases: int) -> None:
    """Refuse closing a case that is closed already, or one with a court case still open."""
    if case_status == "closed":
        raise Conflict("the legal case is closed already", field="status")
    if open_court_cases:
        raise Conflict(f"{open_court_cases} court case(s) of this legal case are not closed; "
                       "close them first", field="court_cases")


def cutoff(now: datetime, older_than_days: float) -> datetime:
    """The closing time before which a case's free text is anonymised."""
    return now - timedelta(days=float(older_than_days))


def charges_without_text(stored: str) -> str:
    """The charges as stored with their statutes' codes kept and each description removed
    (``[]`` when the stored value is not the JSON list the service writes)."""
    try:
        charges = json.loads(stored)
        return json.dumps([{"statute": c["statute"], "description": None} for c in charges])
    except (ValueError, TypeError, KeyError):
        return "[]"
