"""Follow-up after discharge end to end (issue 21, docs/decisions/0051), on SQLite and on
PostgreSQL, over real processes and HTTP, with the services' clock moved by the test clock
(``REFNET_TEST_CLOCK_OFFSET_FILE``, read at every call).

A resident is discharged: her four contacts (1, 3, 6, 12 months) are listed for her case
manager; bad contacts (before the discharge, in the future, an unknown outcome, another
provider's, one recorded twice) are refused naming the field, and nothing changes. Forty days
on, the first contact is overdue and listed first. Her last contact recorded, the referral the
police see is ``closed`` (reason follow_up_ended) and ``shelter.follow_up_ended`` carries codes
only. A resident discharged as transferred is closed at once; one found re-referred ends her
follow-up early. Everything is polled with deadlines; nothing is timed.
"""

import uuid
from datetime import date, timedelta

import pytest

from refnet import demo
from refnet.harness.polling import poll
from tests.e2e.conftest import CANONICAL, ON_BOTH_DATABASES, network_on, submit
from tests.e2e.conftest import refused as _refused

FACILITY = demo.FACILITY["id"]
DAY = 86400
CASE_MANAGER = "cm.follow"


@pytest.fixture(scope="module", params=ON_BOTH_DATABASES)
def follow_net(request, tmp_path_factory):
    clock_file = tmp_path_factory.mktemp(f"follow-up-clock-{request.param}") / "clock-offset"
    clock_file.write_text("0")
    for net in network_on(request.param, tmp_path_factory, "follow-up", tap_key="#", extra_env={
            "REFNET_TEST_CLOCK_OFFSET_FILE": str(clock_file),
            # no other sweep moves these referrals while the clock runs on
            "REFNET_ESCALATION_SWEEP_SECONDS": "86400"}):
        net.clock_file = clock_file
        yield net


def _discharged(net, police, staff, outcome="reintegrated") -> tuple[str, dict]:
    reference = submit(net, police).json()["reference"]
    net.wait_status(reference, "received", police)
    r = net.api("POST", f"/referrals/{reference}/decision", staff, json={"decision": "accept"})
    assert r.status_code == 200, r.text
    net.wait_status(reference, "bed_held", police)
    admission = net.api("POST", f"/shelters/{FACILITY}/admissions", staff,
                        json={"reference": reference, "case_manager": CASE_MANAGER})
    assert admission.status_code == 201, admission.text
    r = net.api("POST", f"/shelters/{FACILITY}/admissions/{admission.json()['admission_id']}"
                "/discharge", staff, json={"outcome": outcome})
    assert r.status_code == 200, r.text
    net.wait_status(reference, "discharged" if outcome != "transferred" else "closed", police,
                    timeout=30)
    return reference, r.json()


def _mine(net, token, reference, **params) -> list[dict]:
    r = net.api("GET", "/shelter/follow-ups", token, params=params)
    assert r.status_code == 200, r.text
    return [f for f in r.json()["follow_ups"] if f["reference"] == reference]


def _record(net, token, follow_up_id, outcome, day):
    return net.api("POST", f"/shelter/follow-ups/{follow_up_id}", token,
                   json={"outcome": outcome, "contacted_on": str(day)})


