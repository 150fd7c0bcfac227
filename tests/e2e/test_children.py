"""Children (issue 21), over real processes on SQLite and PostgreSQL: an accompanying child is
a person of the file (sex, age band, relationship); a minor survivor's referral is accepted
only after the holding shelter recorded a best-interests determination recommending the
placement; a minor's guardian is recorded (the name encrypted, in the file only) and her
consent to share is recorded with the guardian's. Bad input is a 4xx naming the field and
changes nothing.
"""

import uuid
from datetime import date, timedelta

import pytest

from tests.e2e.conftest import CANONICAL, ON_BOTH_DATABASES, network_on, submit
from tests.e2e.conftest import refused as _refused

MINOR = {**CANONICAL,
         "survivor": {**CANONICAL["survivor"], "birth_year": None, "age": 16},
         "consent": {**CANONICAL["consent"], "basis": "best_interest"},
         "children": [{"sex": "male", "age_band": "0-4", "relationship": "sibling"}]}
MINOR["survivor"].pop("birth_year")


@pytest.fixture(scope="module", params=ON_BOTH_DATABASES)
def net(request, tmp_path_factory):
    yield from network_on(request.param, tmp_path_factory, "children")


def _incoming(net, staff, reference) -> dict:
    items = net.api("GET", "/shelter/incoming?status=all", staff).json()["items"]
    return next(i for i in items if i["reference"] == reference)


def test_a_child_is_a_person_of_the_file_with_an_age_band(net):
    police = net.token("police", agency=f"tip-kids-{uuid.uuid4().hex[:6]}")
    shelter = net.token("shelter")
    no_band = submit(net, police, {**CANONICAL, "children": [{"sex": "female"}]})
    _refused(no_band, 422, "children.0.age_band")
    wrong_band = submit(net, police, {**CANONICAL, "children": [{"sex": "female", "age": 6,
                                                                 "age_band": "0-4"}]})
    _refused(wrong_band, 422, "children.0.age_band")
    assert net.api("GET", "/referrals", police).json()["items"] == []  # nothing was recorded

    reference = submit(net, police, MINOR).json()["reference"]
    net.wait_status(reference, "received", police)
    file = net.api("GET", f"/referrals/{reference}", shelter).json()
    assert file["submission"]["children"] == [
        {"sex": "male", "age_band": "0-4", "relationship": "sibling"}]
    assert _incoming(net, shelter, reference)["survivor_minor"] is True


def test_a_minors_placement_waits_for_a_best_interests_determination(net):
    police = net.token("police", agency=f"tip-kids-{uuid.uuid4().hex[:6]}")
    shelter = net.token("shelter")
    other = net.token("shelter", agency="duhok-gov-shelter")
    reference = submit(net, police, MINOR).json()["reference"]
    adult = submit(net, police).json()["reference"]
    for ref in (reference, adult):
        net.wait_status(ref, "received", police)
    decide = f"/referrals/{reference}/decision"
    path = f"/referrals/{reference}/best-interests"

    _refused(net.api("POST", decide, shelter, json={"decision": "accept"}), 409, "best_interests")
    _refused(net.api("POST", path, shelter, json={"outcome": "placed"}), 422, "outcome")
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    _refused(net.api("POST", path, shelter, json={"outcome": "placement_recommended",
                                                  "assessed_on": tomorrow}), 422, "assessed_on")
    _refused(net.api("POST", path, other, json={"outcome": "placement_recommended"}), 404,
             "reference")
    assert net.api("POST", path, police, json={"outcome": "placement_recommended"}).status_code == 403
    _refused(net.api("POST", f"/referrals/{adult}/best-interests", shelter,
                     json={"outcome": "placement_recommended"}), 409, "reference")
    assert net.api("GET", f"/referrals/{reference}/status", police).json()["status"] == "received"

    tracing = net.api("POST", path, shelter, json={"outcome": "family_tracing_first"})
    assert tracing.status_code == 200, tracing.text
    assert tracing.json()["assessed_by"] and tracing.json()["assessed_on"] == date.today().isoformat()
    refused = net.api("POST", decide, shelter, json={"decision": "accept"})
    _refused(refused, 409, "best_interests")
    assert "family_tracing_first" in refused.json()["detail"]

    assert net.api("POST", path, shelter, json={"outcome": "placement_recommended"}).status_code == 200
    accepted = net.api("POST", decide, shelter, json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    net.wait_status(reference, "bed_held", police, timeout=30)
    # decided: no determination is recorded any more
    _refused(net.api("POST", path, shelter, json={"outcome": "further_assessment_needed"}), 409,
             "reference")


GUARDIAN = "Hanar-Guardiantest"


def test_a_minors_consent_to_share_is_recorded_with_her_guardians(net):
    police = net.token("police", agency=f"tip-kids-{uuid.uuid4().hex[:6]}")
    shelter = net.token("shelter")
    reference = submit(net, police, MINOR).json()["reference"]
    adult = submit(net, police).json()["reference"]
    for ref in (reference, adult):
        net.wait_status(ref, "received", police)
    consent = f"/referrals/{reference}/consent"
    grant = {"audience": "legal_team", "share": True, "purpose": "legal advice"}

    _refused(net.api("POST", consent, shelter, json={**grant, "guardian_consent": True}), 409,
             "guardian")  # no guardian on record yet
    _refused(net.api("PUT", f"/referrals/{reference}/guardian", shelter,
                     json={"name": GUARDIAN, "relationship": "uncle"}), 422, "relationship")
    _refused(net.api("PUT", f"/referrals/{adult}/guardian", shelter,
                     json={"name": GUARDIAN, "relationship": "parent"}), 409, "reference")
    assert net.api("PUT", f"/referrals/{reference}/guardian", police,
                   json={"name": GUARDIAN, "relationship": "parent"}).status_code == 403
    recorded = net.api("PUT", f"/referrals/{reference}/guardian", shelter,
                       json={"name": GUARDIAN, "relationship": "relative"})
    assert recorded.status_code == 200, recorded.text
    assert net.api("GET", f"/referrals/{reference}", shelter).json()["guardian"]["name"] == GUARDIAN

    history = net.api("GET", consent, shelter).json()["history"]
    for body in (grant, {**grant, "guardian_consent": False}):
        _refused(net.api("POST", consent, shelter, json=body), 422, "guardian_consent")
    assert net.api("GET", consent, shelter).json()["history"] == history  # nothing recorded
    _refused(net.api("POST", f"/referrals/{adult}/consent", shelter,
                     json={**grant, "guardian_consent": True}), 422, "guardian_consent")

    state = net.api("POST", consent, shelter, json={**grant, "guardian_consent": True})
    assert state.status_code == 200, state.text
    assert state.json()["history"][-1]["guardian_consent"] is True
    withdrawn = net.api("POST", consent, shelter, json={"audience": "legal_team", "share": False})
    assert withdrawn.status_code == 200, withdrawn.text  # a child's withdrawal never waits

    # the guardian's name is in the file only: never in the police's status or a log line
    status = net.api("GET", f"/referrals/{reference}/status", police).text
    assert GUARDIAN not in status
    assert GUARDIAN not in net.all_logs()
