"""Revoked tokens: a small table the gateway owns, shared by every gunicorn worker.

Why here: every request must be checked, and an RPC per request to a service would cost about
five times a local lookup and make every request, sign-in included, depend on that service. A
database the gateway owns (``REFNET_GATEWAY_DATABASE_URL``; SQLite file ``var/gateway.db`` by
default, PostgreSQL for gateways on several hosts) is shared by every worker of every gateway
replica, so a revocation holds at the very next request, with no cache window. ``refnet
revoke-token`` writes to the same table by URL, as ``refnet migrate`` does for the services.

On PostgreSQL each request asks the table (one prepared statement). On a SQLite file each
worker keeps the whole table in memory under the ``revocations`` generation
(gateway/generations.py, decision 0060): every revocation bumps it after its commit, and a
worker that sees it moved reads the table again before it answers, so the next request is
still refused; asking the file on every request cost each one a dozen thread switches.
"""

import threading
import time
from typing import NamedTuple

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select

from services.common.db import Database

from .generations import file_generation

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


class Revoked(NamedTuple):
    """The whole table as one worker keeps it, under the generation it was read at."""
    generation: int
    jtis: frozenset
    users: dict  # user -> revoked_before


class RevocationStore:
    def __init__(self, url: str | None = None):
        url = url or default_url()
        self.db = Database.for_url(url)
        self.ensure_tables()
        self.generation = file_generation(url, "revocations")  # None: ask the table each time
        self._kept: Revoked | None = None
        self._lock = threading.Lock()

    def ensure_tables(self) -> None:
        """Create the two tables if missing (``refnet migrate`` does it before start-up)."""
        self.db.ensure_tables(metadata)

    def is_revoked(self, jti: str | None, user: str, issued_at: int) -> bool:
        """Whether this token (by jti) or every token of its user issued by then is revoked.
        Asked on every request: from the worker's copy of the table while its generation holds
        (a SQLite file), else one prepared statement (``Database.fetch_one``)."""
        if self.generation is None:
            return self.db.fetch_one(_IS_REVOKED, (jti, user, issued_at)) is not None
        revoked = self._revoked()
        before = revoked.users.get(user)
        return jti in revoked.jtis or (before is not None and before >= issued_at)

    def _revoked(self) -> Revoked:
        generation = self.generation.current()  # before the table: see gateway/generations.py
        kept = self._kept
        if kept is not None and kept.generation == generation:
            return kept
        with self._lock:  # one thread reads the table; the others wait for it
            kept = self._kept
            if kept is not None and kept.generation == generation:
                return kept
            with self.db.engine.connect() as c:
                jtis = frozenset(c.execute(select(revoked_tokens.c.jti)).scalars())
                users = dict(c.execute(select(revoked_users.c.user,
                                              revoked_users.c.revoked_before)).all())
            self._kept = Revoked(generation, jtis, users)
            return self._kept

    def revoke_token(self, jti: str) -> bool:
        """Revoke one token; False if it already was. Either way every worker is told (a
        revocation whose telling failed is told again by repeating it)."""
        with self.db.write() as s:
            known = s.execute(select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti)).first()
            if not known:
                s.execute(insert(revoked_tokens).values(jti=jti, revoked_at=int(time.time())))
        self._tell_workers()
        return not known

    def revoke_user(self, user: str) -> None:
        """Revoke every token of ``user`` issued until now."""
        now = int(time.time())
        with self.db.write() as s:
            s.execute(revoked_users.delete().where(revoked_users.c.user == user))
            s.execute(insert(revoked_users).values(user=user, revoked_before=now))
        self._tell_workers()

    def _tell_workers(self) -> None:
        """After the commit: every worker reads the table again at its next request."""
        if self.generation is not None:
            self.generation.bump()


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
