"""People who sign in to the web pages: users, their sessions and sign-in lockout.

Three tables in the gateway's own database (``REFNET_GATEWAY_DATABASE_URL``, SQLite
``var/gateway.db`` by default), created the way the revoked-token tables are
(``ensure_tables``, also run by ``refnet migrate``), so every gunicorn worker and every gateway
replica sees the same sessions and the same failure counts (docs/decisions/0021):

* ``web_users``: username, argon2id hash, role and agency (the same identity a bearer token
  carries), disabled flag.
* ``web_sessions``: one row per signed-in browser, keyed by the SHA-256 of the random cookie
  value (a stolen database does not yield usable cookies), with the session's CSRF token, its
  creation, last use and absolute expiry. Signing out deletes the row.
* ``signin_lockout``: failures per username in the current window and until when the username
  is locked. Unknown usernames are counted the same way, so the answer never tells whether a
  username exists.

``MemoryAccounts`` keeps the same rules in dictionaries, for unit tests (no database there).
"""

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from services.common.db import Database
from services.contracts.identities import check_agency
from services.contracts.vocabulary import ROLES

from .tokens import Identity

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")  # a user id (identities.USER), lower case
MIN_PASSWORD = 10
MAX_PASSWORD = 256

# Lockout: MAX_FAILURES wrong passwords for one username within WINDOW seconds lock it for
# LOCK_SECONDS. While locked no password is checked (right or wrong), and nothing is counted.
MAX_FAILURES = 5
WINDOW = 15 * 60
LOCK_SECONDS = 15 * 60

