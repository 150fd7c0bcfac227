"""Where ``refnet audit verify`` keeps each service's audit chain head: outside that service's
database, in the gateway's (``REFNET_GATEWAY_DATABASE_URL``: another database, another role).

Each verify that finds a chain intact records its head (last entry id and hash), so a later
verify names entries cut from the end and a chain replaced up to that entry, which the service's
database alone cannot show. Each row carries an HMAC with the audit key, which the gateway does
not hold: a row the gateway's role forged or edited is named, not trusted. Why this store:
docs/decisions/0030-keyed-audit-chain-checkpoints-and-owner.md.
"""

import hashlib
import hmac
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select

from services.common import auditchain
from services.common.db import Database

metadata = MetaData()
audit_checkpoints = Table(
    "audit_checkpoints", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(20), nullable=False, index=True),
    Column("entry_id", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", String(40), nullable=False),  # ISO text: signed exactly as stored
    Column("mac", String(64), nullable=False),
)


def _mac(key: str, service: str, entry_id: int, entry_hash: str, at: str) -> str:
    message = f"{service}\n{entry_id}\n{entry_hash}\n{at}".encode()
    return hmac.new(auditchain.key_bytes(key), message, hashlib.sha256).hexdigest()


class CheckpointStore:
    """The checkpoints of every service's chain head, in a database by URL."""

    def __init__(self, url: str):
        self.db = Database(url)
        self.db.ensure_tables(metadata)

    def latest(self, service: str, key: str) -> tuple[dict | None, list[str]]:
        """The furthest checkpoint of ``service`` whose HMAC holds, and a problem per row whose
        HMAC does not (forged or edited in the gateway's database)."""
        with self.db.read() as c:
            rows = c.execute(select(audit_checkpoints).where(audit_checkpoints.c.service == service)
                             .order_by(audit_checkpoints.c.id)).all()
        best, problems = None, []
        for row in rows:
            if not hmac.compare_digest(row.mac, _mac(key, row.service, row.entry_id, row.hash, row.at)):
                problems.append(f"checkpoint {row.id} is not signed with REFNET_AUDIT_KEY (forged "
                                "or edited); not used")
            elif best is None or row.entry_id >= best["entry_id"]:
                best = {"entry_id": row.entry_id, "hash": row.hash, "at": row.at}
        return best, problems

    def record(self, service: str, head: dict, key: str, now: datetime | None = None) -> None:
        """Record ``head`` (``{"entry_id": N, "hash": H}``) as the service's latest checkpoint."""
        at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
        with self.db.write() as s:
            s.execute(insert(audit_checkpoints).values(
                service=service, entry_id=head["entry_id"], hash=head["hash"], at=at,
                mac=_mac(key, service, head["entry_id"], head["hash"], at)))

    def close(self) -> None:
        self.db.dispose()
