"""People who sign in to the web pages: users, their sessions and sign-in throttling.

Three tables in the gateway's own database (``REFNET_GATEWAY_DATABASE_URL``, SQLite
``var/gateway.db`` by default), created the way the revoked-token tables are
(``ensure_tables``, also run by ``refnet migrate``), so every gunicorn worker and every gateway
replica sees the same sessions and the same failure counts (docs/decisions/0021):

* ``web_users``: username, argon2id hash, role and agency (the same identity a bearer token
  carries), disabled flag.
* ``web_sessions``: one row per signed-in browser, keyed by the SHA-256 of the random cookie
  value (a stolen database does not yield usable cookies), with the session's CSRF token, its
  creation, last use and absolute expiry. Signing out deletes the row.
* ``signin_throttle``: failures and the progressive delay per throttle key (a username from a
  client, a client, a username; gateway/signin_guard.py), keyed by HMACs so it holds no
  username or address in clear. Unknown usernames are counted the same way, so the answer never
  tells whether a username exists. (``signin_lockout``, the hard lock it replaces, is no longer
  read; databases made before keep it, empty of use.)

Every password check of a sign-in runs inside the worker's ``HashGate`` (a bounded number at
once), after the delays were checked.

``MemoryAccounts`` keeps the same rules in dictionaries, for unit tests (no database there).
"""

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import (BigInteger, Boolean, Column, Integer, MetaData, String, Table, bindparam,
                        insert, select)
from sqlalchemy.exc import IntegrityError

from services.common.db import Database
from services.contracts.identities import check_agency
from services.contracts.vocabulary import ROLES

from . import signin_guard as guard
from .tokens import Identity

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")  # a user id (identities.USER), lower case
MIN_PASSWORD = 10
MAX_PASSWORD = 256

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
# every web page reads its session and the session's user: built once (SQLAlchemy's statement
# construction and cache key cost more than the two lookups on SQLite)
_SESSION_BY_HASH = select(web_sessions).where(web_sessions.c.id_hash == bindparam("id_hash"))
_USER_BY_NAME = select(web_users).where(web_users.c.username == bindparam("username"))

