"""The caller the gateway signs (services.common.signed_caller): a service believes it only if
it is well signed by the gateway's key, for that service and method, unexpired and unused; the
``@rpc`` wrapper checks it before the method runs and audits a refusal."""

import base64
import json

import pytest

from services.common.caller import Caller
from services.common.errors import CallerRefused, InvalidInput
from services.common.runtime.entrypoints import with_caller
from services.common.signed_caller import LIFETIME_SECONDS, Signer, Verifier, new_keypair

NOW = 1_800_000_000.0
STAFF = {"user": "staff.one", "role": "shelter", "agency": "erbil-shelter",
         "correlation_id": "req-12345678"}
POLICE = {"user": "officer.one", "role": "police", "agency": "erbil-police"}


class Clock:
    def __init__(self, at: float = NOW):
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def pair():
    return new_keypair()


def _payload(token: str) -> dict:
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _with_payload(token: str, **changes) -> str:
    payload = {**_payload(token), **changes}
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"{body}.{token.split('.')[1]}"


def test_a_signed_caller_is_believed_once_for_its_method(pair):
    token = Signer(pair[0], now=Clock()).sign(STAFF, "referral", "get_file")
    verifier = Verifier(pair[1], now=Clock(NOW + 1))
    assert verifier.verify(token, "referral", "get_file") == Caller(
        user="staff.one", role="shelter", agency="erbil-shelter", correlation_id="req-12345678")
    payload = _payload(token)
    assert payload["aud"] == "referral.get_file" and payload["exp"] - payload["iat"] == 60
    with pytest.raises(CallerRefused, match="used before"):
        verifier.verify(token, "referral", "get_file")
    other = Signer(pair[0], now=Clock()).sign(STAFF, "referral", "get_file")
    assert _payload(other)["jti"] != payload["jti"]  # each call its own id
    assert verifier.verify(other, "referral", "get_file").role == "shelter"


@pytest.mark.parametrize("given", [STAFF, "", None, 42, "a.b", "no-dot", "x.y.z"])
def test_an_unsigned_caller_is_refused(pair, given):
    with pytest.raises(CallerRefused) as refusal:
        Verifier(pair[1], now=Clock()).verify(given, "referral", "get_file")
    assert refusal.value.field == "caller"


@pytest.mark.parametrize("change", [{"role": "shelter"}, {"agency": "duhok-police"},
                                    {"user": "officer.two"}, {"aud": "referral.get_status"},
                                    {"exp": NOW + 3600}])
def test_a_caller_altered_after_signing_is_refused(pair, change):
    token = Signer(pair[0], now=Clock()).sign(POLICE, "referral", "get_file")
    with pytest.raises(CallerRefused, match="signature"):
        Verifier(pair[1], now=Clock()).verify(_with_payload(token, **change), "referral", "get_file")


def test_an_expired_caller_is_refused(pair):
    token = Signer(pair[0], now=Clock()).sign(STAFF, "shelter", "decide")
    with pytest.raises(CallerRefused, match="expired"):
        Verifier(pair[1], now=Clock(NOW + LIFETIME_SECONDS)).verify(token, "shelter", "decide")
    assert Verifier(pair[1], now=Clock(NOW + LIFETIME_SECONDS - 1)).verify(
        token, "shelter", "decide").user == "staff.one"
    with pytest.raises(CallerRefused, match="expired"):  # issued in the future: not yet valid
        Verifier(pair[1], now=Clock(NOW - 60)).verify(token, "shelter", "decide")
    long_lived = Signer(pair[0], now=Clock(), lifetime=3600).sign(STAFF, "shelter", "decide")
    with pytest.raises(CallerRefused, match="expired"):  # no signer may stretch the lifetime
        Verifier(pair[1], now=Clock()).verify(long_lived, "shelter", "decide")


