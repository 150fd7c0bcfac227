"""Administration (docs/decisions/0043): the web-user, revocation, audit-verify and dead-letter
endpoints and their pages, with the fake RPC layer and accounts in memory. Each change to the
gateway's own tables is recorded in the referral service's chain before it is made (nothing
changes when it cannot be), a generated password is answered once, the page never echoes a
password, and the verify RPC (services/common) checks the chain against the gateway's rows."""

import pytest

from gateway.auditcheckpoints import MemoryCheckpoints
from services.common import audit, auditchain
from services.common import errors as se
from services.common.caller import Caller

from .test_web_pages import (PASSWORD, _cheap_hashes, accounts, get, post, sign_in,  # noqa: F401
                             web)

KEY = "unit-audit-key-" + "k" * 32
AGENCIES = {"items": [
    {"id": "erbil-tip-unit", "kind": "police_unit", "active": True, "name": "Erbil TIP unit",
     "names": {"en": "Erbil TIP unit"}},
    {"id": "refnet-admin", "kind": "other", "active": True, "name": "refnet", "names": {"en": "refnet"}}]}


@pytest.fixture
def checkpoints(app):
    store = MemoryCheckpoints()
    app.extensions["refnet.auditcheckpoints"] = store
    return store


@pytest.fixture
def trail(rpc):
    """The entries the referral service was asked to record (``audit_record``)."""
    recorded = []
    rpc.responses[("referral", "audit_record")] = lambda **kw: recorded.append(
        (kw["action"], kw["object"], kw["outcome"], kw["caller"]["user"])) or {"id": len(recorded)}
    rpc.responses[("referral", "list_agencies")] = AGENCIES["items"]
    return recorded


def _police_directory(directory):
    directory.add("erbil-tip-unit", kind="police_unit")
    directory.add("refnet-admin", kind="other")


# --- the API ---------------------------------------------------------------------------------------

def test_web_users_are_listed_created_with_a_generated_password_once_and_audited_first(
        client, auth, app, trail, directory):
    _police_directory(directory)
    admin = auth("admin", user="admin.one")
    made = client.post("/api/v1/admin/users", headers=admin,
                       json={"username": "Officer.Two", "role": "police", "agency": "erbil-tip-unit"})
    assert made.status_code == 201, made.json
    assert made.json["username"] == "officer.two" and made.json["enabled"] is True
    generated = made.json["password"]
    assert len(generated) >= 16
    store = app.extensions["refnet.accounts"]
    assert store.sign_in("officer.two", generated, client="t") is not None
    assert trail == [("web_user.create", "web_user:officer.two", "ok", "admin.one")]
    listed = client.get("/api/v1/admin/users", headers=admin).json
    assert listed == [{"username": "officer.two", "role": "police", "agency": "erbil-tip-unit",
                       "enabled": True}]  # never a password or its hash
    given = client.post("/api/v1/admin/users", headers=admin, json={
        "username": "officer.three", "role": "police", "agency": "erbil-tip-unit",
        "password": "a long enough one"})
    assert given.status_code == 201 and "password" not in given.json


def test_a_refused_web_user_changes_nothing_and_a_taken_name_is_recorded(client, auth, app, trail,
                                                                         directory):
    _police_directory(directory)
    admin = auth("admin")
    store = app.extensions["refnet.accounts"]
    for body, field in (({"username": "x y", "role": "police", "agency": "erbil-tip-unit"}, "username"),
                        ({"username": "a", "role": "pilot", "agency": "erbil-tip-unit"}, "role"),
                        ({"username": "a", "role": "police", "agency": "refnet-admin"}, "agency"),
                        ({"username": "a", "role": "police", "agency": "erbil-tip-unit",
                          "password": "short"}, "password")):
        refused = client.post("/api/v1/admin/users", headers=admin, json=body)
        assert refused.status_code == 422 and refused.json["field"] == field, refused.json
    assert store.list_users() == [] and trail == []
    store.create_user("taken", PASSWORD, "police", "erbil-tip-unit")
    taken = client.post("/api/v1/admin/users", headers=admin,
                        json={"username": "taken", "role": "admin", "agency": "refnet-admin"})
    assert taken.status_code == 409 and taken.json["field"] == "username"
    assert store.get_user("taken").role == "police"
    assert trail[-1][:3] == ("web_user.create", "web_user:taken", "refused")


