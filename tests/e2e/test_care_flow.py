"""A resident's first week end to end, over real processes and HTTP, with two shelter replicas
and a test clock.

A person is admitted (the plan opens with the case manager named); the case manager names the
psychologist and records the person's goals; the psychologist records the screening; the plan
is agreed; the legal rights briefing is not done. The shelter service's clock is then moved past
the first week by writing ``REFNET_TEST_CLOCK_OFFSET_FILE`` (read at every tick; both replicas
sweep every 0.3 s): exactly one milestone is overdue, the overdue list shows it under its
facility and case manager, and exactly one ``shelter.milestone_overdue`` is published. On the
way: cash assistance is refused until a second staff member approves it, a court-representation
item reaches the legal team by event, and police and legal tokens get 403 on every care
endpoint. Everything is polled with deadlines; nothing is timed.
"""

import json
import uuid

import kombu
import pytest

from refnet import demo
from gateway import api
from tests.e2e.conftest import CANONICAL, ReconnectingTap, submit
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network
from refnet.harness.polling import poll

FACILITY = demo.FACILITY["id"]
WEEK_AND_A_DAY = 8 * 86400
NOTE = "Testperson-Amina told me her recruiter kept her phone"
GOALS = "I want to see my daughter and learn to sew"
SUMMARY = "Testperson sleeps badly, weekly sessions agreed"


@pytest.fixture(scope="module")
def care_net(tmp_path_factory):
    name, uri = create_vhost("refnet-e2e-care")
    workdir = tmp_path_factory.mktemp("care-network")
    clock_file = workdir / "clock-offset"
    clock_file.write_text("0")
    connection = kombu.Connection(uri)
    exchange = kombu.Exchange("refnet.events", type="topic", durable=True)
    queue = kombu.Queue(f"tap-{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="#",
                        durable=False, auto_delete=False)
    queue(connection.channel()).declare()
    net = Network(workdir, uri, replicas={"shelter": 2},
                  extra_env={"REFNET_TEST_CLOCK_OFFSET_FILE": str(clock_file),
                             "REFNET_MILESTONE_SWEEP_SECONDS": "0.3"})
    net.clock_file = clock_file
    net.tap = ReconnectingTap(connection, queue)
    try:
        net.prepare()
        net.start()
        try:
            net.wait_ready()
            net.wait_consumers("rpc-shelter", 2)
            net.seed_facility()
            yield net
        finally:
            net.stop()
    finally:
        try:
            net.tap.connection.release()
            connection.release()
        finally:
            delete_vhost(name)  # takes the tap queue with it


def admit(net, police, intake, case_manager: str) -> dict:
    reference = submit(net, police).json()["reference"]
    net.wait_status(reference, "received", police)
    r = net.api("POST", f"/referrals/{reference}/decision", intake, json={"decision": "accept"})
    assert r.status_code == 200, r.text
    net.wait_status(reference, "bed_held", police)
    r = net.api("POST", f"/shelters/{FACILITY}/admissions", intake,
                json={"reference": reference, "case_manager": case_manager})
    assert r.status_code == 201, r.text
    return r.json()


def overdue_events(net, reference=None) -> list[dict]:
    return [e for e in net.tap.drain() if e["type"] == "shelter.milestone_overdue"
            and (reference is None or e["payload"]["reference"] == reference)]


