"""Retention and keyed search: plain rules, no I/O.

* ``ENDED`` referrals are anonymised ``REFNET_RETENTION_DAYS`` after their last change.
* A referral stuck before admission (``lifecycle.STALE``) and unchanged for
  ``REFNET_STALE_REFERRAL_DAYS`` is closed with a coded reason (``closure_reason``); closed, it
  is anonymised like any ended one.
* A decline or a withdrawal that stays settled (unchanged) for ``REFNET_SETTLE_DAYS`` is
  closed too, with its own code (``declined_settled``, ``withdrawn_settled``): every end of a
  referral reaches ``closed``. (A discharge is closed when the shelter's follow-up ends.)
* A legal hold: while a legal case or a court case of the referral is open (as the legal
  service announced it; a reopened legal case is open again), its file is not anonymised
  (``legal_hold``).
* Names are never searchable in clear: ``name_digest`` is HMAC-SHA256 under a secret key of the
  normalised name (case, accents' spacing and punctuation folded), so equal names match and the
  table alone reveals nothing without the key.
"""

import hashlib
import hmac
import re
import unicodedata
from datetime import datetime, timedelta

from services.common.errors import InvalidInput
from services.common.timeutil import aware
from services.contracts.vocabulary import CLOSURE_REASONS, ENDED_CLOSURE_REASONS

from .lifecycle import STALE

ENDED = ("closed", "declined", "withdrawn", "discharged")
# the stage a referral stopped in -> why it is closed (codes of CLOSURE_REASONS)
STALE_REASONS = {"submitted": "no_decision", "received": "no_decision", "screening": "no_decision",
                 "waitlisted": "no_bed", "accepted": "no_arrival", "bed_held": "no_arrival"}
assert set(STALE_REASONS) == set(STALE) and set(STALE_REASONS.values()) == set(CLOSURE_REASONS)
# an end that settled -> its closure's code
SETTLED_REASONS = {"declined": "declined_settled", "withdrawn": "withdrawn_settled"}
SETTLED = tuple(SETTLED_REASONS)
assert set(SETTLED_REASONS.values()) < set(ENDED_CLOSURE_REASONS)
ANONYMOUS = "anonymised"
ANONYMISED_NOTE = "(anonymised)"


def cutoff(now: datetime, older_than_days: float) -> datetime:
    """The last change before which an ended referral is anonymised."""
    return now - timedelta(days=float(older_than_days))


def closure_reason(status: str) -> str:
    """The coded reason a referral stuck in ``status``, or settled in it, is closed with
    (``InvalidInput`` for any other status: an admitted referral is never closed by time, a
    discharged one only when its follow-up ends)."""
    reason = STALE_REASONS.get(status) or SETTLED_REASONS.get(status)
    if reason is None:
        raise InvalidInput(f"a {status} referral is not closed by time", field="status")
    return reason


def closure_note(reason: str) -> str:
    """The timeline note of a closure: the reason's code, no free text."""
    if reason in CLOSURE_REASONS:
        return f"Closed by retention: {reason}"
    return f"Closed: {reason}"


def legal_hold(updates: list[dict]) -> bool:
    """Whether the legal service's announcements (``legal_updates`` rows, any order) leave a
    legal case or a court case of the referral open. A legal case is closed and reopened with
    reasons: of its closings and reopenings the latest (``at``, the legal service's time) wins,
    a reopening on a tie (the hold keeps the records rather than lose them); an opening that
    arrives after a closing does not reopen it. A court case's ``closed`` is final."""
    case_opened = any(u["kind"] == "case_opened" for u in updates)
    ends = [u for u in updates if u["kind"] in ("case_closed", "case_reopened")]
    case_open = case_opened and (not ends or _latest_end(ends) == "case_reopened")
    court_cases = {u["court_case_id"] for u in updates if u["kind"] == "court_status"}
    closed_courts = {u["court_case_id"] for u in updates
                     if u["kind"] == "court_status" and u["status"] == "closed"}
    return case_open or bool(court_cases - closed_courts)


def _latest_end(ends: list[dict]) -> str:
    """``case_closed`` or ``case_reopened``: the kind of the latest; with no reopening, the
    closing (whatever its time)."""
    if all(u["kind"] == "case_closed" for u in ends):
        return "case_closed"
    return max(ends, key=lambda u: (aware(u["at"]), u["kind"] == "case_reopened"))["kind"]


def normalise_name(name: str) -> str:
    """The name folded for matching: case, compatibility forms and punctuation."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def name_digest(key: bytes, name: str | None) -> str | None:
    """The keyed digest of a normalised name (None for an empty one)."""
    normal = normalise_name(name or "")
    if not normal:
        return None
    return hmac.new(key, b"refnet name v1\x00" + normal.encode(), hashlib.sha256).hexdigest()


def search_key(explicit: str | None, fallback_secret: str) -> bytes:
    """``REFNET_SEARCH_KEY`` when set, else a key derived from the intake private key."""
    if explicit:
        return explicit.encode()
    return hashlib.sha256(b"refnet search key\x00" + fallback_secret.encode()).digest()
