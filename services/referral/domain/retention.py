"""Retention and keyed search: plain rules, no I/O.

* ``ENDED`` referrals are anonymised ``REFNET_RETENTION_DAYS`` after their last change.
* Names are never searchable in clear: ``name_digest`` is HMAC-SHA256 under a secret key of the
  normalised name (case, accents' spacing and punctuation folded), so equal names match and the
  table alone reveals nothing without the key.
"""

import hashlib
import hmac
import re
import unicodedata
from datetime import datetime, timedelta

ENDED = ("closed", "declined", "withdrawn", "discharged")
ANONYMOUS = "anonymised"
ANONYMISED_NOTE = "(anonymised)"


def cutoff(now: datetime, older_than_days: float) -> datetime:
    """The last change before which an ended referral is anonymised."""
    return now - timedelta(days=float(older_than_days))


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
