"""Where each service's audit chain head is checkpointed: outside that service's database, in
the gateway's (``REFNET_GATEWAY_DATABASE_URL``: another database, another role).

Each verify that finds a chain intact records its head (last entry id and hash), so a later
verify names entries cut from the end and a chain replaced up to that entry, which the service's
database alone cannot show. Each row carries an HMAC with the audit key, which the gateway does
not hold: a row the gateway's role forged or edited is named, not trusted. ``refnet audit
verify`` signs and checks the rows itself (it holds the key); the administrators' page hands the
rows to the service, which checks them and its chain and signs the next row
(``services.common.auditchain.verify_with_checkpoints``). Why this store:
docs/decisions/0030-keyed-audit-chain-checkpoints-and-owner.md, 0043.
"""

from datetime import datetime, timezone

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

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


def now_text(now: datetime | None = None) -> str:
    """A checkpoint's time as stored and signed: UTC, to the second."""
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")


class CheckpointStore:
    """The checkpoints of every service's chain head, in a database by URL."""

    def __init__(self, url: str | None = None):
        from .revocation import default_url
        self.db = Database(url or default_url())
        self.db.ensure_tables(metadata)

    def rows(self, service: str) -> list[dict]:
        """Every checkpoint row of ``service``, oldest first, unchecked."""
        with self.db.read() as c:
            found = c.execute(select(audit_checkpoints).where(audit_checkpoints.c.service == service)
                              .order_by(audit_checkpoints.c.id)).mappings().all()
        return [{"id": r["id"], "entry_id": r["entry_id"], "hash": r["hash"], "at": r["at"],
                 "mac": r["mac"]} for r in found]

    def insert(self, service: str, row: dict) -> None:
        """Keep a row signed elsewhere (by the service that holds the key), as it is."""
        with self.db.write() as s:
            s.execute(insert(audit_checkpoints).values(
                service=service, entry_id=int(row["entry_id"]), hash=str(row["hash"])[:64],
                at=str(row["at"])[:40], mac=str(row["mac"])[:64]))

    def latest(self, service: str, key: str) -> tuple[dict | None, list[str]]:
        """The furthest checkpoint of ``service`` whose HMAC holds, and a problem per row whose
        HMAC does not (forged or edited in the gateway's database)."""
        return auditchain.trusted_checkpoint(self.rows(service), service, key)

    def record(self, service: str, head: dict, key: str, now: datetime | None = None) -> None:
        """Record ``head`` (``{"entry_id": N, "hash": H}``) as the service's latest checkpoint."""
        self.insert(service, auditchain.signed_checkpoint(service, head, key, now_text(now)))

    def close(self) -> None:
        self.db.dispose()


class LazyCheckpoints:
    """A ``CheckpointStore`` opened at its first use (a gateway worker that never verifies
    never opens it)."""

    def __init__(self, url: str | None):
        self.url, self._store = url, None

    def _opened(self) -> CheckpointStore:
        if self._store is None:
            self._store = CheckpointStore(self.url)
        return self._store

    def rows(self, service: str) -> list[dict]:
        return self._opened().rows(service)

    def insert(self, service: str, row: dict) -> None:
        self._opened().insert(service, row)


class MemoryCheckpoints:
    """The same rows in a list: for unit tests, which open no database."""

    def __init__(self):
        self.kept: list[dict] = []

    def rows(self, service: str) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "service"} for r in self.kept
                if r["service"] == service]

    def insert(self, service: str, row: dict) -> None:
        self.kept.append({"id": len(self.kept) + 1, "service": service,
                          **{k: row[k] for k in ("entry_id", "hash", "at", "mac")}})
