"""Routing among several shelter providers on the real network, two replicas of every service,
on SQLite and on PostgreSQL (docs/decisions/0039): a network referral declined by provider A is
offered to B and accepted there, and A's staff then get 404 on it; an unanswered referral
escalates once when the test clock moves; two providers' staff accepting one referral at once
give exactly one acceptance, 50 times; a refer-on to itself, to a non-provider, to an inactive
or an unknown agency is refused naming ``to`` and changes nothing.

The providers are registered and changed through ``POST`` / ``PATCH /api/v1/agencies`` as an
administrator; they reach the shelter service's copy as the directory announces them
(``referral.agency_changed``). A is the demo's NGO shelter with the demo facility; B has no
facility; the demo's government shelter is deactivated, so a referral A does not take goes to B.
"""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select

from refnet import demo
from refnet.demo.data import GOV_FACILITY
from refnet.harness import postgres as support_postgres
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network
from services.shelter.tables import incoming, outbox, placements, providers, referral_offers

from tests.e2e.capacity_helpers import ADULT_WOMAN, poll, refer_many

SERVICES = ("referral", "shelter", "legal", "notify")
A = demo.FACILITY["provider"]           # the demo's NGO shelter, with the demo facility
GOV = GOV_FACILITY["provider"]          # the demo's government shelter: deactivated here
RUN = uuid.uuid4().hex[:6]
B = f"route-b-{RUN}"
INACTIVE = f"route-off-{RUN}"
LEGAL_AID = f"route-legal-{RUN}"
UNKNOWN = f"route-nobody-{RUN}"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def net(request, tmp_path_factory):
    vhost, uri = create_vhost("refnet-e2e-routing")
    urls = {}
    workdir = tmp_path_factory.mktemp(f"routing-{request.param}")
    offset = workdir / "clock-offset"
    offset.write_text("0")
    try:
        if request.param == "postgres":
            urls = {s: support_postgres.create_database(f"refnet_e2e_{s}") for s in SERVICES}
        network = Network(workdir, uri, database_urls=urls, replicas=2, extra_env={
            "REFNET_TEST_CLOCK_OFFSET_FILE": str(offset),
            "REFNET_ESCALATION_SWEEP_SECONDS": "0.5",
            "REFNET_RATE_LIMIT_PER_MINUTE": "1000000", "REFNET_RPC_TIMEOUT": "30"})
        network.clock_offset = offset
        network.admin_uri = uri
        network.prepare()
        network.start()
        try:
            network.wait_ready()
            for service in SERVICES:
                network.wait_consumers(f"rpc-{service}", 2)
                network.wait_consumers(f"{service}.events", 2)
            network.seed_facility({"women": 60})
            _register_providers(network)
            yield network
        finally:
            network.stop()
    finally:
        for url in urls.values():
            support_postgres.drop_database(url)
        delete_vhost(vhost)


FITS = {"region": "Erbil", "services": ["shelter", "medical", "legal", "psychosocial"],
        "languages": ["ar"]}


def _register_providers(network) -> None:
    """The providers of this test, through the directory's API as an administrator would: B
    and an inactive provider registered, a legal-aid agency (not a provider), A given the
    first place, and the demo's government shelter deactivated (its free beds would otherwise
    come before B, which has no facility). The directory announces each change
    (``referral.agency_changed``); the test waits until the shelter service's copy holds them."""
    admin = network.token("admin")
    for body in ({"id": B, "kind": "shelter_provider", "routing_order": 2},
                 {"id": INACTIVE, "kind": "shelter_provider", "routing_order": 3, "active": False},
                 {"id": LEGAL_AID, "kind": "legal_aid"}):
        r = network.api("POST", "/agencies", admin, json={**body, **FITS, "name": body["id"]})
        assert r.status_code == 201, r.text
    for agency, changes in ((A, {**FITS, "routing_order": 1}), (GOV, {"active": False})):
        r = network.api("PATCH", f"/agencies/{agency}", admin, json=changes)
        assert r.status_code == 200, r.text

    def copied():
        rows = {r.agency: r for r in _rows(network, providers)}
        return (B in rows and rows[B].active and INACTIVE in rows and not rows[INACTIVE].active
                and A in rows and rows[A].routing_order == 1
                and json.loads(rows[A].spoken_languages) == ["ar"]
                and GOV in rows and not rows[GOV].active)
    poll(copied, what="the shelter's copy of the providers")
    assert LEGAL_AID not in _column(network, providers.c.agency)


def _rows(network, table):
    engine = _shelter_db(network)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(table)))
    finally:
        engine.dispose()


