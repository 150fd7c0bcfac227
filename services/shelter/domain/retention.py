"""The shelter's retention: when a resident's or an applicant's records are anonymised, and the
legal hold that keeps them. Plain rules, no I/O.

* A referral's stay at the shelter has ended when its placement is ``ENDED_PLACEMENTS``
  (discharged, its hold expired, released) or, with no placement, when the shelter's own
  status of it is ``ENDED_INCOMING`` (declined, withdrawn, closed).
* ``REFNET_SHELTER_RETENTION_DAYS`` after that end, the free text goes: case notes and screening
  results are erased, the goals and the decline and priority reasons blanked. Codes, staff ids,
  dates and counts stay, so the shelter's figures survive.
* A legal hold (docs/decisions/0035-retention-everywhere-and-the-legal-hold.md): while the legal
  service has announced a legal case or a court case of the referral that it has not announced
  closed, the shelter keeps those records: a court may need the care record and the screening.
"""

from datetime import datetime, timedelta

ENDED_PLACEMENTS = ("discharged", "expired", "released")
ENDED_INCOMING = ("declined", "withdrawn", "closed")


def cutoff(now: datetime, older_than_days: float) -> datetime:
    """The end before which a referral's records are anonymised."""
    return now - timedelta(days=float(older_than_days))


def ended_at(incoming: dict, placement: dict | None):
    """When the shelter's part of a referral ended, or None while it goes on."""
    if placement is not None:
        return placement["updated_at"] if placement["state"] in ENDED_PLACEMENTS else None
    if incoming["status"] in ENDED_INCOMING:
        return incoming["decided_at"] or incoming["received_at"]
    return None


def legal_hold(matters: list[dict]) -> bool:
    """Whether any legal or court case of the referral is still open (``open`` per matter)."""
    return any(m["open"] for m in matters)


def matter_change(event_type: str, payload: dict) -> tuple[str, str, bool] | None:
    """What a legal event says about one legal matter: (matter id, kind, open), or None for an
    event that opens or closes nothing. ``closed`` is final: the caller never reopens one."""
    if event_type == "legal.case_opened":
        return payload["case_id"], "legal_case", True
    if event_type == "legal.case_closed":
        return payload["case_id"], "legal_case", False
    if event_type == "legal.court_status_changed":
        return payload["court_case_id"], "court_case", payload["status"] != "closed"
    return None
