"""Several shelter providers in one network, end to end over real processes and HTTP
(docs/decisions/0038): the demo's NGO shelter (A, ``erbil-shelter``) and government shelter
(B, ``duhok-gov-shelter``), each with a facility registered by ``refnet seed-demo`` through the
same call as the API.

B's staff get 404 on A's facility, its beds, its residents and their plans, and lists of their
own rows; a facility is registered, renamed and closed through the API (closing one with a
resident is refused); residents move from A to B with the care plan only when the survivor
consented to share with B (recorded by A's staff through the API; the referral service tells
the shelter service with ``referral.consent_changed`` v2); the police timeline shows the move with both
agencies; bad input is a 4xx naming the field, nothing changed.
"""

import uuid

import pytest

from refnet import demo
from refnet.demo.data import GOV_FACILITY
from refnet.harness.polling import poll
from tests.e2e.conftest import CANONICAL, own_network, record_consent, submit

A_FACILITY, B_FACILITY = demo.FACILITY["id"], GOV_FACILITY["id"]
A, B = demo.FACILITY["provider"], GOV_FACILITY["provider"]
ADULT = {**CANONICAL, "children": []}  # one woman, one bed


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    yield from own_network(tmp_path_factory, "providers")


def staff(net, agency, user):
    return net.token("shelter", agency=agency, user=user)


def admitted(net, police, a_staff) -> dict:
    """A referral A accepted and admitted at its facility."""
    reference = submit(net, police, ADULT).json()["reference"]
    net.wait_status(reference, "received", police)
    r = net.api("POST", f"/referrals/{reference}/decision", a_staff, json={"decision": "accept"})
    assert r.status_code == 200, r.text
    assert r.json()["placement"]["facility"] == A_FACILITY  # only A's own beds
    net.wait_status(reference, "bed_held", police)
    r = net.api("POST", f"/shelters/{A_FACILITY}/admissions", a_staff,
                json={"reference": reference, "case_manager": "cm.a"})
    assert r.status_code == 201, r.text
    net.wait_status(reference, "admitted", police)
    return r.json()


def beds(net, token) -> dict:
    rows = net.api("GET", "/shelters/availability", token).json()["facilities"]
    return {(r["provider"], r["facility"], r["population_group"]): (r["occupied"], r["available"])
            for r in rows}


def consent_to(net, holder_staff, reference, agency, granted=True):
    """The survivor's consent to share the file with ``agency``, recorded by the holder's staff
    through the API: the referral service keeps it and tells the shelter service
    (``referral.consent_changed`` v2, audience ``provider``)."""
    purpose = {"purpose": "continuity of care at the receiving shelter"} if granted else {}
    record_consent(net, holder_staff, reference, "provider", granted, agency=agency, **purpose)