def test_the_ids_it_remembers_leave_when_they_expire_in_whatever_order_they_came(pair):
    # two gateways whose clocks differ: ids do not arrive in the order they expire
    clock = Clock()
    verifier = Verifier(pair[1], now=clock)
    late = Signer(pair[0], now=Clock(NOW)).sign(STAFF, "shelter", "decide")          # exp +60
    early = Signer(pair[0], now=Clock(NOW - 30)).sign(STAFF, "shelter", "decide")    # exp +30
    many = [Signer(pair[0], now=Clock(NOW - 40)).sign(STAFF, "shelter", "decide") for _ in range(300)]
    for token in (late, early, *many):
        verifier.verify(token, "shelter", "decide")
    clock.at = NOW + 31  # early and the 300 have expired, late has not
    fresh = Signer(pair[0], now=clock).sign(STAFF, "shelter", "decide")
    verifier.verify(fresh, "shelter", "decide")
    assert len(verifier._seen) == 2  # late and fresh: the expired ones are forgotten
    with pytest.raises(CallerRefused, match="used before"):
        verifier.verify(late, "shelter", "decide")
    with pytest.raises(CallerRefused, match="used before"):
        verifier.verify(fresh, "shelter", "decide")
    clock.at = NOW + 95
    verifier.verify(Signer(pair[0], now=clock).sign(STAFF, "shelter", "decide"), "shelter", "decide")
    assert len(verifier._seen) == 1


def test_a_caller_signed_for_another_service_or_method_is_refused(pair):
    signer, verifier = Signer(pair[0], now=Clock()), Verifier(pair[1], now=Clock())
    for service, method in (("referral", "get_status"), ("shelter", "get_file")):
        with pytest.raises(CallerRefused, match="another call"):
            verifier.verify(signer.sign(STAFF, service, method), "referral", "get_file")


def test_a_service_key_cannot_mint_a_caller(pair):
    """A service holds only the public key; taken as a signing key it signs nothing the
    services believe, and neither does another pair's private key."""
    for key in (pair[1], new_keypair()[0]):
        token = Signer(key, now=Clock()).sign(STAFF, "referral", "get_file")
        with pytest.raises(CallerRefused, match="signature"):
            Verifier(pair[1], now=Clock()).verify(token, "referral", "get_file")


def test_the_signer_signs_a_whole_identity_where_it_is_given(pair):
    signer = Signer(pair[0], now=Clock())
    args, kwargs = signer.sign_arguments("referral", "get_status", (POLICE, "RN-1"), {})
    assert kwargs == {} and args[1] == "RN-1" and _payload(args[0])["role"] == "police"
    args, kwargs = signer.sign_arguments("referral", "get_status", (), {"caller": POLICE, "x": 1})
    assert args == () and kwargs["x"] == 1 and _payload(kwargs["caller"])["agency"] == "erbil-police"
    with pytest.raises(InvalidInput):
        signer.sign({"user": "someone"}, "referral", "get_status")


# --- the @rpc wrapper --------------------------------------------------------------------------

class _Db:
    def __init__(self):
        self.entries = []

    def write(self):
        db = self

        class _Session:
            def __enter__(self):
                return db

            def __exit__(self, *exc):
                return False
        return _Session()


class _Service:
    """A service as the wrapper sees it: name, verifier, and where refusals are audited."""
    name = "referral"
    audit_table = object()

    def __init__(self, verifier):
        self.caller_verifier = verifier
        self.db = _Db()
        self.clock = type("C", (), {"now": staticmethod(lambda: "now")})()
        self.ran = []

    @with_caller
    def get_file(self, caller, reference):
        self.ran.append((caller, reference))
        return "file"


def test_rpc_runs_the_method_only_for_a_verified_caller_and_audits_a_refusal(pair, monkeypatch):
    appended = []
    monkeypatch.setattr("services.common.audit.append",
                        lambda session, table, **entry: appended.append(entry))
    service = _Service(Verifier(pair[1]))
    token = Signer(pair[0]).sign(STAFF, "referral", "get_file")
    assert service.get_file(token, reference="RN-1") == "file"
    assert service.ran == [(Caller.from_dict(STAFF), "RN-1")]
    for refused in (STAFF, token, Signer(pair[0]).sign(STAFF, "referral", "get_status")):
        with pytest.raises(CallerRefused):
            service.get_file(caller=refused, reference="RN-1")
    assert len(service.ran) == 1  # no rule ran for a refused caller
    assert [(e["actor"], e["action"], e["object"], e["outcome"]) for e in appended] == [
        ("unverified", "rpc.caller_refused", "rpc:referral.get_file", "refused")] * 3


def test_rpc_on_a_service_without_a_verifier_refuses_everyone(pair, monkeypatch):
    monkeypatch.setattr("services.common.audit.append", lambda *a, **k: None)
    service = _Service(None)
    with pytest.raises(CallerRefused):
        service.get_file(Signer(pair[0]).sign(STAFF, "referral", "get_file"), "RN-1")
    assert service.ran == []
