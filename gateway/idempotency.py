"""Idempotency keys the gateway has seen: which body each one came with.

A police submission's reference is derived from its agency and ``Idempotency-Key``
(``gateway/intake.py``), so a retry lands on the same referral and the referral service records
it once. A key sent again with a *different* body would be dropped there too, long after the
``202``: the client never learns that its second referral does not exist. So the gateway keeps,
per reference, a fingerprint of the body it first accepted (HMAC-SHA256 under the reference
secret of the body's canonical JSON: no personal data, and not guessable without the secret), in
its own database shared by every worker and replica, and answers ``422 idempotency-key-reused``
before publishing anything when the fingerprints differ (docs/decisions/0033). The same key
with the same body is a retry: published again, as before.

Why not ask the referral service: intake is durable so that a submission is accepted while that
service is down; an RPC before publishing would make every keyed submission depend on it.
"""

import hashlib
import hmac
import json
import threading
import time

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from services.common.db import Database

metadata = MetaData()
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("reference", String(32), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("first_seen_at", BigInteger, nullable=False),
)


class KeyReused(Exception):
    """The idempotency key came before with a different body."""


def fingerprint(secret: str, body: dict) -> str:
    """The body's keyed digest, the same for the same JSON whatever its key order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    key = hashlib.sha256(b"refnet idempotency\x00" + secret.encode()).digest()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


class _Rules:
    secret = ""

    def keyed(self, secret: str):
        """Fingerprints under ``secret`` (the gateway's reference secret)."""
        self.secret = secret
        return self

    def claim(self, reference: str, body: dict, now: int | None = None) -> None:
        """Remember ``body``'s fingerprint as the body of ``reference``, or check it against
        the one remembered; ``KeyReused`` when they differ."""
        if not self.secret:
            raise RuntimeError("idempotency fingerprints need the reference secret")
        digest = fingerprint(self.secret, body)
        kept = self.first_body(reference, digest, int(now if now is not None else time.time()))
        if not hmac.compare_digest(kept, digest):
            raise KeyReused(reference)


class IdempotencyKeys(_Rules):
    def __init__(self, url: str | None = None):
        from .revocation import default_url
        self.db = Database.for_url(url or default_url())
        self.ensure_tables()

    def ensure_tables(self) -> None:
        """Create the table if missing (``refnet migrate`` does it before start-up)."""
        self.db.ensure_tables(metadata)

    def first_body(self, reference: str, digest: str, now: int) -> str:
        """The fingerprint kept for ``reference``: ``digest`` when it is the first."""
        for _attempt in range(2):  # two first uses at once: the loser reads the winner's row
            with self.db.read() as c:
                kept = c.execute(select(idempotency_keys.c.fingerprint)
                                 .where(idempotency_keys.c.reference == reference)).scalar()
            if kept is not None:
                return kept
            try:
                with self.db.write() as s:
                    s.execute(insert(idempotency_keys).values(reference=reference, fingerprint=digest,
                                                              first_seen_at=now))
                return digest
            except IntegrityError:
                continue
        raise RuntimeError("idempotency key row neither readable nor insertable")


class MemoryIdempotency(_Rules):
    """The same rule in a dictionary, for unit tests."""

    def __init__(self):
        self.kept: dict[str, str] = {}
        self._lock = threading.Lock()

    def first_body(self, reference, digest, now):
        with self._lock:
            return self.kept.setdefault(reference, digest)
