"""A hold whose deadline passes is released by the shelter service on its own (a timer that
runs in both replicas), the timeline says so, and the bed goes to the first waitlisted referral
of the group. Holds last 2 seconds here (``REFNET_HOLD_SECONDS``); nothing is timed: the test
polls for the outcome with a generous deadline."""

import pytest
from sqlalchemy import create_engine, func, select

from services.shelter.tables import outbox
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network

from tests.e2e.capacity_helpers import (ADULT_WOMAN, FACILITY, ROUTINE_WOMAN, accept, available_of, poll,
                                       received, refer_many)


@pytest.fixture(scope="module")
def short_hold_network(tmp_path_factory):
    vhost, uri = create_vhost("refnet-e2e-expiry")
    net = Network(tmp_path_factory.mktemp("expiry"), uri, replicas={"shelter": 2},
                  extra_env={"REFNET_HOLD_SECONDS": "2", "REFNET_HOLD_SWEEP_SECONDS": "0.5"})
    try:
        net.prepare()
        net.start()
        try:
            net.wait_ready()
            net.wait_consumers("rpc-shelter", 2)
            net.seed_facility({"women": 1})
            yield net
        finally:
            net.stop()
    finally:
        delete_vhost(vhost)


def test_an_expired_hold_is_released_and_offered_to_the_first_in_line(short_hold_network):
    net = short_hold_network
    police, shelter = net.token("police", agency="tip-expiry"), net.token("shelter")
    holder, urgent, routine = refer_many(net, police, [ADULT_WOMAN, ADULT_WOMAN, ROUTINE_WOMAN], workers=1)
    received(net, shelter, holder, urgent, routine)
    assert accept(net, shelter, holder)["state"] == "held"
    assert accept(net, shelter, routine)["state"] == "waitlisted"
    assert accept(net, shelter, urgent)["state"] == "waitlisted"  # later, but more urgent

    # Nobody acts. The holder's hold expires; the urgent referral is offered the bed.
    lapsed = net.wait_status(holder, "accepted", police, timeout=60)
    statuses = [e["status"] for e in lapsed["timeline"]]
    assert statuses == ["submitted", "received", "accepted", "bed_held", "accepted"]
    assert lapsed["timeline"][-1]["note"].startswith("Hold expired")
    offered = poll(lambda: [e for e in net.api("GET", f"/referrals/{urgent}/status", police).json()["timeline"]
                            if e["status"] == "bed_held"], what="the urgent referral is offered the bed")
    assert "offered from the waitlist" in offered[0]["note"]
    # ...its hold expires too, and the routine one is next
    poll(lambda: any(e["status"] == "bed_held" for e in
                     net.api("GET", f"/referrals/{routine}/status", police).json()["timeline"]),
         what="the routine referral is offered the bed next")
    net.wait_status(routine, "accepted", police, timeout=60)  # expired as well, no one left
    poll(lambda: available_of(net, police)["women"]["available"] == 1, what="the bed is free again")

    # Two replicas sweep every half second; each hold expired exactly once.
    engine = create_engine(net.env["SHELTER_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            expired = conn.execute(select(func.count()).select_from(outbox)
                                   .where(outbox.c.type == "shelter.hold_expired")).scalar_one()
    finally:
        engine.dispose()
    assert expired == 3
    assert net.api("GET", "/shelter/waitlist", shelter).json() == []