def _shelter_db(network):
    return create_engine(network.env["SHELTER_DATABASE_URL"])


def _column(network, column, *where):
    engine = _shelter_db(network)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(column).where(*where)).scalars())
    finally:
        engine.dispose()


def _offers(network, reference) -> list[tuple[str, str]]:
    engine = _shelter_db(network)
    try:
        with engine.connect() as conn:
            return [(r.agency, r.why) for r in conn.execute(
                select(referral_offers).where(referral_offers.c.reference == reference)
                .order_by(referral_offers.c.id))]
    finally:
        engine.dispose()


def _events(network, event_type, reference) -> list[dict]:
    engine = _shelter_db(network)
    try:
        with engine.connect() as conn:
            bodies = conn.execute(select(outbox.c.body).where(outbox.c.type == event_type)
                                  .order_by(outbox.c.id)).scalars()
            return [e for e in (json.loads(b) for b in bodies)
                    if e["payload"]["reference"] == reference]
    finally:
        engine.dispose()


def _holds(network, token, reference) -> bool:
    items = network.api("GET", "/shelter/incoming", token, params={"limit": 500}).json()["items"]
    return reference in {r["reference"] for r in items}


def _tokens(network):
    return (network.token("police", agency=f"tip-route-{uuid.uuid4().hex[:6]}"),
            network.token("shelter", agency=A, user="intake.a"),
            network.token("shelter", agency=B, user="intake.b"))


def _held_by(network, police, reference, agency):
    return poll(lambda: (lambda s: s if s.get("held_by") == agency else None)(
        network.api("GET", f"/referrals/{reference}/status", police).json()),
        what=f"{reference} held by {agency}")


