"""The shelter's retention: when a resident's or an applicant's records are anonymised, and the
legal hold that keeps them. Plain rules, no I/O.

* A referral's stay at the shelter has ended when its placement is ``ENDED_PLACEMENTS``
  (discharged, its hold expired, released) or, with no placement, when the shelter's own
  status of it is ``ENDED_INCOMING`` (declined, withdrawn, closed).
* A discharged stay with a follow-up schedule ends when its follow-up ends (its last contact
  recorded, or a re-referral): a stay whose follow-up still runs is never anonymised.
* ``REFNET_SHELTER_RETENTION_DAYS`` after that end, the free text goes: case notes and screening
  results are erased, the goals and the decline and priority reasons blanked. Codes, staff ids,
  dates and counts stay, so the shelter's figures survive.
* A legal hold (docs/decisions/0035-retention-everywhere-and-the-legal-hold.md): while the legal
  service has announced a legal case or a court case of the referral that it has not announced
  closed, the shelter keeps those records: a court may need the care record and the screening.
  A legal case reopened is open again (the latest of its closings and reopenings wins,
  ``matter_changes``; docs/decisions/0050).
"""

from datetime import datetime, timedelta, timezone

ENDED_PLACEMENTS = ("discharged", "expired", "released")
ENDED_INCOMING = ("declined", "withdrawn", "closed")


def cutoff(now: datetime, older_than_days: float) -> datetime:
    """The end before which a referral's records are anonymised."""
    return now - timedelta(days=float(older_than_days))


def ended_at(incoming: dict, placement: dict | None, follow_up: dict | None = None):
    """When the shelter's part of a referral ended, or None while it goes on. A discharge with
    a follow-up schedule (``follow_up``: its ``ended_at``, None while it runs) ends when its
    follow-up ends (docs/decisions/0051): the case manager still calls her until then."""
    if placement is not None:
        if placement["state"] not in ENDED_PLACEMENTS:
            return None
        if follow_up is None:
            return placement["updated_at"]
        if follow_up["ended_at"] is None:
            return None
        return max(placement["updated_at"], follow_up["ended_at"])
    if incoming["status"] in ENDED_INCOMING:
        return incoming["decided_at"] or incoming["received_at"]
    return None


def legal_hold(matters: list[dict]) -> bool:
    """Whether any legal or court case of the referral is still open (``open`` per matter)."""
    return any(m["open"] for m in matters)


def matter_change(event_type: str, payload: dict) -> tuple[str, str, bool, datetime] | None:
    """What a legal event says about one legal matter: (matter id, kind, open, when the legal
    service changed it), or None for an event that opens or closes nothing."""
    if event_type == "legal.case_opened":
        return payload["case_id"], "legal_case", True, payload["opened_at"]
    if event_type == "legal.case_closed":
        return payload["case_id"], "legal_case", False, payload["closed_at"]
    if event_type == "legal.case_reopened":
        return payload["case_id"], "legal_case", True, payload["reopened_at"]
    if event_type == "legal.court_status_changed":
        return (payload["court_case_id"], "court_case", payload["status"] != "closed",
                payload["changed_at"])
    return None


def matter_changes(kind: str, known_open: bool, known_at: datetime, is_open: bool,
                   at: datetime) -> bool:
    """Whether a change announced at ``at`` replaces what is known of a matter (its state and
    time; events arrive in any order). A court case: only from open to closed (``closed`` is
    final). A legal case is closed and reopened with reasons: the latest announcement wins, a
    reopening on a tie (the hold keeps the records rather than lose them); an opening
    delivered after a closing is older than it, so it changes nothing."""
    if kind != "legal_case":
        return known_open and not is_open
    at, known_at = _aware(at), _aware(known_at)
    return at > known_at or (at == known_at and is_open and not known_open)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