def test_disabling_ends_the_sessions_enabling_lets_in_and_a_new_password_is_answered_once(
        client, auth, app, trail):
    store = app.extensions["refnet.accounts"]
    store.create_user("officer.two", PASSWORD, "police", "erbil-tip-unit")
    assert store.sign_in("officer.two", PASSWORD, client="t") is not None
    admin = auth("admin")
    off = client.post("/api/v1/admin/users/officer.two/disable", headers=admin)
    assert off.status_code == 200 and off.json["enabled"] is False
    assert store.sessions == {} and store.sign_in("officer.two", PASSWORD, client="t") is None
    on = client.post("/api/v1/admin/users/officer.two/enable", headers=admin)
    assert on.json["enabled"] is True
    reset = client.post("/api/v1/admin/users/officer.two/password", headers=admin, json={})
    assert reset.status_code == 200 and store.sign_in("officer.two", reset.json["password"],
                                                      client="t") is not None
    assert [t[0] for t in trail] == ["web_user.disable", "web_user.enable", "web_user.password"]
    missing = client.post("/api/v1/admin/users/nobody/disable", headers=admin)
    assert missing.status_code == 404
    assert trail[-1][:3] == ("web_user.disable", "web_user:nobody", "not_found")
    assert client.post("/api/v1/admin/users/officer.two/password", headers=admin,
                       json={"password": "short"}).status_code == 422
    store.create_user("admin.one", PASSWORD, "admin", "refnet-admin")
    own = client.post("/api/v1/admin/users/admin.one/disable", headers=auth("admin", user="admin.one"))
    assert own.status_code == 409 and store.get_user("admin.one").disabled is False


def test_nothing_changes_when_the_trail_cannot_be_written(client, auth, app, rpc, directory):
    _police_directory(directory)
    rpc.responses[("referral", "audit_record")] = se.ServiceUnavailable("down") \
        if hasattr(se, "ServiceUnavailable") else ConnectionError("broker away")
    store = app.extensions["refnet.accounts"]
    store.create_user("officer.two", PASSWORD, "police", "erbil-tip-unit")
    admin = auth("admin")
    assert client.post("/api/v1/admin/users/officer.two/disable", headers=admin).status_code >= 500
    assert store.get_user("officer.two").disabled is False
    assert client.post("/api/v1/admin/revocations", headers=admin,
                       json={"user": "officer.two"}).status_code >= 500
    assert app.extensions["refnet.revocations"].users == {}


def test_revocations_are_recorded(client, auth, app, trail):
    admin = auth("admin", user="admin.one")
    assert client.post("/api/v1/admin/revocations", headers=admin, json={"jti": "abc"}).json == \
        {"revoked": "token"}
    assert client.post("/api/v1/admin/revocations", headers=admin, json={"user": "u1"}).json == \
        {"revoked": "user"}
    assert [t[:2] for t in trail] == [("token.revoke", "token:abc"), ("token.revoke_user", "user:u1")]
    assert "abc" in app.extensions["refnet.revocations"].jtis


@pytest.mark.parametrize("role", ["police", "shelter", "legal", "court", "analyst", "partner"])
def test_only_administrators_reach_the_administration(client, auth, rpc, role):
    for method, path in (("get", "/api/v1/admin/users"), ("post", "/api/v1/admin/users/x/disable"),
                         ("get", "/api/v1/admin/dead-letters"), ("post", "/api/v1/audit/verify")):
        assert getattr(client, method)(path, headers=auth(role), json={}).status_code == 403
    assert rpc.calls == []


