"""Revoked tokens: a small table the gateway owns, shared by every gunicorn worker.

Why here: every request must be checked, and an RPC per request to a service would cost about
five times a local lookup and make every request, sign-in included, depend on that service. A
database the gateway owns (``REFNET_GATEWAY_DATABASE_URL``; SQLite file ``var/gateway.db`` by
default, PostgreSQL for gateways on several hosts) is read by every worker of every gateway
replica, so a revocation holds at the very next request, with no cache window. ``refnet
revoke-token`` writes to the same table by URL, as ``refnet migrate`` does for the services.
"""

import time

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select

from services.common.db import Database

metadata = MetaData()
revoked_tokens = Table(
    "revoked_tokens", metadata,
    Column("jti", String(64), primary_key=True),
    Column("revoked_at", BigInteger, nullable=False),
)
revoked_users = Table(  # every token of the user issued at or before revoked_before is refused
    "revoked_users", metadata,
    Column("user", String(100), primary_key=True),
    Column("revoked_before", BigInteger, nullable=False),
)


_IS_REVOKED = ('SELECT 1 FROM revoked_tokens WHERE jti = ? UNION ALL '
               'SELECT 1 FROM revoked_users WHERE "user" = ? AND revoked_before >= ?')


def default_url() -> str:
    """The gateway database's URL from the environment (``gateway/settings.py``)."""
    from .settings import database_url
    return database_url()


class RevocationStore:
    def __init__(self, url: str | None = None):
        self.db = Database.for_url(url or default_url())
        self.ensure_tables()

    def ensure_tables(self) -> None:
        """Create the two tables if missing (``refnet migrate`` does it before start-up)."""
        self.db.ensure_tables(metadata)

    def is_revoked(self, jti: str | None, user: str, issued_at: int) -> bool:
        """Whether this token (by jti) or every token of its user issued by then is revoked.
        Asked on every request, so one prepared statement (``Database.fetch_one``)."""
        return self.db.fetch_one(_IS_REVOKED, (jti, user, issued_at)) is not None

    def revoke_token(self, jti: str) -> bool:
        with self.db.write() as s:
            if s.execute(select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti)).first():
                return False
            s.execute(insert(revoked_tokens).values(jti=jti, revoked_at=int(time.time())))
        return True

    def revoke_user(self, user: str) -> None:
        now = int(time.time())
        with self.db.write() as s:
            s.execute(revoked_users.delete().where(revoked_users.c.user == user))
            s.execute(insert(revoked_users).values(user=user, revoked_before=now))


class NoRevocations:
    """For unit tests and tools that verify tokens without the store."""

    def __init__(self):
        self.jtis: set[str] = set()
        self.users: dict[str, int] = {}

    def is_revoked(self, jti, user, issued_at):
        return jti in self.jtis or (user in self.users and issued_at <= self.users[user])

    def revoke_token(self, jti):
        self.jtis.add(jti)
        return True

    def revoke_user(self, user):
        self.users[user] = int(time.time())