def test_two_providers_isolation_facilities_and_transfers(net):
    police = net.token("police", agency=f"tip-prov-{uuid.uuid4().hex[:6]}")
    a_staff, b_staff = staff(net, A, "cm.a"), staff(net, B, "cm.b")
    admin = net.token("admin")

    # each provider lists its own facility; availability is network-wide, per provider
    assert [f["facility"] for f in net.api("GET", "/shelters/facilities", a_staff).json()] == [A_FACILITY]
    assert [f["facility"] for f in net.api("GET", "/shelters/facilities", b_staff).json()] == [B_FACILITY]
    assert {f["provider"] for f in net.api("GET", "/shelters/facilities", admin).json()} == {A, B}
    before = beds(net, police)
    assert (B, B_FACILITY, "women") in before and (A, A_FACILITY, "women") in before

    first = admitted(net, police, a_staff)
    plan_id, reference = first["plan_id"], first["reference"]

    # B's staff: 404 on A's facility, its beds, its residents and their plan; lists of their own
    for method, path, body in [
            ("GET", f"/shelters/{A_FACILITY}/board", None),
            ("GET", f"/shelters/{A_FACILITY}/census", None),
            ("GET", f"/shelters/{A_FACILITY}/capacity-history", None),
            ("PUT", f"/shelters/{A_FACILITY}/capacity", {"population_group": "women", "capacity": 1}),
            ("PATCH", f"/shelters/facilities/{A_FACILITY}", {"name": "Taken over"}),
            ("POST", f"/shelters/facilities/{A_FACILITY}/close", None),
            ("POST", f"/shelters/{A_FACILITY}/admissions/{first['admission_id']}/discharge",
             {"outcome": "reintegrated"}),
            ("GET", f"/shelter/plans/{plan_id}", None),
            ("GET", f"/shelter/plans/{plan_id}/notes", None),
            ("POST", f"/residents/{reference}/transfer", {"to_facility": B_FACILITY,
                                                          "case_manager": "cm.b"})]:
        r = net.api(method, path, b_staff, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.headers["Content-Type"].startswith("application/problem+json")
    assert net.api("GET", "/shelter/plans", b_staff).json() == []
    assert net.api("GET", "/shelter/waitlist", b_staff).json() == []

    # facilities: registered (201), renamed, closed (409 while anyone lives there), by the API
    r = net.api("POST", "/shelters/facilities", b_staff, json={"facility": "duhok-gov-annex",
                                                                 "name": "Annex"})
    assert r.status_code == 201 and r.json()["provider"] == B, r.text
    assert net.api("POST", "/shelters/facilities", b_staff, json={
        "facility": "duhok-gov-annex", "name": "Again"}).json()["field"] == "facility"
    r = net.api("POST", "/shelters/facilities", b_staff, json={"facility": "x-1", "name": "x",
                                                                 "provider": A})
    assert (r.status_code, r.json()["field"]) == (403, "provider")
    r = net.api("POST", "/shelters/facilities", admin, json={"facility": "x-2", "name": "x"})
    assert (r.status_code, r.json()["field"]) == (422, "provider")
    r = net.api("PATCH", "/shelters/facilities/duhok-gov-annex", b_staff, json={"name": "Annex 2"})
    assert r.status_code == 200 and r.json()["name"] == "Annex 2"
    r = net.api("POST", "/shelters/facilities/duhok-gov-annex/close", b_staff)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = net.api("POST", f"/shelters/facilities/{A_FACILITY}/close", a_staff)
    assert (r.status_code, r.json()["field"]) == (409, "facility")

    # bad transfers: each a 4xx naming the field, nothing changed
    held = submit(net, police, ADULT).json()["reference"]
    net.wait_status(held, "received", police)
    net.api("POST", f"/referrals/{held}/decision", a_staff, json={"decision": "accept"})
    net.wait_status(held, "bed_held", police)
    steady = beds(net, police)
    for ref, body, status, field in [
            (reference, {"to_facility": "nowhere", "case_manager": "cm.b"}, 422, "to_facility"),
            (reference, {"to_facility": A_FACILITY, "case_manager": "cm.b"}, 422, "to_facility"),
            (reference, {"to_facility": "duhok-gov-annex", "case_manager": "cm.b"}, 409,
             "to_facility"),  # closed
            (held, {"to_facility": B_FACILITY, "case_manager": "cm.b"}, 409, "reference"),
            (reference, {"to_facility": B_FACILITY}, 422, "case_manager")]:
        r = net.api("POST", f"/residents/{ref}/transfer", a_staff, json=body)
        assert (r.status_code, r.json().get("field")) == (status, field), r.text
    assert beds(net, police) == steady

    # a transfer without consent: beds move, the plan stays with A (closed), B opens a new one
    r = net.api("POST", f"/residents/{reference}/transfer", a_staff,
                json={"to_facility": B_FACILITY, "case_manager": "cm.b"})
    assert r.status_code == 200, r.text
    moved = r.json()
    assert (moved["care_plan_shared"], moved["to_provider"]) == (False, B)
    after = beds(net, police)
    assert after[(A, A_FACILITY, "women")][0] == steady[(A, A_FACILITY, "women")][0] - 1
    assert after[(B, B_FACILITY, "women")][0] == steady[(B, B_FACILITY, "women")][0] + 1
    assert net.api("GET", f"/shelter/plans/{moved['plan_id']}", b_staff).json()["items"] == []
    assert net.api("GET", f"/shelter/plans/{plan_id}", b_staff).status_code == 404
    assert net.api("GET", f"/shelter/plans/{plan_id}", a_staff).json()["status"] == "closed"
    # one timeline, the move naming both agencies
    timeline = poll(lambda: [e for e in net.api("GET", f"/referrals/{reference}/status",
                                                police).json()["timeline"]
                             if "Transferred" in (e.get("note") or "")],
                    what="the transfer on the timeline")
    assert A in timeline[0]["note"] and B in timeline[0]["note"]

    # a transfer with consent: the plan goes along
    second = admitted(net, police, a_staff)
    r = net.api("POST", f"/shelter/plans/{second['plan_id']}/items", a_staff,
                json={"service": "mhpss", "owner": "cm.a"})
    assert r.status_code == 201, r.text
    consent_to(net, a_staff, second["reference"], B)
    poll(lambda: _consent_kept(net, second["reference"], B), what="the consent at the shelter")
    r = net.api("POST", f"/residents/{second['reference']}/transfer", a_staff,
                json={"to_facility": B_FACILITY, "case_manager": "cm.b"})
    assert r.status_code == 200, r.text
    shared = r.json()
    assert (shared["care_plan_shared"], shared["plan_id"]) == (True, second["plan_id"])
    plan = net.api("GET", f"/shelter/plans/{second['plan_id']}", b_staff).json()
    assert (plan["facility"], len(plan["items"])) == (B_FACILITY, 1)
    assert net.api("GET", f"/shelter/plans/{second['plan_id']}", a_staff).status_code == 404


def _consent_kept(net, reference, agency) -> bool:
    """Whether the shelter service holds the survivor's consent to ``agency`` (its database)."""
    from sqlalchemy import and_, select

    from services.common.db import Database
    from services.shelter.tables import provider_consents as consents
    db = Database(net.env["SHELTER_DATABASE_URL"])
    try:
        with db.read() as s:
            return s.execute(select(consents.c.granted).where(and_(
                consents.c.reference == reference, consents.c.agency == agency))).scalar() is True
    finally:
        db.dispose()