def test_first_week_overdue_once_cash_approval_legal_referral_and_no_outsiders(care_net):
    net = care_net
    police = net.token("police", agency=f"tip-care-{uuid.uuid4().hex[:6]}")
    intake = net.token("shelter", user="intake.demo")
    cm = net.token("shelter", user="cm.one")
    psy = net.token("shelter", user="psy.one")
    manager = net.token("shelter", user="manager.two")
    lawyer = net.token("legal")

    admission = admit(net, police, intake, "cm.one")
    plan_id, reference = admission["plan_id"], admission["reference"]
    net.wait_status(reference, "admitted", police)

    plan = net.api("GET", f"/shelter/plans/{plan_id}", intake).json()
    assert plan["case_manager"] == "cm.one" and plan["reference"] == reference
    assert {m["milestone"]: m["state"] for m in plan["milestones"]} == {
        "case_manager_assigned": "done", "psychological_screening": "due",
        "legal_rights_briefing": "due", "plan_agreed": "due"}

    # the first week: psychologist named by the case manager, goals, screening, plan agreed
    assert net.api("PUT", f"/shelter/plans/{plan_id}", intake,
                   json={"psychologist": "intake.demo"}).status_code == 403
    r = net.api("PUT", f"/shelter/plans/{plan_id}", cm, json={"psychologist": "psy.one", "goals": GOALS})
    assert r.status_code == 200 and r.json()["goals"] == GOALS
    r = net.api("PUT", f"/shelter/plans/{plan_id}/screening", psy,
                json={"outcome": "support_recommended", "summary": SUMMARY})
    assert r.status_code == 200, r.text
    assert net.api("GET", f"/shelter/plans/{plan_id}/screening", cm).json()["summary"] == SUMMARY
    assert net.api("GET", f"/shelter/plans/{plan_id}/screening", intake).status_code == 403
    r = net.api("POST", f"/shelter/plans/{plan_id}/milestones/plan_agreed/done", cm)
    assert r.status_code == 200 and r.json()["state"] == "done"
    assert net.api("POST", f"/shelter/plans/{plan_id}/notes", intake, json={"text": NOTE}).status_code == 201
    assert [n["text"] for n in net.api("GET", f"/shelter/plans/{plan_id}/notes", cm).json()] == [NOTE]

    # cash assistance: never paid without a second staff member's approval
    r = net.api("POST", f"/shelter/plans/{plan_id}/items", cm, json={
        "service": "cash_assistance", "owner": "cm.one",
        "cash": {"purpose": "repatriation", "amount": 450, "currency": "USD"}})
    assert r.status_code == 201, r.text
    cash_item = r.json()["item_id"]
    pay = net.api("PUT", f"/shelter/plans/{plan_id}/items/{cash_item}", cm, json={"status": "done"})
    assert pay.status_code == 409 and pay.json()["field"] == "approval"
    own = net.api("POST", f"/shelter/plans/{plan_id}/items/{cash_item}/approval", cm)
    assert own.status_code == 403 and own.json()["field"] == "approval"
    assert net.api("POST", f"/shelter/plans/{plan_id}/items/{cash_item}/approval", manager).status_code == 200
    paid = net.api("PUT", f"/shelter/plans/{plan_id}/items/{cash_item}", cm, json={"status": "done"})
    assert paid.status_code == 200 and paid.json()["cash"]["approved_by"] == "manager.two"

    # court representation goes to the legal team: reference and service only
    r = net.api("POST", f"/shelter/plans/{plan_id}/items", cm,
                json={"service": "court_representation", "owner": "cm.one"})
    legal_item = r.json()["item_id"]
    r = net.api("POST", f"/shelter/plans/{plan_id}/items/{legal_item}/legal-referral", cm)
    assert r.status_code == 200, r.text
    requests_seen = poll(lambda: [x for x in net.api("GET", "/legal/referral-requests", lawyer).json()
                                  if x["reference"] == reference], "the legal team sees the request")
    assert requests_seen[0]["service"] == "court_representation"

    # police and legal tokens: 403 on every plan, note and milestone endpoint
    params = {"<plan_id>": str(plan_id), "<item_id>": str(cash_item),
              "<milestone>": "legal_rights_briefing", "<occasion>": "legal_rights_briefing",
              "<attachment_id>": "0" * 32}
    bodies = {"update_plan": {"goals": "x"}, "add_plan_item": {"service": "mhpss", "owner": "psy.one"},
              "update_plan_item": {"status": "cancelled"}, "add_care_note": {"text": "x"},
              "record_screening": {"outcome": "no_concerns"},
              "refer_plan_item_to_partner": {"partner_agency": "iom-erbil", "service": "mhpss"}}
    care_rows = [e for e in api.ENDPOINTS if e.path.startswith(("/shelter/plans", "/shelter/milestones"))]
    assert len(care_rows) == 21  # the plan's documents (add, list, read) and overview among them
    for token in (police, lawyer):
        for row in care_rows:
            path = row.path
            for key, value in params.items():
                path = path.replace(key, value)
            r = net.api(row.method, path, token, json=bodies.get(row.name))
            assert r.status_code == 403, (row.name, r.status_code, r.text)
    briefing = net.api("GET", f"/shelter/plans/{plan_id}", cm).json()
    assert {m["milestone"]: m["state"] for m in briefing["milestones"]}["legal_rights_briefing"] == "due"

    # nothing is overdue yet; then the shelter's clock moves past the first week
    assert net.api("GET", "/shelter/milestones?state=overdue&case_manager=cm.one", intake).json()["count"] == 0
    net.clock_file.write_text(str(WEEK_AND_A_DAY))
    listed = poll(lambda: (lambda body: body if body["count"] else None)(
        net.api("GET", "/shelter/milestones?state=overdue&case_manager=cm.one", intake).json()),
        "the overdue list")
    assert listed["count"] == 1
    (group,) = listed["groups"]
    assert (group["facility"], group["case_manager"]) == (FACILITY, "cm.one")
    (row,) = group["milestones"]
    assert (row["reference"], row["milestone"], row["state"]) == (reference, "legal_rights_briefing", "overdue")
    events = poll(lambda: overdue_events(net, reference), "the overdue event")
    assert [e["payload"]["milestone"] for e in events] == ["legal_rights_briefing"]
    assert events[0]["payload"]["case_manager"] == "cm.one"
    assert events[0]["payload"]["facility"] == FACILITY

    # a sentinel admitted now, then the clock moved past its first week too: once its notices
    # arrive, the sweeps after the first one have run, and still only one notice exists for the
    # first resident
    sentinel = admit(net, police, intake, "cm.three")
    net.clock_file.write_text(str(2 * WEEK_AND_A_DAY))
    poll(lambda: len(overdue_events(net, sentinel["reference"])) == 3, "the sentinel's notices")
    assert len(overdue_events(net, reference)) == 1

    # the police timeline shows only that the person was admitted: no care entries
    timeline = net.api("GET", f"/referrals/{reference}/status", police).json()["timeline"]
    assert [e["status"] for e in timeline] == ["submitted", "received", "accepted", "bed_held", "admitted"]
    # no personal text in any event of the whole flow
    everything = json.dumps(net.tap.drain())
    for secret in (NOTE, GOALS, SUMMARY, CANONICAL["survivor"]["name"], "support_recommended"):
        assert secret not in everything
    for secret in (NOTE, GOALS, SUMMARY):
        assert secret not in net.all_logs()
