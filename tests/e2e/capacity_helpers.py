"""Helpers of the shelter-capacity end-to-end tests: invented referral bodies, polling with a
deadline, and the staff flows run against a network (see test_shelter_capacity_*.py)."""

import copy
import time
from concurrent.futures import ThreadPoolExecutor

from refnet import demo

FACILITY = demo.FACILITY["id"]

# Invented people; only codes of them ever leave the referral service.
ADULT_WOMAN = {
    "survivor": {"name": "Test Person W.", "sex": "female", "age": 31, "nationality": "ET"},
    "exploitation_types": ["labour"], "identified_on": "2026-11-20", "identified_place": "Erbil",
    "needs": ["shelter"], "urgency": "urgent",
    "consent": {"given": True, "recorded_by": "Officer Test", "basis": "informed_consent"},
    "officer": {"name": "Officer Test", "unit": "Test TIP Unit"},
}
ADULT_MAN = copy.deepcopy(ADULT_WOMAN)
ADULT_MAN["survivor"].update(name="Test Person M.", sex="male")
MINOR = copy.deepcopy(ADULT_WOMAN)
MINOR["survivor"].update(name="Test Person C.", age=15)
MINOR["consent"].update(basis="best_interest")
ROUTINE_WOMAN = copy.deepcopy(ADULT_WOMAN)
ROUTINE_WOMAN["urgency"] = "routine"
MOTHER_OF_TWO = copy.deepcopy(ADULT_WOMAN)
MOTHER_OF_TWO["children"] = [{"sex": "female", "age": 4}, {"sex": "male", "age": 7}]


