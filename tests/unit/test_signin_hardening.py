"""Sign-in hardening in the gateway, with fakes: revoked tokens, the rate limit, the new
endpoints' role rows, and the sign-in throttles (an attacker cannot keep staff out, password
checks bounded by memory, 429 before any password is checked)."""

import re
import threading

import jwt
import pytest

from gateway.api import ENDPOINTS
from gateway.ratelimit import RateLimiter
from gateway.revocation import NoRevocations

from .conftest import CALLER_SIGNING_KEY, REFERENCE_SECRET, TOKEN_SECRET, FakeDirectory


def test_a_revoked_token_gets_401_at_the_next_request(app, client, token):
    t = token("police")
    assert client.get("/api/v1/shelters/availability", headers={"Authorization": f"Bearer {t}"}).status_code == 200
    app.extensions["refnet.revocations"].revoke_token(jwt.decode(t, options={"verify_signature": False})["jti"])
    r = client.get("/api/v1/shelters/availability", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 401 and r.json["code"] == "invalid-token"


def test_revoking_a_user_revokes_every_token_issued_until_then(app, client, token):
    t = token("shelter", user="leaver")
    app.extensions["refnet.revocations"].revoke_user("leaver")
    assert client.get("/api/v1/shelters/availability", headers={"Authorization": f"Bearer {t}"}).status_code == 401


def test_rate_limit_answers_429_with_retry_after(app, client, token):
    now = [1000.0]
    app.extensions["refnet.ratelimit"] = RateLimiter(3, clock=lambda: now[0])
    headers = {"Authorization": f"Bearer {token('police', user='busy')}"}
    codes = [client.get("/api/v1/shelters/availability", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/shelters/availability", headers=headers)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json["code"] == "rate-limited"
    other = {"Authorization": f"Bearer {token('police', user='calm')}"}
    assert client.get("/api/v1/shelters/availability", headers=other).status_code == 200
    now[0] += 20.0  # a token refills every 20 s at 3 per minute
    assert client.get("/api/v1/shelters/availability", headers=headers).status_code == 200


def test_rate_limiter_refills_by_the_clock():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.take("u") == 0 for _ in range(60))
    assert limiter.take("u") > 0
    now[0] += 1.0
    assert limiter.take("u") == 0


def test_fake_store_rules():
    store = NoRevocations()
    store.revoke_token("j1")
    assert store.is_revoked("j1", "u", 1) and not store.is_revoked("j2", "u", 1)


def test_privacy_endpoint_rows():
    rows = {e.name: e.roles for e in ENDPOINTS}
    assert rows["record_consent"] == ("shelter",) and rows["get_consent"] == ("shelter",)
    assert rows["search_by_name"] == ("shelter",)
    assert rows["audit_trail"] == ("admin",) and rows["revoke"] == ("admin",)
    search = next(e for e in ENDPOINTS if e.name == "search_by_name")
    assert search.method == "POST"  # the name travels in the body, never in a URL or access log


def test_consent_relays_to_the_legal_service(client, rpc, auth):
    state = {"reference": "RN-ABCD-EFGH-IJKL-MNOP",
             "referring_police": {"share": True, "until": None, "withdrawn_at": None},
             "legal_team": {"share": False, "until": None, "withdrawn_at": "2026-11-29T12:00:00Z"},
             "history": [{"audience": "legal_team", "share": False, "purpose": None, "until": None,
                          "recorded_by": "shelter-user", "recorded_at": "2026-11-29T12:00:00Z"}]}
    rpc.responses[("referral", "record_consent")] = state
    r = client.post("/api/v1/referrals/RN-ABCD-EFGH-IJKL-MNOP/consent", headers=auth("shelter"),
                    json={"audience": "legal_team", "share": False})
    assert r.status_code == 200, r.json
    assert [(s, m) for s, m, _ in rpc.calls] == [("referral", "record_consent"), ("legal", "apply_consent")]
    assert rpc.calls[1][2]["granted"] is False and rpc.calls[1][2]["changed_at"] == "2026-11-29T12:00:00Z"


def test_a_remembered_token_still_expires(monkeypatch):
    """verify_token remembers tokens that verified once; the expiry is checked on every call."""
    import time as real_time

    from gateway import tokens
    secret = "s" * 40
    token = tokens.issue_token(secret, user="u.remembered", role="police", agency="a", ttl=60)
    assert tokens.verify_token(secret, token).user == "u.remembered"
    later = real_time.time() + 61
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_token(secret, token)
    with pytest.raises(tokens.InvalidToken):  # and another secret never matches a remembered one
        tokens.verify_token("t" * 40, token)


# --- sign-in throttles (gateway/signin_guard.py) ------------------------------------------------

SIGNIN_PASSWORD = "correct horse battery staple"
BASE = "https://localhost"


class CountingHasher:
    """argon2id at the smallest cost, whose ``verify`` counts the checks running at once and
    holds each until ``release`` is set. ``memory_cost`` is the real one (64 MiB), which the app
    sizes its hashing slots by."""

    memory_cost = 64 * 1024

    def __init__(self, hold: bool = False):
        from argon2 import PasswordHasher
        self.real = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        self.lock = threading.Condition()
        self.running = self.most = self.calls = 0
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def hash(self, password):
        return self.real.hash(password)

    def verify(self, digest, password):
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
            self.lock.notify_all()
        try:
            self.release.wait(timeout=60)
            return self.real.verify(digest, password)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def counting(monkeypatch):
    import gateway.accounts as accounts_module
    hasher = CountingHasher()
    monkeypatch.setattr(accounts_module, "_hasher", hasher)
    monkeypatch.setattr(accounts_module, "_DUMMY_HASH", None)
    return hasher


@pytest.fixture
def make_app(rpc, intake, keypair, monkeypatch):
    """``make_app(**config)``: the unit layer's app (conftest) with these settings."""
    for var in ("REFNET_SIGNIN_HASH_MEMORY_MIB", "REFNET_SIGNIN_HASH_WAIT", "REFNET_TRUSTED_PROXIES",
                "REFNET_SIGNIN_PER_CLIENT_PER_MINUTE", "REFNET_SIGNIN_PER_MINUTE"):
        monkeypatch.delenv(var, raising=False)

    def make(**config):
        from gateway.accounts import MemoryAccounts
        from gateway.app import create_app
        from gateway.availability import AvailabilityCache
        from gateway.generations import LocalGeneration
        return create_app({"TOKEN_SECRET": TOKEN_SECRET, "REFERENCE_SECRET": REFERENCE_SECRET,
                           "INTAKE_PUBLIC_KEY": keypair[1],
                           "CALLER_SIGNING_KEY": CALLER_SIGNING_KEY, "RPC_POOL": rpc, "INTAKE": intake,
                           "REVOCATIONS": NoRevocations(), "ACCOUNTS": MemoryAccounts(),
                           "TESTING": True, "AVAILABILITY": AvailabilityCache(1.0, LocalGeneration()),
                           "DIRECTORY": FakeDirectory(), **config})
    return make


def attempt(app, address, username, password, headers=None):
    """One sign-in through the page, as a browser at ``address`` sends it (page, then form)."""
    browser = app.test_client()
    environ = {"REMOTE_ADDR": address}
    page = browser.get("/sign-in", base_url=BASE, environ_base=environ)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser.post("/sign-in", base_url=BASE, environ_base=environ, headers=headers or {},
                        data={"username": username, "password": password, "csrf_token": token})


def test_an_attacker_hammering_a_username_does_not_keep_its_person_out(make_app, counting, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("gateway.web.common.time.time", lambda: clock[0])
    app = make_app()
    app.extensions["refnet.accounts"].create_user("officer.one", SIGNIN_PASSWORD, "police", "erbil-tip-unit")
    # a patient attacker at one address: every wrong guess, waiting out every delay it is given
    refused = 0
    for _ in range(15):
        answer = attempt(app, "203.0.113.66", "officer.one", "guessed password 1")
        if answer.status_code == 429:
            refused += 1
            clock[0] += int(answer.headers["Retry-After"])
    # the officer, at her own desk, signs in at once with the right password...
    assert attempt(app, "198.51.100.20", "officer.one", SIGNIN_PASSWORD).status_code == 302
    assert refused > 0   # ... while the attacker was slowed down


def test_many_attacking_addresses_delay_new_clients_by_a_minute_at_most_never_a_known_one(
        make_app, counting, monkeypatch):
    from gateway.signin_guard import USERNAME
    clock = [1_000_000.0]
    monkeypatch.setattr("gateway.web.common.time.time", lambda: clock[0])
    app = make_app()
    app.extensions["refnet.accounts"].create_user("officer.one", SIGNIN_PASSWORD, "police", "erbil-tip-unit")
    assert attempt(app, "198.51.100.20", "officer.one", SIGNIN_PASSWORD).status_code == 302
    for i in range(USERNAME.free + 10):   # a botnet: one guess from each of many addresses
        attempt(app, f"203.0.{113 + i // 250}.{i % 250 + 1}", "officer.one", "guessed password 1")
    elsewhere = attempt(app, "192.0.2.77", "officer.one", SIGNIN_PASSWORD)
    assert elsewhere.status_code == 429 and int(elsewhere.headers["Retry-After"]) <= USERNAME.cap
    assert attempt(app, "198.51.100.20", "officer.one", SIGNIN_PASSWORD).status_code == 302
    clock[0] += int(elsewhere.headers["Retry-After"])
    assert attempt(app, "192.0.2.77", "officer.one", SIGNIN_PASSWORD).status_code == 302


def test_concurrent_password_checks_are_bounded_by_the_memory_budget(make_app, monkeypatch):
    import gateway.accounts as accounts_module
    hasher = CountingHasher(hold=True)
    monkeypatch.setattr(accounts_module, "_hasher", hasher)
    monkeypatch.setattr(accounts_module, "_DUMMY_HASH", CountingHasher().hash("x" * 12))
    app = make_app(SIGNIN_HASH_MEMORY_MIB=128, SIGNIN_HASH_WAIT=0.2)   # two 64 MiB checks at once
    answers, done = [], threading.Condition()

    def bogus(i):
        answer = attempt(app, f"203.0.113.{i + 1}", f"nobody.{i}", "guessed password 1")
        with done:
            answers.append(answer)
            done.notify_all()
    threads = [threading.Thread(target=bogus, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    with done:   # the six beyond the two slots are answered while the two are still hashing
        done.wait_for(lambda: len(answers) >= 6, timeout=30)
    hasher.release.set()
    for t in threads:
        t.join()
    assert hasher.most == 2
    assert sorted(a.status_code for a in answers) == [200, 200] + [429] * 6
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
    assert hasher.calls == 2


def test_429_before_any_password_is_checked_per_client_and_for_everyone(make_app, counting):
    app = make_app(SIGNIN_PER_CLIENT_PER_MINUTE=3, SIGNIN_PER_MINUTE=5)
    answers = [attempt(app, "203.0.113.9", "nobody.here", "guessed password 1") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1 and "Too many requests" in answers[-1].text
    assert counting.calls == 3   # the fourth was refused before argon2id ran
    others = [attempt(app, f"198.51.100.{i}", "nobody.here", "guessed password 1") for i in (1, 2, 3)]
    assert [a.status_code for a in others] == [200, 200, 429]   # five attempts a minute, all told
    assert counting.calls == 5


def test_the_client_is_the_peer_unless_proxies_are_trusted(make_app, counting):
    from gateway.signin_guard import client_address
    forged = {"X-Forwarded-For": "192.0.2.1"}
    app = make_app(SIGNIN_PER_CLIENT_PER_MINUTE=1)
    assert attempt(app, "203.0.113.9", "nobody.here", "guessed password 1", forged).status_code == 200
    forged = {"X-Forwarded-For": "192.0.2.2"}   # a new forged address is still the same peer
    assert attempt(app, "203.0.113.9", "nobody.here", "guessed password 1", forged).status_code == 429
    proxied = make_app(SIGNIN_PER_CLIENT_PER_MINUTE=1, TRUSTED_PROXIES=1)
    for client in ("192.0.2.1", "192.0.2.2"):   # one proxy: its entry is the client
        answer = attempt(proxied, "10.0.0.5", "nobody.here", "guessed password 1",
                         {"X-Forwarded-For": f"198.51.100.7, {client}"})
        assert answer.status_code == 200
    assert client_address("10.0.0.5", "1.2.3.4, 192.0.2.9, 10.0.0.4", 2) == "192.0.2.9"
    assert client_address("10.0.0.5", "192.0.2.9", 2) == "10.0.0.5"   # fewer entries: the peer
    assert client_address("10.0.0.5", "not an address", 1) == "unknown"
    assert client_address("2001:db8::1", None, 0) == client_address("2001:db8::ffff", None, 0) == "2001:db8::/64"


def test_delays_double_up_to_a_cap_and_refused_attempts_are_not_counted():
    from gateway.signin_guard import PAIR, after_failure
    row, delays = None, []
    for _ in range(PAIR.free + 12):
        row = after_failure(row, 0, PAIR)
        delays.append(row["blocked_until"])
    assert delays[:PAIR.free - 1] == [0] * (PAIR.free - 1)
    assert delays[PAIR.free - 1:PAIR.free + 3] == [1, 2, 4, 8] and max(delays) == PAIR.cap


def test_the_throttle_table_holds_no_username_or_address(counting):
    from gateway.accounts import MemoryAccounts
    accounts = MemoryAccounts()
    accounts.sign_in("officer.one", "guessed password 1", now=10, client="203.0.113.9")
    stored = repr(accounts.throttle)
    assert "officer.one" not in stored and "203.0.113.9" not in stored and len(accounts.throttle) == 3


def test_only_a_few_attempts_wait_for_a_slot_so_the_worker_keeps_threads_for_others():
    from gateway.signin_guard import HashGate, Throttled
    gate = HashGate(256, 64 * 1024, wait=60)   # four slots; two may wait
    assert (gate.slots, gate.waiting_at_most) == (4, 2)
    held = [gate.slot() for _ in range(4)]
    for slot in held:
        slot.__enter__()
    entered, release = threading.Barrier(3), threading.Event()
    answers = []

    def waiter():
        entered.wait()
        with gate.slot():
            answers.append("checked")
    waiters = [threading.Thread(target=waiter) for _ in range(2)]
    for t in waiters:
        t.start()
    entered.wait()
    while gate._waiting < 2:   # both are waiting (no time involved: the count says so)
        release.wait(0.01)
    with pytest.raises(Throttled) as refused:
        with gate.slot():
            pass
    assert refused.value.why == "busy" and refused.value.retry_after >= 1
    for slot in held:
        slot.__exit__(None, None, None)
    for t in waiters:
        t.join()
    assert answers == ["checked", "checked"]
