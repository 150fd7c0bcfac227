"""The agency directory end to end (docs/decisions/0037): administrators register and change
agencies, every role reads them, a referral is addressed only to an active shelter provider,
and a token of an agency that is unknown or inactive is refused."""

import time
import uuid

from gateway.tokens import issue_token
from tests.e2e.conftest import CANONICAL, submit


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _register(network, admin, agency, kind="shelter_provider", **more):
    body = {"id": agency, "kind": kind, "names": {"en": f"Agency {agency}", "ar": "وكالة",
                                                  "ckb": "ئاژانس"},
            "region": "Duhok", "services": ["shelter"], "languages": ["ar", "ckb"], **more}
    return network.api("POST", "/agencies", admin, json=body)


def test_an_admin_registers_an_agency_every_role_reads_it_and_bad_input_is_refused(network, police):
    admin = network.token("admin")
    agency = _id("shelter")
    created = _register(network, admin, agency, routing_order=7)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == agency and created.json()["kind"] == "shelter_provider"

    one = network.api("GET", f"/agencies/{agency}", police)
    assert one.status_code == 200, one.text
    assert {k: one.json()[k] for k in ("id", "name", "kind", "region", "active")} == {
        "id": agency, "name": f"Agency {agency}", "kind": "shelter_provider", "region": "Duhok",
        "active": True}
    arabic = network.api("GET", f"/agencies/{agency}", police, headers={"Accept-Language": "ar"})
    assert arabic.json()["name"] == "وكالة"
    listed = network.api("GET", "/agencies", police, params={"kind": "shelter_provider"})
    assert agency in [a["id"] for a in listed.json()["items"]]
    assert "erbil-shelter" in [a["id"] for a in listed.json()["items"]]

    again = _register(network, admin, agency)
    assert again.status_code == 409 and again.json()["code"] == "agency-exists", again.text
    unknown_kind = _register(network, admin, _id("x"), kind="spaceship")
    assert unknown_kind.status_code == 422 and unknown_kind.json()["field"] == "kind"
    assert _register(network, police, _id("y")).status_code == 403
    assert network.api("GET", f"/agencies/{_id('nobody')}", police).status_code == 404

    changed = network.api("PATCH", f"/agencies/{agency}", admin,
                          json={"region": "Zakho", "names": {"ckb": "پەناگە"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["region"] == "Zakho" and changed.json()["names"]["en"] == f"Agency {agency}"


def _referrals(network, police) -> list:
    return network.api("GET", "/referrals", police).json()["items"]


def test_addressed_to_an_unknown_inactive_or_non_provider_agency_is_refused_and_nothing_submitted(
        network, police, agency, event_tap):
    admin = network.token("admin")
    inactive = _id("closed-shelter")
    assert _register(network, admin, inactive, active=False).status_code == 201
    court = _id("court")
    assert _register(network, admin, court, kind="court", services=[]).status_code == 201
    for addressee in (_id("nowhere"), inactive, court, agency):  # agency: the police unit itself
        answer = submit(network, police, {**CANONICAL, "addressed_to": addressee})
        assert answer.status_code == 422, (addressee, answer.text)
        assert answer.json()["field"] == "addressed_to"
    assert _referrals(network, police) == []

    provider = _id("provider")
    assert _register(network, admin, provider).status_code == 201
    answer = submit(network, police, {**CANONICAL, "addressed_to": provider})
    assert answer.status_code == 202, answer.text
    reference = answer.json()["reference"]
    status = _wait_timeline(network, reference, police)
    first = status["timeline"][0]
    assert first["agency"] == agency and first["agency_name"] == agency  # its name is its id here

    submitted = _event(event_tap, "referral.submitted", reference)
    assert submitted["version"] == 3
    assert submitted["payload"]["requested_provider"] == provider
    assert submitted["payload"]["service_languages"] == CANONICAL["survivor"]["languages"]


def _wait_timeline(network, reference, token, timeout=15.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        answer = network.api("GET", f"/referrals/{reference}/status", token)
        if answer.status_code == 200:
            return answer.json()
        time.sleep(0.2)
    raise AssertionError(f"{reference} never recorded: {answer.status_code} {answer.text}")


def _event(tap, event_type, reference, timeout=15.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for event in tap.drain():
            if event["type"] == event_type and event["payload"].get("reference") == reference:
                return event
        time.sleep(0.2)
    raise AssertionError(f"no {event_type} for {reference}")


def test_the_timeline_names_the_agency_from_the_directory(network, police):
    answer = submit(network, police)
    assert answer.status_code == 202
    status = network.wait_status(answer.json()["reference"], "received", police, timeout=20)
    received = next(e for e in status["timeline"] if e["status"] == "received")
    assert received["agency"] == "erbil-shelter"
    assert received["agency_name"] == "Safe Haven Erbil (NGO shelter)"


def test_a_token_of_an_inactive_or_unknown_agency_is_refused(network, event_tap):
    admin = network.token("admin")
    unit = _id("tip-unit")
    token = network.token("police", agency=unit)
    assert network.api("GET", "/shelters/availability", token).status_code == 200

    changed = network.api("PATCH", f"/agencies/{unit}", admin, json={"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    deadline, last = time.time() + 15, None
    while time.time() < deadline:  # every gateway worker's copy of the directory within seconds
        last = network.api("GET", "/shelters/availability", token)
        if last.status_code == 401:
            break
        time.sleep(0.5)
    assert last.status_code == 401 and last.json()["code"] == "agency-inactive", last.text
    assert submit(network, token).status_code == 401

    deadline = time.time() + 15  # the deactivation reached the other services' copies too
    changed_events = []
    while time.time() < deadline and not changed_events:
        changed_events = [e for e in event_tap.drain() if e["type"] == "referral.agency_changed"
                          and e["payload"]["agency"] == unit and not e["payload"]["active"]]
        time.sleep(0.2)
    assert changed_events, "no referral.agency_changed for the deactivation"

    stranger = issue_token(network.secrets["REFNET_TOKEN_SECRET"], user="someone",
                           role="police", agency=_id("unregistered"))
    refused = network.api("GET", "/shelters/availability", stranger)
    assert refused.status_code == 401 and refused.json()["code"] == "agency-unknown", refused.text