signin_throttle = Table(
    "signin_throttle", metadata,
    Column("key", String(64), primary_key=True),       # HMAC of the kind and its parts
    Column("subject", String(64), nullable=False, index=True),   # HMAC of the username, or ""
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", BigInteger, nullable=False),
    Column("blocked_until", BigInteger, nullable=False, default=0),
    Column("trusted_until", BigInteger, nullable=False, default=0),
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

    throttle_secret = b"unit"     # keys the throttle's HMACs (the app derives it from its secret)
    gate = guard.HashGate(256, 64 * 1024, 2.0)   # replaced by the app's, sized from its settings

    def configure(self, session_seconds: int | None = None, idle_seconds: int | None = None,
                  throttle_secret: bytes | None = None, gate: "guard.HashGate | None" = None):
        if session_seconds:
            self.session_seconds = int(session_seconds)
        if idle_seconds:
            self.idle_seconds = int(idle_seconds)
        if throttle_secret:
            self.throttle_secret = throttle_secret
        if gate is not None:
            self.gate = gate
        return self

    def sign_in(self, username: str, password: str, now: int | None = None,
                client: str = "unknown") -> tuple[str, WebSession] | None:
        """(cookie value, session) for the right password of an enabled user; None otherwise,
        whatever the reason (the caller shows one generic message). Raises ``Throttled`` before
        any password is checked when a delay of the attempt's keys holds, or when every hashing
        slot of this worker stays taken (signin_guard.py)."""
        now = int(now if now is not None else time.time())
        username = normalise_username(username)[:101]
        k = guard.keys(self.throttle_secret, username, client)
        wait = guard.wait_for(self.throttle_rows(k), k, now)
        if wait > 0:
            raise guard.Throttled(wait, "delay")
        user = None
        with self.gate.slot():
            if not username or len(username) > 100 or not password or len(password) > MAX_PASSWORD:
                verify_password(dummy_hash(), "x" * MIN_PASSWORD)
                ok = False
            else:
                user = self.get_user(username)
                ok = verify_password(user.password_hash if user else dummy_hash(), password)
        if not ok or user is None or user.disabled:
            self.record_failure(k, now)
            return None
        self.record_success(k, now)
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

    def _after_failure(self, rows: dict, k: "guard.Keys", now: int) -> dict:
        """{key: (subject, new row)} for one more failure of each of the attempt's keys."""
        return {key: ("" if key == k.client else k.subject,
                      guard.after_failure(rows.get(key), now, schedule))
                for key, schedule in k.schedules()}

    def _after_success(self, row: dict | None, now: int) -> dict:
        """The pair's row after a sign-in: no failures, and its client trusted for the username."""
        return {"failures": 0, "last_failure_at": (row or {}).get("last_failure_at", 0),
                "blocked_until": 0, "trusted_until": now + guard.TRUST_SECONDS}


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
        """A new password; every session of the user ends, and the delays on the username end
        (when the store has the app's throttle secret: ``throttle_secret_of``). A disabled user
        stays disabled (``enable_user`` is the one way back)."""
        username = normalise_username(username)
        check_password(password)
        digest, now = hash_password(password), int(time.time())
        with self.db.write() as s:
            changed = s.execute(web_users.update().where(web_users.c.username == username)
                                .values(password_hash=digest, password_changed_at=now))
            if changed.rowcount != 1:
                raise ValueError(f"no user {username}")
            s.execute(web_sessions.delete().where(web_sessions.c.username == username))
            subject = guard.keys(self.throttle_secret, username, "").subject
            s.execute(signin_throttle.delete().where(signin_throttle.c.subject == subject))

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
            row = c.execute(_USER_BY_NAME, {"username": username}).mappings().first()
        return _user(row)

    def list_users(self) -> list[User]:
        with self.db.read() as c:
            rows = c.execute(select(web_users).order_by(web_users.c.username)).mappings().all()
        return [_user(r) for r in rows]

    # --- throttle -------------------------------------------------------------------------------

    def throttle_rows(self, k: "guard.Keys") -> dict[str, dict]:
        with self.db.read() as c:
            rows = c.execute(select(signin_throttle).where(
                signin_throttle.c.key.in_([k.pair, k.client, k.username]))).mappings().all()
        return {r["key"]: dict(r) for r in rows}

    def record_failure(self, k: "guard.Keys", now: int) -> None:
        """One more failure on each of the attempt's keys, under row locks (PostgreSQL) or
        ``BEGIN IMMEDIATE`` (SQLite), so failures on different workers add up."""
        self._update(k, now, lambda rows: self._after_failure(rows, k, now),
                     forget=secrets.randbelow(50) == 0)

    def record_success(self, k: "guard.Keys", now: int) -> None:
        self._update(k, now, lambda rows: {k.pair: (k.subject, self._after_success(rows.get(k.pair), now))})

    def _update(self, k, now, change, forget: bool = False) -> None:
        keys = sorted([k.pair, k.client, k.username])   # one lock order for every worker
        for attempt in range(2):  # two first failures at once on PostgreSQL: the loser retries
            try:
                with self.db.write() as s:
                    rows = {r["key"]: dict(r) for r in s.execute(
                        select(signin_throttle).where(signin_throttle.c.key.in_(keys))
                        .order_by(signin_throttle.c.key).with_for_update()).mappings()}
                    for key, (subject, state) in change(rows).items():
                        if key in rows:
                            s.execute(signin_throttle.update().where(signin_throttle.c.key == key)
                                      .values(**state))
                        else:
                            s.execute(insert(signin_throttle).values(key=key, subject=subject, **state))
                    if forget:  # forget stale rows now and then
                        s.execute(signin_throttle.delete().where(
                            (signin_throttle.c.last_failure_at < now - guard.FORGET)
                            & (signin_throttle.c.blocked_until < now)
                            & (signin_throttle.c.trusted_until < now)))
                return
            except IntegrityError:
                if attempt:
                    raise

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
            row = c.execute(_SESSION_BY_HASH, {"id_hash": id_hash}).mappings().first()
            if row is None:
                return None
            user = c.execute(_USER_BY_NAME, {"username": row["username"]}).mappings().first()
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
        self.throttle: dict[str, dict] = {}

    def create_user(self, username, password, role, agency):
        username = normalise_username(username)
        check_new_user(username, role, agency)
        check_password(password)
        if username in self.users:
            raise ValueError(f"user {username} exists")
        self.users[username] = {"username": username, "password_hash": hash_password(password),
                                "role": role, "agency": agency, "disabled": False}

    def _known(self, username) -> dict:
        found = self.users.get(normalise_username(username))
        if found is None:
            raise ValueError(f"no user {normalise_username(username)}")
        return found

    def _end_sessions(self, username) -> None:
        self.sessions = {k: v for k, v in self.sessions.items() if v["username"] != username}

    def set_password(self, username, password):
        user = self._known(username)
        check_password(password)
        user["password_hash"] = hash_password(password)
        self._end_sessions(user["username"])

    def disable_user(self, username):
        user = self._known(username)
        user["disabled"] = True
        self._end_sessions(user["username"])

    def enable_user(self, username):
        self._known(username)["disabled"] = False

    def get_user(self, username):
        return _user(self.users.get(username))

    def list_users(self):
        return [_user(self.users[name]) for name in sorted(self.users)]

    def throttle_rows(self, k):
        return {key: dict(self.throttle[key]) for key in (k.pair, k.client, k.username)
                if key in self.throttle}

    def record_failure(self, k, now):
        for key, (subject, state) in self._after_failure(self.throttle_rows(k), k, now).items():
            self.throttle[key] = {"subject": subject, **state}

    def record_success(self, k, now):
        self.throttle[k.pair] = {"subject": k.subject,
                                 **self._after_success(self.throttle.get(k.pair), now)}

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


def throttle_secret_of(token_secret: str) -> bytes:
    """The key of the sign-in throttle's HMACs, derived from the token secret (so the CLI and
    every worker compute the same keys)."""
    return hmac.new(token_secret.encode(), b"refnet sign-in throttle", hashlib.sha256).digest()


def demo_password() -> str:
    """An invented password for a demo user (printed by ``refnet seed-demo``)."""
    return "-".join(secrets.token_hex(3) for _ in range(3))