def test_declined_by_a_offered_to_b_accepted_by_b(net):
    police, staff_a, staff_b = _tokens(net)
    [reference] = refer_many(net, police, [ADULT_WOMAN], workers=1)
    poll(lambda: _holds(net, staff_a, reference), what="A holds the network referral")
    assert not _holds(net, staff_b, reference)
    assert net.api("GET", f"/referrals/{reference}", staff_b).status_code == 404

    declined = net.api("POST", f"/referrals/{reference}/decision", staff_a,
                       json={"decision": "decline", "reason_code": "no_bed_in_group"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["held_by"] == B
    poll(lambda: _holds(net, staff_b, reference), what="B holds it")
    # the referral service learns the holder by event: B's staff read the file then
    poll(lambda: net.api("GET", f"/referrals/{reference}", staff_b).status_code == 200,
         what="B's staff read the file")
    accepted = net.api("POST", f"/referrals/{reference}/decision", staff_b, json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text

    # A's staff: 404 on the file, the decision, the status; absent from its list
    assert net.api("GET", f"/referrals/{reference}", staff_a).status_code == 404
    assert net.api("POST", f"/referrals/{reference}/decision", staff_a,
                   json={"decision": "accept"}).status_code == 404
    assert net.api("GET", f"/referrals/{reference}/status", staff_a).status_code == 404
    assert not _holds(net, staff_a, reference)

    # the police see the chain and who holds it
    status = poll(lambda: (lambda s: s if s["status"] in ("bed_held", "waitlisted") else None)(
        net.api("GET", f"/referrals/{reference}/status", police).json()), what="accepted at B")
    assert status["held_by"] == B
    notes = [e["note"] for e in status["timeline"]]
    assert f"Declined by {A}: No bed for the person's group; offered to {B}" in notes
    assert [e["agency"] for e in status["timeline"] if e["status"] == "accepted"] == [B]
    assert _offers(net, reference) == [(A, "routed"), (B, "declined")]
    fhir = net.api("GET", f"/referrals/{reference}/fhir-task", police).json()
    assert fhir["owner"]["identifier"]["value"] == B


def test_refer_on_refusals_change_nothing_then_a_refer_on(net):
    police, staff_a, staff_b = _tokens(net)
    [reference] = refer_many(net, police, [ADULT_WOMAN], workers=1)
    poll(lambda: _holds(net, staff_a, reference), what="A holds it")
    # the police status follows the shelter's receipt by an event: compare with it once it has
    net.wait_status(reference, "received", police)
    before = net.api("GET", f"/referrals/{reference}/status", police).json()
    for to in (A, LEGAL_AID, INACTIVE, UNKNOWN):
        refused = net.api("POST", f"/referrals/{reference}/decision", staff_a,
                          json={"decision": "refer_on", "to": to, "reason": "language"})
        assert refused.status_code == 422, (to, refused.text)
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert refused.json()["field"] == "to", (to, refused.json())
    bad_reason = net.api("POST", f"/referrals/{reference}/decision", staff_a,
                         json={"decision": "refer_on", "to": B, "reason": "whim"})
    assert (bad_reason.status_code, bad_reason.json()["field"]) == (422, "reason")
    assert net.api("GET", f"/referrals/{reference}/status", police).json() == before
    assert _offers(net, reference) == [(A, "routed")]
    assert len(_events(net, "shelter.referral_offered", reference)) == 1
    assert _holds(net, staff_a, reference)

    moved = net.api("POST", f"/referrals/{reference}/decision", staff_a,
                    json={"decision": "refer_on", "to": B, "reason": "closer_to_family"})
    assert moved.status_code == 200, moved.text
    status = _held_by(net, police, reference, B)
    assert f"Referred on by {A} to {B}: Closer to family" in [e["note"] for e in status["timeline"]]
    assert status["status"] == "received"  # never moved back
    assert net.api("POST", f"/referrals/{reference}/decision", staff_b,
                   json={"decision": "accept"}).status_code == 200


def test_two_providers_accept_at_once_exactly_one_wins_50_times(net):
    police, staff_a, staff_b = _tokens(net)
    second_a = net.token("shelter", agency=A, user="intake.a2")
    references = refer_many(net, police, [ADULT_WOMAN] * 50, workers=8)
    poll(lambda: set(references) <= {r["reference"] for r in net.api(
        "GET", "/shelter/incoming", staff_a, params={"limit": 500}).json()["items"]},
        timeout=180, what="A holds the 50 referrals")
    for reference in references:
        barrier = threading.Barrier(3)

        def accept(token, reference=reference, barrier=barrier):
            barrier.wait()
            return net.api("POST", f"/referrals/{reference}/decision", token,
                           json={"decision": "accept"}).status_code
        with ThreadPoolExecutor(max_workers=3) as pool:
            codes = sorted(pool.map(accept, (staff_a, second_a, staff_b)))
        assert codes == [200, 404, 409], (reference, codes)
    engine = _shelter_db(net)
    try:
        with engine.connect() as conn:
            placed = conn.execute(select(placements.c.reference, func.count()).where(
                placements.c.reference.in_(references)).group_by(placements.c.reference)).all()
            holders = set(conn.execute(select(incoming.c.held_by).where(
                incoming.c.reference.in_(references))).scalars())
            accepted = conn.execute(select(func.count()).select_from(incoming).where(
                incoming.c.reference.in_(references), incoming.c.status == "accepted")).scalar()
    finally:
        engine.dispose()
    assert {reference: n for reference, n in placed} == {reference: 1 for reference in references}
    assert (holders, accepted) == ({A}, 50)


def test_an_unanswered_referral_escalates_once_then_is_flagged(net):
    police, staff_a, staff_b = _tokens(net)
    admin = net.token("admin")
    [reference] = refer_many(net, police, [ADULT_WOMAN], workers=1)  # urgent: 60 minutes
    poll(lambda: _holds(net, staff_a, reference), what="A holds it")

    net.clock_offset.write_text(str(61 * 60))  # an hour and a minute later, for every process
    status = _held_by(net, police, reference, B)
    assert f"Not answered in time by {A}; escalated to {B}" in [e["note"] for e in status["timeline"]]
    assert _holds(net, staff_b, reference) and not _holds(net, staff_a, reference)

    net.clock_offset.write_text(str(2 * 61 * 60))  # B does not answer either: nobody is left
    flagged = poll(lambda: [i for i in net.api("GET", "/referrals/unplaced", admin).json()["items"]
                            if i["reference"] == reference], what="flagged to the admins")
    assert flagged[0]["last_holder"] == B and flagged[0]["status"] == "received"
    assert _holds(net, staff_b, reference)  # still B's to answer
    poll(lambda: any("flagged to the network's admins" in e["note"] for e in net.api(
        "GET", f"/referrals/{reference}/status", police).json()["timeline"]),
        what="the flag on the police's timeline")

    # two replicas of every service swept every half second: each step happened once
    offered = _events(net, "shelter.referral_offered", reference)
    assert [e["payload"]["why"] for e in offered] == ["routed", "escalated"]
    assert len(_events(net, "shelter.referral_unplaced", reference)) == 1
    timeline = net.api("GET", f"/referrals/{reference}/status", police).json()["timeline"]
    assert sum("escalated" in e["note"] for e in timeline) == 1
    assert net.api("POST", f"/referrals/{reference}/decision", staff_b,
                   json={"decision": "accept"}).status_code == 200