def test_verify_hands_the_rows_to_the_service_and_keeps_the_signed_head(client, auth, rpc,
                                                                        checkpoints):
    head = auditchain.signed_checkpoint("shelter", {"entry_id": 7, "hash": "h" * 64}, KEY,
                                        "2026-12-01T00:00:00+00:00")
    rpc.responses[("shelter", "audit_verify")] = lambda **kw: {
        "service": "shelter", "entries": 7, "intact": True, "problems": [],
        "checkpoint": None, "new_checkpoint": head}
    found = client.post("/api/v1/audit/verify", headers=auth("admin"), json={"service": "shelter"})
    assert found.status_code == 200, found.json
    assert found.json["recorded"] == {"entry_id": 7, "at": "2026-12-01T00:00:00+00:00"}
    assert checkpoints.rows("shelter")[0]["mac"] == head["mac"]
    rpc.responses[("shelter", "audit_verify")] = lambda **kw: {
        "service": "shelter", "entries": 6, "intact": False,
        "problems": ["entry 7 cut from the end"], "checkpoint": None, "new_checkpoint": head}
    bad = client.post("/api/v1/audit/verify", headers=auth("admin"), json={"service": "shelter"})
    assert bad.json["intact"] is False and bad.json["recorded"] is None
    assert len(checkpoints.rows("shelter")) == 1   # a tampered chain records nothing
    assert [c[2]["checkpoints"] for c in rpc.calls if c[1] == "audit_verify"][1] == \
        checkpoints.rows("shelter")
    assert client.post("/api/v1/audit/verify", headers=auth("admin"),
                       json={"service": "gateway"}).status_code == 422


def test_dead_letters_are_listed_without_bodies_and_retried_on_the_referral_service(client, auth,
                                                                                   rpc):
    parked = {"id": "m1@shelter.events", "type": "referral.submitted", "queue": "shelter.events",
              "reason": "delivery_limit", "deaths": 6, "died_at": "2026-12-01 10:00:00",
              "body": "never shown"}
    rpc.responses[("referral", "dead_letters")] = [parked]
    listed = client.get("/api/v1/admin/dead-letters", headers=auth("admin")).json
    assert listed == [{k: v for k, v in parked.items() if k != "body"}]
    rpc.responses[("referral", "retry_dead_letter")] = lambda **kw: parked
    retried = client.post("/api/v1/admin/dead-letters/retry", headers=auth("admin"),
                          json={"id": "m1@shelter.events"})
    assert retried.status_code == 200 and "body" not in retried.json
    assert [c[2]["message_id"] for c in rpc.calls if c[1] == "retry_dead_letter"] == ["m1@shelter.events"]


# --- the shared RPCs (services/common/runtime/skeleton.py) ----------------------------------------

class _Session:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Service:
    name = "legal"
    audit_table = None
    audit_key = KEY

    def __init__(self):
        from datetime import datetime, timezone
        self.clock = type("C", (), {"now": staticmethod(lambda: datetime(2026, 12, 1, tzinfo=timezone.utc))})()
        self.db = type("D", (), {"read": lambda s: _Session(), "write": lambda s: _Session()})()


def _chain(n):
    entries, prev = [], auditchain.GENESIS
    for i in range(1, n + 1):
        e = {"id": i, "at": "2026-11-30T10:00:00+00:00", "actor": "a", "role": "admin", "agency": "x",
             "action": "audit.query", "object": "audit", "outcome": "ok", "correlation_id": None,
             "prev_hash": prev, "key_id": auditchain.key_id(KEY)}
        e["hash"] = prev = auditchain.entry_hash(e, prev, KEY)
        entries.append(e)
    return entries


def test_the_verify_rpc_checks_the_chain_against_the_trusted_rows_and_signs_the_next(monkeypatch):
    from services.common.runtime import skeleton
    entries = _chain(3)
    monkeypatch.setattr(audit, "read_all", lambda c, t: list(entries))
    admin, service = Caller("admin.one", "admin", "refnet-admin"), _Service()
    first = skeleton._audit_verify(service, admin, [])
    assert first["intact"] and first["checkpoint"] is None
    row = {"id": 1, **first["new_checkpoint"]}
    assert auditchain.trusted_checkpoint([row], "legal", KEY)[0]["entry_id"] == 3
    forged = {**row, "id": 2, "entry_id": 2}
    again = skeleton._audit_verify(service, admin, [row, forged])
    assert again["intact"] is False and "checkpoint 2 is not signed" in again["problems"][0]
    del entries[2]   # the last entry cut from the end: the checkpoint names it
    cut = skeleton._audit_verify(service, admin, [row])
    assert not cut["intact"] and "cut from the end" in cut["problems"][0] and cut["new_checkpoint"] is None
    with pytest.raises(se.Forbidden):
        skeleton._audit_verify(service, Caller("o", "police", "p"), [])
    with pytest.raises(se.InvalidInput):
        skeleton._audit_verify(service, admin, [{"entry_id": 1}])


