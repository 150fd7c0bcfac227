"""Referral references: opaque, unguessable, and stable for a retried submission.

``RN-XXXX-XXXX-XXXX-XXXX`` carries 80 bits in base32 (no 0/1/8/9 to misread). Without an
idempotency key the bits are random; with one they are an HMAC of (agency, key) under a server
secret, so a retry yields the same reference even when the referral service is down, and no
one without the secret can predict or enumerate references.
"""

import base64
import hashlib
import hmac
import re

from services.common.randomness import token_bytes

PATTERN = re.compile(r"^RN-[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$")


def _format(raw: bytes) -> str:
    text = base64.b32encode(raw[:10]).decode()  # 80 bits -> 16 characters, no padding
    return "RN-" + "-".join(text[i:i + 4] for i in range(0, 16, 4))


def random_reference() -> str:
    """A new reference from 80 random bits (the operating system's, a block at a time)."""
    return _format(token_bytes(10))


def reference_for_key(secret: bytes, agency: str, idempotency_key: str) -> str:
    """The reference of an agency's idempotency key: the same key, the same reference."""
    digest = hmac.new(secret, f"{agency}\x00{idempotency_key}".encode(), hashlib.sha256).digest()
    return _format(digest)


def is_reference(text: str) -> bool:
    """Whether ``text`` has the shape of a reference."""
    return bool(PATTERN.match(text or ""))