def test_a_discharge_is_followed_up_until_its_last_contact_closes_the_referral(follow_net):
    net = follow_net
    net.clock_file.write_text("0")
    police = net.token("police", agency=f"tip-fu-{uuid.uuid4().hex[:6]}")
    staff = net.token("shelter")
    manager = net.token("shelter", user=CASE_MANAGER)
    other_provider = net.token("shelter", agency=f"other-shelter-{uuid.uuid4().hex[:6]}")

    reference, discharge = _discharged(net, police, staff)
    discharged_on = date.fromisoformat(discharge["discharged_at"][:10])
    assert [f["months"] for f in discharge["follow_up"]] == [1, 3, 6, 12]

    # the schedule, due from the discharge day, assigned to the plan's case manager
    listed = _mine(net, staff, reference)
    assert [(f["months"], f["state"], f["case_manager"], f["outcome"]) for f in listed] == [
        (m, "due", CASE_MANAGER, None) for m in (1, 3, 6, 12)]
    assert listed[0]["due_on"] == discharge["follow_up"][0]["due_on"]
    assert [f["follow_up_id"] for f in _mine(net, manager, reference, mine="true")] == \
        [f["follow_up_id"] for f in listed]
    assert _mine(net, staff, reference, mine="true") == []  # staff is not her case manager
    first = listed[0]["follow_up_id"]

    # bad input: refused naming the field, and nothing changes
    _refused(_record(net, staff, first, "reached_safe", discharged_on - timedelta(days=1)),
             422, "contacted_on")
    _refused(_record(net, staff, first, "reached_safe", discharged_on + timedelta(days=2)),
             422, "contacted_on")  # the service's today is the discharge day: the future
    _refused(_record(net, staff, first, "doing_fine", discharged_on), 422, "outcome")
    _refused(net.api("POST", f"/shelter/follow-ups/{first}", staff,
                     json={"outcome": "reached_safe", "contacted_on": "31/12/2026"}),
             422, "contacted_on")
    _refused(_record(net, other_provider, first, "reached_safe", discharged_on), 404, "follow_up")
    for unknown in (987654321, 999999999999):  # past an integer column too
        _refused(_record(net, staff, unknown, "reached_safe", discharged_on), 404, "follow_up")
    _refused(net.api("GET", "/shelter/follow-ups", staff, params={"state": "late"}), 422, "state")
    assert _record(net, police, first, "reached_safe", discharged_on).status_code == 403
    assert net.api("GET", "/shelter/follow-ups", police).status_code == 403
    assert _mine(net, staff, reference) == listed
    assert _mine(net, other_provider, reference) == []

    # forty days on: the first contact is overdue, listed first
    net.clock_file.write_text(str(40 * DAY))
    overdue = _mine(net, staff, reference, state="overdue")
    assert [(f["follow_up_id"], f["state"]) for f in overdue] == [(first, "overdue")]
    assert [f["months"] for f in _mine(net, staff, reference, state="due")] == [3, 6, 12]
    everyone = net.api("GET", "/shelter/follow-ups", staff, params={"state": "all"}).json()
    assert everyone["follow_ups"][0]["state"] == "overdue"

    # recorded once; a second time is a conflict on the outcome, and changes nothing
    day = discharged_on + timedelta(days=33)
    recorded = _record(net, manager, first, "lost_contact", day)
    assert recorded.status_code == 200, recorded.text
    assert (recorded.json()["state"], recorded.json()["outcome"], recorded.json()["contacted_on"],
            recorded.json()["recorded_by"]) == ("recorded", "lost_contact", str(day), CASE_MANAGER)
    _refused(_record(net, manager, first, "reached_safe", day), 409, "outcome")
    assert _mine(net, staff, reference)[-1]["outcome"] == "lost_contact"  # recorded: listed last
    assert net.wait_status(reference, "discharged", police)["status"] == "discharged"

    # the remaining contacts (made early); the last one ends the follow-up and closes it
    for follow_up in _mine(net, staff, reference, state="due"):
        assert _record(net, manager, follow_up["follow_up_id"], "reached_safe",
                       discharged_on + timedelta(days=38)).status_code == 200
    closed = net.wait_status(reference, "closed", police, timeout=30)
    assert closed["timeline"][-1]["note"] == "Closed: follow_up_ended"
    states = _mine(net, staff, reference)
    assert {f["state"] for f in states} == {"recorded"} and sum(bool(f["ended_at"]) for f in states) == 1

    # the event: codes, a reference, a date and an agency only
    def ended_events():
        return [e for e in net.tap.drain() if e["type"] == "shelter.follow_up_ended"
                and e["payload"]["reference"] == reference]
    (event,) = poll(ended_events, "shelter.follow_up_ended")
    assert set(event["payload"]) == {"reference", "ended_at", "agency", "last_outcome"}
    assert event["payload"]["last_outcome"] == "reached_safe"
    closed_events = [e for e in net.tap.drain() if e["type"] == "referral.closed"
                     and e["payload"]["reference"] == reference]
    assert [(e["version"], e["payload"]["reason"], e["payload"]["previous_status"])
            for e in closed_events] == [(2, "follow_up_ended", "discharged")]
    logs = net.all_logs()
    assert CANONICAL["survivor"]["name"] not in logs and "Amina" not in logs
    net.clock_file.write_text("0")


def test_a_transfer_closes_at_once_and_a_re_referral_ends_the_follow_up_early(follow_net):
    net = follow_net
    net.clock_file.write_text("0")
    police = net.token("police", agency=f"tip-fu-{uuid.uuid4().hex[:6]}")
    staff = net.token("shelter")

    transferred, discharge = _discharged(net, police, staff, outcome="transferred")
    assert discharge["follow_up"] == [] and _mine(net, staff, transferred) == []
    closed = net.wait_status(transferred, "closed", police, timeout=30)
    assert closed["timeline"][-1]["note"] == "Closed: follow_up_ended"

    re_referred, discharge = _discharged(net, police, staff)
    discharged_on = date.fromisoformat(discharge["discharged_at"][:10])
    first = _mine(net, staff, re_referred)[0]["follow_up_id"]
    assert _record(net, staff, first, "re_referred", discharged_on).status_code == 200
    net.wait_status(re_referred, "closed", police, timeout=30)
    assert [f["state"] for f in _mine(net, staff, re_referred)] == \
        ["recorded", "cancelled", "cancelled", "cancelled"]
    later = _mine(net, staff, re_referred)[1]["follow_up_id"]
    _refused(_record(net, staff, later, "reached_safe", discharged_on), 409, "outcome")