def test_the_record_rpc_takes_only_the_gateways_actions(monkeypatch):
    from services.common.runtime import skeleton
    written = []
    monkeypatch.setattr(audit, "append", lambda s, t, **kw: written.append(kw) or {"id": 1})
    admin = Caller("admin.one", "admin", "refnet-admin", correlation_id="c1")
    skeleton._audit_record(_Service(), admin, "web_user.disable", "web_user:officer.two")
    assert (written[0]["action"], written[0]["object"], written[0]["actor"],
            written[0]["correlation_id"]) == ("web_user.disable", "web_user:officer.two",
                                              "admin.one", "c1")
    skeleton._audit_record(_Service(), admin, "token.revoke", "token:has a space")
    assert written[1]["object"] == "token:(not an id)"
    for action, outcome in (("referral.read_file", "ok"), ("web_user.create", "maybe")):
        with pytest.raises(se.InvalidInput):
            skeleton._audit_record(_Service(), admin, action, "x:y", outcome)
    with pytest.raises(se.Forbidden):
        skeleton._audit_record(_Service(), Caller("o", "police", "p"), "token.revoke", "token:t")


def test_only_the_dead_letter_keeper_answers_the_dead_letter_rpcs():
    from services.common.runtime.skeleton import ServiceSkeleton

    class Keeper(ServiceSkeleton):
        name = "k"
        keeps_dead_letters = True

    class Other(ServiceSkeleton):
        name = "o"
    assert hasattr(Keeper, "retry_dead_letter") and hasattr(Keeper, "dead_letters")
    assert not hasattr(Other, "retry_dead_letter") and hasattr(Other, "audit_verify")


# --- the pages -------------------------------------------------------------------------------------

def test_the_users_page_adds_shows_a_generated_password_once_and_disables(web, accounts, rpc, trail,
                                                                          directory):
    _police_directory(directory)
    sign_in(web, accounts, "admin", lang="ar")
    page = get(web, "/admin/users", headers={"Accept-Language": "ar"})
    assert page.status_code == 200 and "admin.one" in page.text and 'dir="rtl"' in page.text
    added = post(web, "/admin/users", {"username": "officer.two", "role": "police",
                                       "agency": "erbil-tip-unit"}, page="/admin/users")
    assert added.status_code == 200 and 'id="shown-secret"' in added.text
    assert added.headers["Cache-Control"] == "no-store"
    secret = added.text.split('id="shown-secret">')[1].split("<")[0]
    assert accounts.sign_in("officer.two", secret, client="t") is not None
    assert secret not in get(web, "/admin/users").text   # shown once
    off = post(web, "/admin/users/officer.two/active", {"enabled": "false"}, page="/admin/users")
    assert off.status_code == 302 and "user_disabled" in off.headers["Location"]
    assert accounts.get_user("officer.two").disabled
    given = post(web, "/admin/users/password", {"reset-username": "officer.two",
                                                "reset-password": "a new long password"},
                 page="/admin/users")
    assert given.status_code == 302 and "password_set" in given.headers["Location"]
    assert accounts.sign_in("officer.two", "a new long password", client="t") is None  # disabled


def test_the_users_page_shows_refusals_beside_their_fields_and_never_echoes_a_password(
        web, accounts, rpc, trail, directory):
    _police_directory(directory)
    sign_in(web, accounts, "admin")
    short = post(web, "/admin/users", {"username": "officer.two", "role": "police",
                                       "agency": "erbil-tip-unit", "password": "tiny-secret"[:5]},
                 page="/admin/users")
    assert short.status_code == 422 and 'id="err-f-password"' in short.text
    assert 'aria-invalid="true"' in short.text and "tiny-" not in short.text
    assert 'value="officer.two"' in short.text   # the rest is kept
    wrong_kind = post(web, "/admin/users", {"username": "officer.two", "role": "police",
                                            "agency": "refnet-admin"}, page="/admin/users")
    assert wrong_kind.status_code == 422 and 'id="err-f-agency"' in wrong_kind.text
    taken = post(web, "/admin/users", {"username": "admin.one", "role": "police",
                                       "agency": "erbil-tip-unit"}, page="/admin/users")
    assert taken.status_code == 409 and 'id="err-f-username"' in taken.text
    reset = post(web, "/admin/users/password", {"reset-username": "admin.one",
                                                "reset-password": "short"}, page="/admin/users")
    assert reset.status_code == 422 and 'id="err-f-reset-password"' in reset.text
    assert [u.username for u in accounts.list_users()] == ["admin.one"]
    assert [t for t in trail if t[2] == "ok"] == []