metadata = MetaData()
web_users = Table(
    "web_users", metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency", String(100), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("password_changed_at", BigInteger, nullable=False),
)
web_sessions = Table(
    "web_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),   # sha256 of the cookie value
    Column("username", String(100), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)
signin_lockout = Table(
    "signin_lockout", metadata,
    Column("username", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", BigInteger, nullable=False),
    Column("locked_until", BigInteger, nullable=False, default=0),
)

_hasher = None
_hasher_lock = threading.Lock()


def hasher():
    """argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile), made on first use."""
    global _hasher
    with _hasher_lock:
        if _hasher is None:
            from argon2 import PasswordHasher
            _hasher = PasswordHasher()
        return _hasher


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = None


def dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so both cost the same time."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def check_new_user(username: str, role: str, agency: str) -> None:
    if not USERNAME.match(username):
        raise ValueError("username: 1 to 100 of a-z 0-9 . _ @ -, starting with a letter or digit")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    check_agency(agency)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        raise ValueError(f"the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def session_hash(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


@dataclass(frozen=True)
class WebSession:
    identity: Identity
    csrf_token: str
    created_at: int
    last_seen_at: int
    id_hash: str


@dataclass(frozen=True)
class User:
    username: str
    role: str
    agency: str
    disabled: bool
    password_hash: str


class _Rules:
    """Sign-in and sessions over the storage primitives each store implements."""

    session_seconds = 12 * 3600   # absolute lifetime, as a bearer token's default
    idle_seconds = 2 * 3600       # unused this long: signed out
    touch_every = 60              # last_seen_at is written at most this often

    def configure(self, session_seconds: int | None = None, idle_seconds: int | None = None):
        if session_seconds:
            self.session_seconds = int(session_seconds)
        if idle_seconds:
            self.idle_seconds = int(idle_seconds)
        return self

    def sign_in(self, username: str, password: str, now: int | None = None) -> tuple[str, WebSession] | None:
        """(cookie value, session) for the right password of an enabled, unlocked user; None
        otherwise, whatever the reason (the caller shows one generic message)."""
        now = int(now if now is not None else time.time())
        username = normalise_username(username)
        if not username or len(username) > 100 or not password or len(password) > MAX_PASSWORD:
            verify_password(dummy_hash(), "x" * MIN_PASSWORD)
            return None
        if self.locked_until(username) > now:
            return None
        user = self.get_user(username)
        ok = verify_password(user.password_hash if user else dummy_hash(), password)
        if not ok or user is None or user.disabled:
            self.record_failure(username, now)
            return None
        self.clear_failures(username)
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_hex(32)
        self.insert_session(session_hash(cookie), username, csrf, now, now + self.session_seconds)
        return cookie, WebSession(Identity(user=user.username, role=user.role, agency=user.agency,
                                           issued_at=now), csrf, now, now, session_hash(cookie))

    def session(self, cookie_value: str | None, now: int | None = None) -> WebSession | None:
        """The live session of a cookie, or None (unknown, expired, idle, user disabled)."""
        if not cookie_value or len(cookie_value) > 200:
            return None
        now = int(now if now is not None else time.time())
        id_hash = session_hash(cookie_value)
        found = self.load_session(id_hash)
        if found is None:
            return None
        row, user = found
        if (user is None or user.disabled or row["expires_at"] <= now
                or row["last_seen_at"] + self.idle_seconds <= now):
            self.delete_session(id_hash)
            return None
        if now - row["last_seen_at"] >= self.touch_every:
            self.touch_session(id_hash, now)
        return WebSession(Identity(user=user.username, role=user.role, agency=user.agency,
                                   issued_at=row["created_at"]),
                          row["csrf_token"], row["created_at"], row["last_seen_at"], id_hash)

    def sign_out(self, cookie_value: str | None) -> None:
        if cookie_value and len(cookie_value) <= 200:
            self.delete_session(session_hash(cookie_value))

    def _failure_state(self, row: dict | None, now: int) -> dict:
        """The lockout row after one more failure at ``now``."""
        if row is None or now - row["window_started_at"] > WINDOW:
            failures, started, locked = 1, now, (row or {}).get("locked_until", 0)
        else:
            failures, started, locked = row["failures"] + 1, row["window_started_at"], row["locked_until"]
        if failures >= MAX_FAILURES:
            failures, started, locked = 0, now, now + LOCK_SECONDS
        return {"failures": failures, "window_started_at": started, "locked_until": locked}


class AccountStore(_Rules):
    def __init__(self, url: str | None = None):
        from .revocation import default_url
        self.db = Database.for_url(url or default_url())
        self.ensure_tables()

    def ensure_tables(self) -> None:
        """Create what is missing (``refnet migrate`` does it before start-up)."""
        self.db.ensure_tables(metadata)

    # --- users ----------------------------------------------------------------------------------

    def create_user(self, username: str, password: str, role: str, agency: str) -> None:
        username = normalise_username(username)
        check_new_user(username, role, agency)
        check_password(password)
        digest, now = hash_password(password), int(time.time())
        with self.db.write() as s:
            if s.execute(select(web_users.c.username).where(web_users.c.username == username)).first():
                raise ValueError(f"user {username} exists")
            s.execute(insert(web_users).values(username=username, password_hash=digest, role=role,
                                               agency=agency, disabled=False, created_at=now,
                                               password_changed_at=now))

    def set_password(self, username: str, password: str) -> None:
        """A new password; every session of the user ends, and the lockout is lifted. A
        disabled user stays disabled (``enable_user`` is the one way back)."""
        username = normalise_username(username)
        check_password(password)
        digest, now = hash_password(password), int(time.time())
        with self.db.write() as s:
            changed = s.execute(web_users.update().where(web_users.c.username == username)
                                .values(password_hash=digest, password_changed_at=now))
            if changed.rowcount != 1:
                raise ValueError(f"no user {username}")
            s.execute(web_sessions.delete().where(web_sessions.c.username == username))
            s.execute(signin_lockout.delete().where(signin_lockout.c.username == username))

    def disable_user(self, username: str) -> None:
        username = normalise_username(username)
        with self.db.write() as s:
            changed = s.execute(web_users.update().where(web_users.c.username == username)
                                .values(disabled=True))
            if changed.rowcount != 1:
                raise ValueError(f"no user {username}")
            s.execute(web_sessions.delete().where(web_sessions.c.username == username))

    def enable_user(self, username: str) -> None:
        """Let a disabled user sign in again (with the password they have)."""
        username = normalise_username(username)
        with self.db.write() as s:
            changed = s.execute(web_users.update().where(web_users.c.username == username)
                                .values(disabled=False))
            if changed.rowcount != 1:
                raise ValueError(f"no user {username}")

    def get_user(self, username: str) -> User | None:
        with self.db.read() as c:
            row = c.execute(select(web_users).where(web_users.c.username == username)).mappings().first()
        return _user(row)

    def list_users(self) -> list[User]:
        with self.db.read() as c:
            rows = c.execute(select(web_users).order_by(web_users.c.username)).mappings().all()
        return [_user(r) for r in rows]

    # --- lockout --------------------------------------------------------------------------------

    def locked_until(self, username: str) -> int:
        with self.db.read() as c:
            value = c.execute(select(signin_lockout.c.locked_until)
                              .where(signin_lockout.c.username == username)).scalar()
        return int(value or 0)

    def record_failure(self, username: str, now: int) -> None:
        for attempt in range(2):  # two first failures at once on PostgreSQL: the loser retries
            try:
                with self.db.write() as s:
                    row = s.execute(select(signin_lockout).where(signin_lockout.c.username == username)
                                    .with_for_update()).mappings().first()
                    state = self._failure_state(dict(row) if row else None, now)
                    if row is None:
                        s.execute(insert(signin_lockout).values(username=username, **state))
                    else:
                        s.execute(signin_lockout.update().where(signin_lockout.c.username == username)
                                  .values(**state))
                    if secrets.randbelow(50) == 0:  # forget stale rows now and then
                        s.execute(signin_lockout.delete().where(
                            (signin_lockout.c.window_started_at < now - WINDOW)
                            & (signin_lockout.c.locked_until < now)))
                return
            except IntegrityError:
                if attempt:
                    raise

    def clear_failures(self, username: str) -> None:
        with self.db.write() as s:
            s.execute(signin_lockout.delete().where(signin_lockout.c.username == username))

    # --- sessions -------------------------------------------------------------------------------

    def insert_session(self, id_hash, username, csrf, now, expires_at) -> None:
        with self.db.write() as s:
            s.execute(insert(web_sessions).values(id_hash=id_hash, username=username, csrf_token=csrf,
                                                  created_at=now, last_seen_at=now,
                                                  expires_at=expires_at))
            if secrets.randbelow(50) == 0:  # forget expired sessions now and then
                s.execute(web_sessions.delete().where(web_sessions.c.expires_at < now))

    def load_session(self, id_hash):
        with self.db.read() as c:
            row = c.execute(select(web_sessions).where(web_sessions.c.id_hash == id_hash)).mappings().first()
            if row is None:
                return None
            user = c.execute(select(web_users).where(web_users.c.username == row["username"])
                             ).mappings().first()
        return dict(row), _user(user)

    def touch_session(self, id_hash, now) -> None:
        with self.db.write() as s:
            s.execute(web_sessions.update().where(web_sessions.c.id_hash == id_hash)
                      .values(last_seen_at=now))

    def delete_session(self, id_hash) -> None:
        with self.db.write() as s:
            s.execute(web_sessions.delete().where(web_sessions.c.id_hash == id_hash))


def _user(row) -> User | None:
    if row is None:
        return None
    return User(row["username"], row["role"], row["agency"], bool(row["disabled"]), row["password_hash"])


class MemoryAccounts(_Rules):
    """The same rules in memory: for unit tests, which open no database."""

    def __init__(self):
        self.users: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.lockout: dict[str, dict] = {}

    def create_user(self, username, password, role, agency):
        username = normalise_username(username)
        check_new_user(username, role, agency)
        check_password(password)
        if username in self.users:
            raise ValueError(f"user {username} exists")
        self.users[username] = {"username": username, "password_hash": hash_password(password),
                                "role": role, "agency": agency, "disabled": False}

    def disable_user(self, username):
        self.users[normalise_username(username)]["disabled"] = True
        self.sessions = {k: v for k, v in self.sessions.items() if v["username"] != username}

    def get_user(self, username):
        return _user(self.users.get(username))

    def locked_until(self, username):
        return (self.lockout.get(username) or {}).get("locked_until", 0)

    def record_failure(self, username, now):
        self.lockout[username] = self._failure_state(self.lockout.get(username), now)

    def clear_failures(self, username):
        self.lockout.pop(username, None)

    def insert_session(self, id_hash, username, csrf, now, expires_at):
        self.sessions[id_hash] = {"id_hash": id_hash, "username": username, "csrf_token": csrf,
                                  "created_at": now, "last_seen_at": now, "expires_at": expires_at}

    def load_session(self, id_hash):
        row = self.sessions.get(id_hash)
        return None if row is None else (dict(row), self.get_user(row["username"]))

    def touch_session(self, id_hash, now):
        if id_hash in self.sessions:
            self.sessions[id_hash]["last_seen_at"] = now

    def delete_session(self, id_hash):
        self.sessions.pop(id_hash, None)


def demo_password() -> str:
    """An invented password for a demo user (printed by ``refnet seed-demo``)."""
    return "-".join(secrets.token_hex(3) for _ in range(3))

