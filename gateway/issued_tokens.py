"""The record of bearer tokens ``refnet issue-token`` made: a table in the gateway's database.

One row per token: its ``jti`` (what ``refnet revoke-token`` takes), whom it is for (user, role,
agency), when it was issued, when it expires, and who issued it (the operating-system account
that ran the command). Never the token itself: the record shows what is out there and lets
an administrator revoke it, without being a store of usable credentials."""

import time

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select

from services.common.db import Database

metadata = MetaData()
issued_tokens = Table(
    "issued_tokens", metadata,
    Column("jti", String(64), primary_key=True),
    Column("user", String(100), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("agency", String(100), nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("issued_by", String(100), nullable=False),
)


class IssuedTokens:
    def __init__(self, url: str | None = None):
        from .revocation import default_url
        self.db = Database.for_url(url or default_url())
        self.ensure_tables()

    def ensure_tables(self) -> None:
        """Create the table if missing (``refnet migrate`` does it before start-up)."""
        self.db.ensure_tables(metadata)

    def record(self, *, jti: str, user: str, role: str, agency: str, issued_at: int,
               expires_at: int, issued_by: str) -> None:
        with self.db.write() as s:
            s.execute(insert(issued_tokens).values(jti=jti, user=user, role=role, agency=agency,
                                                   issued_at=issued_at, expires_at=expires_at,
                                                   issued_by=issued_by[:100]))

    def list(self, now: int | None = None, *, live_only: bool = False) -> list[dict]:
        """Every recorded token, oldest first (``live_only``: those not expired at ``now``)."""
        query = select(issued_tokens).order_by(issued_tokens.c.issued_at, issued_tokens.c.jti)
        if live_only:
            query = query.where(issued_tokens.c.expires_at > int(now if now is not None else time.time()))
        with self.db.read() as c:
            return [dict(row) for row in c.execute(query).mappings()]