def test_the_tokens_page_revokes_and_refuses_a_too_long_id(app, web, accounts, trail):
    sign_in(web, accounts, "admin")
    assert get(web, "/admin/tokens").status_code == 200
    done = post(web, "/admin/tokens", {"jti": "abc123"}, page="/admin/tokens")
    assert done.status_code == 302 and "token_revoked" in done.headers["Location"]
    done = post(web, "/admin/tokens", {"user": "officer.two"}, page="/admin/tokens")
    assert "user_tokens_revoked" in done.headers["Location"]
    bad = post(web, "/admin/tokens", {"jti": "x" * 65}, page="/admin/tokens")
    assert bad.status_code == 422 and 'id="err-f-jti"' in bad.text
    assert app.extensions["refnet.revocations"].jtis == {"abc123"}


def test_the_audit_page_filters_verifies_and_refuses_a_bad_filter(web, accounts, rpc, checkpoints):
    rpc.responses[("legal", "audit_query")] = [
        {"id": 4, "at": "2026-12-01T10:00:00+00:00", "actor": "lawyer.one", "role": "legal",
         "agency": "erbil-legal-aid", "action": "legal_case.read", "object": "legal_case:c1",
         "outcome": "ok", "correlation_id": None, "hash": "h"}]
    rpc.responses[("legal", "audit_verify")] = {
        "service": "legal", "entries": 4, "intact": True, "problems": [], "checkpoint": None,
        "new_checkpoint": {"entry_id": 4, "hash": "h" * 64, "at": "2026-12-01T10:00:00+00:00",
                           "mac": "m" * 64}}
    sign_in(web, accounts, "admin")
    page = get(web, "/admin/audit?service=legal&actor=lawyer.one")
    assert page.status_code == 200 and "legal_case:c1" in page.text
    assert [c[2]["actor"] for c in rpc.calls if c[1] == "audit_query"] == ["lawyer.one"]
    verified = post(web, "/admin/audit/verify", {"verify-service": "legal"}, page="/admin/audit")
    assert verified.status_code == 200 and 'id="verify-result"' in verified.text
    assert len(checkpoints.rows("legal")) == 1
    bad = get(web, "/admin/audit?service=legal&object=" + "x" * 121)
    assert bad.status_code == 422 and 'id="err-f-object"' in bad.text
    bad = post(web, "/admin/audit/verify", {"verify-service": "gateway"}, page="/admin/audit")
    assert bad.status_code == 422 and 'id="err-f-verify-service"' in bad.text
    assert len(checkpoints.rows("legal")) == 1


def test_the_dead_letters_page_lists_and_retries(web, accounts, rpc):
    parked = {"id": "m1@shelter.events", "type": "referral.submitted", "queue": "shelter.events",
              "reason": "delivery_limit", "deaths": 6, "died_at": "2026-12-01 10:00:00"}
    rpc.responses[("referral", "dead_letters")] = [parked]
    rpc.responses[("referral", "retry_dead_letter")] = parked
    sign_in(web, accounts, "admin")
    page = get(web, "/admin/dead-letters")
    assert page.status_code == 200 and "m1@shelter.events" in page.text
    retried = post(web, "/admin/dead-letters/retry", {"id": "m1@shelter.events"},
                   page="/admin/dead-letters")
    assert retried.status_code == 302 and "dead_letter_retried" in retried.headers["Location"]
    rpc.responses[("referral", "retry_dead_letter")] = se.NotFound("no", field="message_id")
    gone = post(web, "/admin/dead-letters/retry", {"id": "m1@shelter.events"},
                page="/admin/dead-letters")
    assert gone.status_code == 404 and "error-summary" in gone.text


@pytest.mark.parametrize("path", ["/admin/users", "/admin/tokens", "/admin/audit",
                                  "/admin/dead-letters"])
def test_the_administration_pages_are_for_administrators(web, accounts, rpc, path):
    sign_in(web, accounts, "police")
    assert get(web, path).status_code == 403 and rpc.calls == []
