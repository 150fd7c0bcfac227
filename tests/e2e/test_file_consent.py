"""The file follows consent (issue 18 item 7, docs/decisions/0040), over real processes on a
fresh vhost: the survivor's consent to share the file is recorded per provider agency; a
provider with it reads the file, one without it the status-level summary; shelter staff record
and withdraw a provider's consent, and a withdrawal holds at the very next read."""

import copy
import uuid

import pytest

from refnet import demo
from tests.e2e.conftest import CANONICAL, own_network

A = next(u["agency"] for u in demo.USERS if u["role"] == "shelter")   # the network's shelter
B = "second-shelter"
NAME = CANONICAL["survivor"]["name"]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    yield from own_network(tmp_path_factory, "file-consent")


def _referral(net, police, staff, share_file_with=None) -> str:
    body = copy.deepcopy(CANONICAL)
    if share_file_with is not None:
        body["consent"]["share_file_with"] = share_file_with
    r = net.api("POST", "/referrals", police, json=body)
    assert r.status_code == 202, r.text
    reference = r.json()["reference"]
    net.wait_status(reference, "received", staff)
    return reference


def _consent(net, staff, reference, agency, share, **extra):
    body = {"audience": "provider", "agency": agency, "share": share, **extra}
    return net.api("POST", f"/referrals/{reference}/consent", staff, json=body)


def test_file_consent_to_a_only_then_withdrawn_holds_at_the_next_read(net):
    police = net.token("police", agency=f"tip-unit-{uuid.uuid4().hex[:8]}")
    a, b = net.token("shelter", user="cm.a"), net.token("shelter", agency=B, user="cm.b")
    reference = _referral(net, police, a, share_file_with=[A])

    file = net.api("GET", f"/referrals/{reference}", a)
    assert file.status_code == 200, file.text
    assert file.json()["file_shared"] is True and file.json()["submission"]["survivor"]["name"] == NAME
    other = net.api("GET", f"/referrals/{reference}", b)   # B: never the file
    assert other.status_code in (200, 404), other.text
    assert NAME not in other.text and '"submission"' not in other.text
    if other.status_code == 200:
        assert other.json()["file_shared"] is False

    r = _consent(net, a, reference, A, False)
    assert r.status_code == 200, r.text
    assert {p["agency"]: p["share"] for p in r.json()["providers"]} == {A: False}
    summary = net.api("GET", f"/referrals/{reference}", a)   # the very next read
    assert summary.status_code == 200
    assert summary.json() == {
        "reference": reference, "status": "received", "file_shared": False,
        "population_group": "children", "beds_needed": 1 + len(CANONICAL["children"]),
        "urgency": CANONICAL["urgency"], "needs": CANONICAL["needs"],
        "service_languages": CANONICAL["survivor"]["languages"],
        "children_count": len(CANONICAL["children"])}
    assert NAME not in summary.text

    r = _consent(net, a, reference, A, True, purpose="placement and care")
    assert r.status_code == 200, r.text
    assert net.api("GET", f"/referrals/{reference}", a).json()["file_shared"] is True
    history = net.api("GET", f"/referrals/{reference}/consent", a).json()["history"]
    assert [(h["audience"], h["agency"], h["share"]) for h in history] == [
        ("provider", A, True), ("provider", A, False), ("provider", A, True)]


def test_consent_to_another_provider_only_gives_the_holder_the_summary(net):
    police = net.token("police", agency=f"tip-unit-{uuid.uuid4().hex[:8]}")
    a = net.token("shelter", user="cm.a")
    reference = _referral(net, police, a, share_file_with=[B])
    summary = net.api("GET", f"/referrals/{reference}", a)
    assert summary.status_code == 200 and summary.json()["file_shared"] is False
    assert NAME not in summary.text
    # the holder can still decide on the summary: group, beds, urgency, needs
    assert net.api("POST", f"/referrals/{reference}/decision", a,
                   json={"decision": "accept"}).status_code == 200
    # a referral to the network with no list: every provider it is offered to reads the file
    default = _referral(net, police, a)
    assert net.api("GET", f"/referrals/{default}", a).json()["file_shared"] is True


def test_bad_provider_consent_names_the_field_and_changes_nothing(net):
    police = net.token("police", agency=f"tip-unit-{uuid.uuid4().hex[:8]}")
    a = net.token("shelter", user="cm.a")
    reference = _referral(net, police, a, share_file_with=[])
    before = net.api("GET", f"/referrals/{reference}/consent", a).json()
    for body, field in (({"audience": "provider", "share": True, "purpose": "x"}, "agency"),
                        ({"audience": "legal_team", "agency": A, "share": True, "purpose": "x"}, "agency"),
                        ({"audience": "provider", "agency": "Not An Id", "share": True}, "agency")):
        r = net.api("POST", f"/referrals/{reference}/consent", a, json=body)
        assert r.status_code == 422 and r.headers["Content-Type"].startswith("application/problem+json")
        assert field in r.text
    bad_list = copy.deepcopy(CANONICAL)
    bad_list["consent"]["share_file_with"] = ["Not An Id"]
    r = net.api("POST", "/referrals", police, json=bad_list)
    assert r.status_code == 422 and "share_file_with" in r.text
    assert net.api("GET", f"/referrals/{reference}/consent", a).json() == before
    assert net.api("GET", f"/referrals/{reference}", a).json()["file_shared"] is False