def poll(probe, *, timeout: float = 60.0, interval: float = 0.2, what: str = "condition"):
    """Call ``probe`` until truthy (a deadline for asynchronous work, not a timed assertion)."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        try:
            last = probe()
        except Exception as exc:  # noqa: BLE001 - e.g. a 404 before the referral exists
            last = exc
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last seen: {last!r}")
        time.sleep(interval)


def refer_many(net, police: str, bodies: list[dict], workers: int = 16) -> list[str]:
    """Submit referrals through the API (202 each); return their references in order."""
    def one(body):
        answer = net.api("POST", "/referrals", police, json=body)
        assert answer.status_code == 202, answer.text
        return answer.json()["reference"]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, bodies))


def available_of(net, token: str) -> dict:
    rows = net.api("GET", "/shelters/availability", token).json()["facilities"]
    return {r["population_group"]: r for r in rows if r["facility"] == FACILITY}


def received(net, shelter: str, *references: str) -> None:
    poll(lambda: set(references) <= {r["reference"] for r in net.api("GET", "/shelter/incoming", shelter,
                                                                     params={"limit": 500}).json()["items"]},
         what="the shelter received the referrals")


def accept(net, shelter: str, reference: str) -> dict:
    answer = net.api("POST", f"/referrals/{reference}/decision", shelter, json={"decision": "accept"})
    assert answer.status_code == 200, answer.text
    return answer.json()["placement"]


def timeline(net, token: str, reference: str) -> list[tuple[str, str]]:
    status = net.api("GET", f"/referrals/{reference}/status", token).json()
    return [(e["status"], e["note"]) for e in status["timeline"]]


# --- flows (run by test_shelter_capacity_concurrency on SQLite and PostgreSQL) ---------------------

def admission_and_discharge_flow(net) -> None:
    """Capacity women 1, men 1, children 3 (the caller seeds it)."""
    police, shelter = net.token("police", agency="tip-flow"), net.token("shelter")
    first, second, third, family = refer_many(net, police, [ADULT_WOMAN, ADULT_WOMAN, ROUTINE_WOMAN,
                                                            MOTHER_OF_TWO], workers=1)
    received(net, shelter, first, second, third, family)

    assert accept(net, shelter, first)["state"] == "held"
    waiting = accept(net, shelter, second)
    assert waiting["state"] == "waitlisted" and "no women bed free" in waiting["reason"]
    assert accept(net, shelter, third)["state"] == "waitlisted"
    held = accept(net, shelter, family)
    assert (held["state"], held["facility"], held["beds"]) == ("held", FACILITY, 3)
    net.wait_status(second, "waitlisted", police)

    # the urgent referral is first in line; staff move the routine one up, with a reason
    order = [w["reference"] for w in net.api("GET", "/shelter/waitlist?population_group=women", shelter).json()]
    assert order == [second, third]
    moved = net.api("PUT", f"/shelter/waitlist/{third}/priority", shelter,
                    json={"priority": 1, "reason": "close to her court hearing"})
    assert moved.status_code == 200 and moved.json()["position"] == 1
    assert moved.json()["priority_reason"] == "close to her court hearing"

    admitted = net.api("POST", f"/shelters/{FACILITY}/admissions", shelter,
                       json={"reference": first, "case_manager": "cm.demo"})
    assert admitted.status_code == 201, admitted.text
    admission = admitted.json()
    assert admission["case_manager"] == "cm.demo" and admission["beds"] == 1
    board = net.api("GET", f"/shelters/{FACILITY}/board", shelter).json()
    women = next(g for g in board["groups"] if g["population_group"] == "women")
    assert [(p["reference"], p["state"], p["case_manager"]) for p in women["places"]] == \
        [(first, "admitted", "cm.demo")]
    children = next(g for g in board["groups"] if g["population_group"] == "children")
    assert [(p["reference"], p["state"], p["beds"]) for p in children["places"]] == [(family, "held", 3)]
    census = net.api("GET", f"/shelters/{FACILITY}/census", shelter).json()
    assert [a["reference"] for a in census["arrivals"]] == [first]
    assert census["census"]["women"] == {"residents": 1, "beds_occupied": 1}
    assert {e["reference"] for e in census["expected_arrivals"]} == {family}
    net.wait_status(first, "admitted", police)

    discharged = net.api("POST", f"/shelters/{FACILITY}/admissions/{admission['admission_id']}/discharge",
                         shelter, json={"outcome": "reintegrated"})
    assert discharged.status_code == 200, discharged.text
    assert discharged.json()["offered_to"] == [third]
    done = net.wait_status(first, "discharged", police)
    assert [e["status"] for e in done["timeline"]] == ["submitted", "received", "accepted", "bed_held",
                                                      "admitted", "discharged"]
    assert done["timeline"][-1]["note"] == "Discharged: reintegrated"
    offered = net.wait_status(third, "bed_held", police)
    assert "offered from the waitlist" in offered["timeline"][-1]["note"]
    assert [w["reference"] for w in net.api("GET", "/shelter/waitlist", shelter).json()] == [second]

    # the police withdraw the waitlisted referral: it leaves the waitlist
    assert net.api("POST", f"/referrals/{second}/withdraw", police,
                   json={"reason_code": "placed_elsewhere"}).status_code == 200
    poll(lambda: net.api("GET", "/shelter/waitlist", shelter).json() == [], what="waitlist empty")

    counts = available_of(net, police)
    assert (counts["women"]["occupied"], counts["women"]["held"], counts["women"]["available"]) == (0, 1, 0)
    assert (counts["children"]["held"], counts["children"]["available"]) == (3, 0)
    # police see counts only: no references, no names
    assert "RN-" not in repr(counts)
    assert net.api("GET", f"/shelters/{FACILITY}/board", police).status_code == 403


def refusals_change_nothing(net) -> None:
    """Each refusal is a clear 4xx naming the field, and nothing changes."""
    police, shelter, admin = net.token("police", agency="tip-refusals"), net.token("shelter"), net.token("admin")
    resident, declined = refer_many(net, police, [ADULT_WOMAN, ADULT_WOMAN], workers=1)
    received(net, shelter, resident, declined)
    accept(net, shelter, resident)
    admission = net.api("POST", f"/shelters/{FACILITY}/admissions", shelter,
                        json={"reference": resident, "case_manager": "cm.demo"}).json()
    assert net.api("POST", f"/referrals/{declined}/decision", shelter,
                   json={"decision": "decline", "reason_code": "needs_beyond_capacity"}).status_code == 200

    def snapshot():
        return (available_of(net, shelter), net.api("GET", f"/shelters/{FACILITY}/board", shelter).json(),
                net.api("GET", f"/shelters/{FACILITY}/capacity-history", shelter).json())
    before = snapshot()
    cases = [
        (net.api("POST", f"/shelters/{FACILITY}/admissions/{admission['admission_id']}/discharge",
                 shelter, json={"outcome": "vanished"}), 422, "outcome"),
        (net.api("POST", f"/shelters/{FACILITY}/admissions", shelter,
                 json={"reference": declined, "case_manager": "cm.demo"}), 409, "reference"),
        (net.api("PUT", f"/shelters/{FACILITY}/capacity", admin,
                 json={"population_group": "women", "capacity": -1}), 422, "capacity"),
        (net.api("PUT", f"/shelters/{FACILITY}/capacity", admin,
                 json={"population_group": "women", "capacity": 0}), 409, "capacity"),
        (net.api("PUT", f"/shelters/{FACILITY}/out-of-service", shelter,
                 json={"population_group": "women", "beds": 1, "reason": "leak",
                       "expected_return": "2030-01-01"}), 409, "beds"),
        (net.api("POST", f"/shelters/{FACILITY}/admissions/999999/discharge", shelter,
                 json={"outcome": "other"}), 404, "admission"),
        (net.api("POST", f"/shelters/{FACILITY}/admissions", police,
                 json={"reference": declined, "case_manager": "cm.demo"}), 403, None),
    ]
    for answer, status, field in cases:
        assert answer.status_code == status, (status, answer.text)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        problem = answer.json()
        if field:
            assert problem["field"] == field, problem
        assert "Test Person" not in answer.text
    assert snapshot() == before
