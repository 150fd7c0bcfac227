"""Sign-in hardening in the gateway, with fakes: revoked tokens, the rate limit,
and the new endpoints' role rows."""

import jwt
import pytest

from gateway.api import ENDPOINTS
from gateway.ratelimit import RateLimiter
from gateway.revocation import NoRevocations


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
