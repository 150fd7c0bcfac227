"""What stands between an unauthenticated sign-in attempt and argon2id (docs/decisions/0032).

Every sign-in verifies a password with argon2id at 64 MiB, so unauthenticated attempts are
the cheapest way to exhaust the gateway's memory and CPU, and failure counts are the cheapest
way to keep staff out. In the order an attempt meets them:

1. **Attempt buckets, per gateway worker** (``ratelimit.RateLimiter``): attempts per client
   address per minute, and attempts per minute from everyone. In memory: they bound what one
   worker spends, which is a per-worker resource, and cost nothing to check.
2. **Progressive delays, shared** (the gateway database, ``accounts.signin_throttle``): after a
   few failures a key waits, doubling with each further failure up to a cap (NIST SP 800-63B
   5.2.2), instead of a hard lock. Three keys: the pair (username, client), strict; the client
   across usernames (one address trying many usernames); the username across clients, looser
   and capped at a minute, and not applied at all to a client that signed in as that username
   before (``TRUST_SECONDS``). An attacker hammering a known username therefore delays only
   themself: the person, from their usual client or any other, is never locked out. Attempts
   refused by a delay are not counted, so hammering does not lengthen it. Shared because
   guesses must add up across workers and replicas.
3. **Bounded hashing, per worker** (``HashGate``): at most memory budget / per-hash memory
   argon2id runs at once; an attempt waits a moment for a slot (a few at most), then gets
   ``429``.

Every refusal is ``Throttled`` with the seconds to wait (``Retry-After``), whether or not the
username exists. Keys are HMACs (keyed from the token secret) of usernames and addresses: the
table holds neither in clear.
"""

import hashlib
import hmac
import ipaddress
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass

FORGET = 3600                 # failures are forgotten an hour after the last one of a key
TRUST_SECONDS = 30 * 86400    # a client that signed in as a username is trusted this long
BUSY_RETRY_AFTER = 2          # seconds a client is told to wait when every hashing slot is taken


class Throttled(Exception):
    """The attempt was refused before any password was checked: wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float, why: str):
        super().__init__(why)
        self.retry_after = max(1, math.ceil(retry_after))
        self.why = why   # "client", "everyone", "delay" or "busy": for logs and metrics only


@dataclass(frozen=True)
class Schedule:
    """No wait for the first ``free`` failures, then ``base`` seconds doubling, up to ``cap``."""
    free: int
    base: float
    cap: int

    def delay(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return int(min(self.cap, self.base * 2 ** min(failures - self.free, 30)))


PAIR = Schedule(free=5, base=1, cap=900)        # one username from one client
CLIENT = Schedule(free=20, base=1, cap=900)     # one client, every username
USERNAME = Schedule(free=50, base=1, cap=60)    # one username, every client it never signed in from


@dataclass(frozen=True)
class Keys:
    pair: str
    client: str
    username: str
    subject: str   # the username's own key: every row about a username carries it

    def schedules(self) -> list[tuple[str, Schedule]]:
        return [(self.pair, PAIR), (self.client, CLIENT), (self.username, USERNAME)]


def keys(secret: bytes, username: str, client: str) -> Keys:
    """The throttle keys of an attempt, as HMACs: the database holds no username or address."""
    def mac(*parts: str) -> str:
        return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()
    subject = mac("username", username)
    return Keys(pair=mac("pair", username, client), client=mac("client", client),
                username=subject, subject=subject)


def after_failure(row: dict | None, now: int, schedule: Schedule) -> dict:
    """A key's row after one more failure at ``now``."""
    if row is None or now - row["last_failure_at"] > FORGET:
        failures = 1
    else:
        failures = row["failures"] + 1
    delay = schedule.delay(failures)
    return {"failures": failures, "last_failure_at": now,
            "blocked_until": now + delay if delay else 0,
            "trusted_until": (row or {}).get("trusted_until", 0)}


def wait_for(rows: dict[str, dict], k: Keys, now: int) -> int:
    """Seconds this attempt must wait (0: go on), from the rows of its keys."""
    pair = rows.get(k.pair) or {}
    considered = [pair, rows.get(k.client) or {}]
    if pair.get("trusted_until", 0) <= now:   # the username's limit spares clients it trusts
        considered.append(rows.get(k.username) or {})
    return max([0, *(r.get("blocked_until", 0) - now for r in considered)])


class HashGate:
    """At most ``slots`` password checks at once in this worker, so that slots x the memory
    one argon2id run takes stays under the budget. An attempt waits up to ``wait`` seconds for
    a slot; at most half as many attempts as there are slots wait (the rest are refused at
    once), so sign-ins never hold every thread of the worker and ``/healthz`` and signed-in
    requests still find one. A refusal is ``Throttled`` (why "busy")."""

    def __init__(self, budget_mib: int, per_hash_kib: int, wait: float):
        self.slots = max(1, int(budget_mib) * 1024 // max(1, int(per_hash_kib)))
        self.waiting_at_most = max(1, self.slots // 2)
        self.wait = float(wait)
        self._free = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self._waiting = 0

    @contextmanager
    def slot(self):
        if not self._free.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self.waiting_at_most:
                    raise Throttled(BUSY_RETRY_AFTER, "busy")
                self._waiting += 1
            try:
                got = self._free.acquire(timeout=self.wait)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not got:
                raise Throttled(BUSY_RETRY_AFTER, "busy")
        try:
            yield
        finally:
            self._free.release()


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The client an attempt is counted against. With no trusted proxy, the peer's address (a
    client cannot choose it); behind ``trusted_proxies`` proxies, the entry of X-Forwarded-For
    that the outermost trusted proxy appended (entries left of it are the client's to forge).
    IPv6 clients are counted by their /64, which one host usually holds whole."""
    address = remote_addr or ""
    if trusted_proxies > 0 and forwarded_for:
        entries = [e.strip() for e in forwarded_for.split(",")]
        if len(entries) >= trusted_proxies:
            address = entries[-trusted_proxies]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
