"""A referral reaches its ends (issue 21), over real processes on SQLite and PostgreSQL: the
holding shelter starts screening a received referral with a coded reason before deciding, and
the police see it; a decline or a withdrawal that stays settled is closed with its own code.

The network settles in seconds (``REFNET_SETTLE_DAYS`` of 0.0001 days, about 9 s, and a sweep
every half second); everything is polled with deadlines.
"""

import uuid

import pytest

from refnet import demo
from refnet.harness.polling import poll
from tests.e2e.conftest import CANONICAL, ON_BOTH_DATABASES, network_on, submit
from tests.e2e.conftest import ok as _ok

SHELTER = demo.FACILITY["provider"]        # the demo NGO shelter: the session's shelter token
OTHER_PROVIDER = "duhok-gov-shelter"       # the demo's second provider (refnet/demo/data.py)
SETTLE = {"REFNET_SETTLE_DAYS": "0.0001", "REFNET_RETENTION_SWEEP_SECONDS": "0.5"}


@pytest.fixture(scope="module", params=ON_BOTH_DATABASES)
def net(request, tmp_path_factory):
    yield from network_on(request.param, tmp_path_factory, "case-ends", SETTLE)


def _incoming(net, staff, status: str) -> list[str]:
    page = _ok(net.api("GET", f"/shelter/incoming?status={status}", staff))
    return [item["reference"] for item in page["items"]]


def test_screening_is_the_holders_answer_and_the_police_see_its_reason(net):
    police = net.token("police", agency=f"tip-ends-{uuid.uuid4().hex[:6]}")
    shelter, other = net.token("shelter"), net.token("shelter", agency=OTHER_PROVIDER)
    reference = submit(net, police).json()["reference"]  # to the network: the NGO shelter first
    net.wait_status(reference, "received", police)
    path = f"/referrals/{reference}/screening"

    # bad input and the wrong callers: a clear 4xx naming the field, and nothing changes
    for body in ({}, {"reason_code": "Age check please"}, {"reason_code": "no_bed_in_group"}):
        refused = net.api("POST", path, shelter, json=body)
        assert refused.status_code == 422 and refused.json()["field"] == "reason_code", refused.text
        assert "application/problem+json" in refused.headers["Content-Type"]
    assert net.api("POST", path, police, json={"reason_code": "age_assessment"}).status_code == 403
    elsewhere = net.api("POST", path, other, json={"reason_code": "age_assessment"})
    assert elsewhere.status_code == 404 and elsewhere.json()["field"] == "reference"
    assert net.api("POST", "/referrals/XX-0000-000000/screening", shelter,
                   json={"reason_code": "age_assessment"}).status_code == 404
    assert _ok(net.api("GET", f"/referrals/{reference}/status", police))["status"] == "received"
    assert reference in _incoming(net, shelter, "received")

    started = _ok(net.api("POST", path, shelter, json={"reason_code": "age_assessment"}))
    assert started["status"] == "screening" and started["held_by"] == SHELTER
    status = net.wait_status(reference, "screening", police)
    [entry] = [e for e in status["timeline"] if e["status"] == "screening"]
    assert entry["reason_code"] == "age_assessment"
    assert entry["note"] == "Screening by the shelter: Age assessment"
    assert reference in _incoming(net, shelter, "screening")
    assert reference not in _incoming(net, shelter, "received")

    again = net.api("POST", path, shelter, json={"reason_code": "needs_assessment"})
    assert again.status_code == 409 and again.json()["field"] == "reference"

    # decided from screening: declined to the network, it passes on to the next provider, who
    # receives it afresh (the screening was the first holder's) and may screen it in turn
    _ok(net.api("POST", f"/referrals/{reference}/decision", shelter,
                json={"decision": "decline", "reason_code": "outside_mandate"}))
    poll(lambda: net.api("GET", f"/referrals/{reference}/status", police).json()["held_by"]
         == OTHER_PROVIDER, "the pass-on")
    assert net.wait_status(reference, "received", police)["held_by"] == OTHER_PROVIDER
    assert reference in _incoming(net, other, "received")
    _ok(net.api("POST", path, other, json={"reason_code": "interview_pending"}))
    net.wait_status(reference, "screening", police)
    accepted = _ok(net.api("POST", f"/referrals/{reference}/decision", other,
                           json={"decision": "accept"}))
    assert accepted["status"] == "accepted"
    poll(lambda: net.api("GET", f"/referrals/{reference}/status", police).json()["status"]
         not in ("received", "screening"), "the acceptance after screening")


def test_a_decline_and_a_withdrawal_that_settle_are_closed_with_their_codes(net):
    police = net.token("police", agency=f"tip-settle-{uuid.uuid4().hex[:6]}")
    shelter = net.token("shelter")
    addressed = {**CANONICAL, "addressed_to": SHELTER}  # its decline ends it: no pass-on

    declined = submit(net, police, addressed).json()["reference"]
    withdrawn = submit(net, police, addressed).json()["reference"]
    waiting = submit(net, police, addressed).json()["reference"]
    for reference in (declined, withdrawn, waiting):
        net.wait_status(reference, "received", police)
    _ok(net.api("POST", f"/referrals/{declined}/decision", shelter,
                json={"decision": "decline", "reason_code": "needs_beyond_capacity"}))
    _ok(net.api("POST", f"/referrals/{withdrawn}/withdraw", police,
                json={"reason_code": "placed_elsewhere"}))

    for reference, ended, code in ((declined, "declined", "declined_settled"),
                                   (withdrawn, "withdrawn", "withdrawn_settled")):
        closed = net.wait_status(reference, "closed", police, timeout=60)
        statuses = [e["status"] for e in closed["timeline"]]
        assert statuses[-2:] == [ended, "closed"], statuses
        assert closed["timeline"][-1]["reason_code"] == code
        assert closed["timeline"][-1]["note"] == f"Closed: {code}"
    # an undecided referral is not an end: it stays until REFNET_STALE_REFERRAL_DAYS (90)
    assert _ok(net.api("GET", f"/referrals/{waiting}/status", police))["status"] == "received"
    # the shelter keeps its own word for what it decided
    assert declined in _incoming(net, shelter, "declined")
