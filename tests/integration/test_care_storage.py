"""Care plans on real SQLite and PostgreSQL (no broker): the plan opens with the admission, the
first-week milestones against a controlled clock (the acceptance test), overdue notices once
across two "replicas", cash assistance and its second approver, encrypted notes, the screening
result's readers, the legal referral event and the legal service recording it."""

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.common.caller import Caller
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts.envelope import make_event, parse_event
from services.contracts.references import random_reference
from services.legal import usecases as legal_app
from services.legal.tables import referral_requests
from services.shelter import usecases
from services.shelter.tables import care_milestones, care_plans, outbox
from tests.integration.conftest import count, table_dump
from tests.integration.legal_fixtures import accepted_event

ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
INTAKE = Caller(user="intake.one", role="shelter", agency="erbil-shelter")
CM = Caller(user="cm.one", role="shelter", agency="erbil-shelter")
PSY = Caller(user="psy.one", role="shelter", agency="erbil-shelter")
MANAGER = Caller(user="manager.two", role="shelter", agency="erbil-shelter")
POLICE = Caller(user="officer.one", role="police", agency="erbil-tip-unit")
LAWYER = Caller(user="lawyer.one", role="legal", agency="erbil-legal-aid")
FACILITY = "care-shelter"
AGENCY = "erbil-shelter"
T0 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
NOTE = "Zerya-Testperson says her employer still holds her passport"
GOALS = "I want to go home to my mother and work as a seamstress"


@pytest.fixture
def shelter(databases):
    db = databases.database(databases.migrated("shelter"))
    usecases.register_facility(db, ADMIN, FACILITY, "Care shelter", provider="erbil-shelter")
    usecases.set_capacity(db, ADMIN, FACILITY, "women", 5)
    return db


@pytest.fixture
def cipher(keys):
    return keys.cipher


def admitted(db, now=T0, case_manager="cm.one") -> dict:
    reference = random_reference()
    assert usecases.apply_event(db, make_event("referral.submitted", {
        "reference": reference, "population_group": "women", "urgency": "urgent",
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "erbil-tip-unit", "submitted_at": datetime.now(timezone.utc),
        "survivor_minor": False}, source="referral"),
        agency=AGENCY)
    usecases.decide(db, INTAKE, reference, "accept", None)
    return usecases.admit(db, INTAKE, FACILITY, reference, case_manager, now=now)


def overdue_events(db) -> list[dict]:
    with db.read() as s:
        bodies = s.execute(select(outbox.c.body).where(outbox.c.type == "shelter.milestone_overdue")
                           .order_by(outbox.c.id)).scalars().all()
    return [json.loads(b) for b in bodies]


def test_the_plan_opens_with_the_admission(shelter):
    admission = admitted(shelter)
    plan = usecases.get_plan(shelter, CM, None, admission["plan_id"], T0)
    assert (plan["reference"], plan["case_manager"], plan["admission_id"], plan["status"]) == \
        (admission["reference"], "cm.one", admission["admission_id"], "open")
    states = {m["milestone"]: (m["state"], m["due_at"]) for m in plan["milestones"]}
    assert states == {"case_manager_assigned": ("done", "2026-11-20T09:30:00Z"),
                      "psychological_screening": ("due", "2026-11-27T09:30:00Z"),
                      "legal_rights_briefing": ("due", "2026-11-27T09:30:00Z"),
                      "plan_agreed": ("due", "2026-11-27T09:30:00Z")}
    assert {m["milestone"]: m["done_by"] for m in plan["milestones"]} == {
        "case_manager_assigned": "cm.one", "psychological_screening": None,
        "legal_rights_briefing": None, "plan_agreed": None}


def test_a_refused_admission_opens_no_plan(shelter):
    admission = admitted(shelter)
    with pytest.raises(Conflict):
        usecases.admit(shelter, INTAKE, FACILITY, admission["reference"], "cm.two", now=T0)
    assert count(shelter, care_plans) == 1 and count(shelter, care_milestones) == 4


def test_acceptance_one_overdue_milestone_one_event_the_right_list(shelter, cipher):
    """Admitted at a fixed time; screening done, plan agreed, briefing not; at +8 days exactly
    one milestone is overdue, one event is queued (once, however often the sweep runs), and the
    overdue list names it under its facility and case manager."""
    admission = admitted(shelter)
    plan_id = admission["plan_id"]
    usecases.update_plan(shelter, CM, cipher, plan_id, T0 + timedelta(hours=1), psychologist="psy.one")
    usecases.record_screening(shelter, PSY, cipher, plan_id, "support_recommended", "Weekly sessions",
                          T0 + timedelta(days=2))
    usecases.complete_milestone(shelter, CM, plan_id, "plan_agreed", T0 + timedelta(days=5))
    other = admitted(shelter, now=T0 + timedelta(days=3), case_manager="cm.two")  # not overdue yet

    assert usecases.notify_overdue_milestones(shelter, T0 + timedelta(days=6)) == []
    now = T0 + timedelta(days=8)
    assert usecases.notify_overdue_milestones(shelter, now) == [
        (admission["reference"], "legal_rights_briefing")]
    assert usecases.notify_overdue_milestones(shelter, now + timedelta(minutes=1)) == []

    events = overdue_events(shelter)
    assert len(events) == 1
    _, payload = parse_event(events[0])
    assert payload["reference"] == admission["reference"]
    assert payload["milestone"] == "legal_rights_briefing"
    assert payload["due_at"] == T0 + timedelta(days=7)
    assert (payload["facility"], payload["case_manager"]) == (FACILITY, "cm.one")
    assert (events[0]["version"], payload["facility_manager"]) == (2, None)  # none named yet
    assert "Weekly" not in json.dumps(events[0])

    listed = usecases.list_milestones(shelter, INTAKE, now, state="overdue")
    assert listed["count"] == 1
    assert [(g["facility"], g["case_manager"], g["count"]) for g in listed["groups"]] == [
        (FACILITY, "cm.one", 1)]
    (row,) = listed["groups"][0]["milestones"]
    assert (row["reference"], row["milestone"], row["state"]) == \
        (admission["reference"], "legal_rights_briefing", "overdue")
    assert row["overdue_notified_at"] is not None
    due = usecases.list_milestones(shelter, INTAKE, now, state="due")
    assert {m["reference"] for g in due["groups"] for m in g["milestones"]} == {other["reference"]}
    assert usecases.list_milestones(shelter, INTAKE, now, state="overdue", case_manager="cm.two")["count"] == 0


def test_the_overdue_notice_names_the_facility_manager_as_named_then(shelter):
    """v2 names the facility's manager (a user id) as the facility has it when the notice is
    made: staff of the provider name, change or clear the manager; a bad id changes nothing."""
    admitted(shelter)
    with pytest.raises(InvalidInput) as refused:
        usecases.set_facility_manager(shelter, INTAKE, FACILITY, "Jane Doe")
    assert refused.value.field == "manager"
    other = Caller(user="staff.x", role="shelter", agency="duhok-shelter")
    with pytest.raises((Forbidden, NotFound)):
        usecases.set_facility_manager(shelter, other, FACILITY, "fm.x")
    assert usecases.set_facility_manager(shelter, INTAKE, FACILITY, "fm.one")["manager"] == "fm.one"
    assert [f["manager"] for f in usecases.list_facilities(shelter, INTAKE)] == ["fm.one"]
    usecases.notify_overdue_milestones(shelter, T0 + timedelta(days=8))
    assert {parse_event(e)[1]["facility_manager"] for e in overdue_events(shelter)} == {"fm.one"}
    assert usecases.set_facility_manager(shelter, INTAKE, FACILITY, None)["manager"] is None
    made = usecases.register_facility(shelter, ADMIN, "care-2", "Second", provider=AGENCY,
                                      manager="fm.two")
    assert made["manager"] == "fm.two"


def test_two_replicas_send_each_overdue_notice_once(databases, shelter):
    admissions = [admitted(shelter) for _ in range(4)]  # 12 milestones fall due at T0 + 7 days
    second = databases.database(shelter.url)           # another "replica": its own engine
    now = T0 + timedelta(days=8)
    sent, errors = [], []

    def sweep(db):
        try:
            for _ in range(3):
                sent.extend(usecases.notify_overdue_milestones(db, now))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(db,)) for db in (shelter, second, shelter, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(sent) == 12 and len(set(sent)) == 12
    assert len(overdue_events(shelter)) == 12
    assert {json.loads(json.dumps(e))["payload"]["reference"] for e in overdue_events(shelter)} == \
        {a["reference"] for a in admissions}


def test_a_discharged_residents_plan_closes_and_sends_no_notice(shelter):
    admission = admitted(shelter)
    usecases.discharge(shelter, INTAKE, FACILITY, admission["admission_id"], "reintegrated")
    assert usecases.notify_overdue_milestones(shelter, T0 + timedelta(days=8)) == []
    assert usecases.list_milestones(shelter, INTAKE, T0 + timedelta(days=8), state="overdue")["count"] == 0
    with pytest.raises(Conflict):
        usecases.add_item(shelter, CM, admission["plan_id"], T0, "health_care", "nurse.one")


def test_cash_is_paid_only_after_a_second_staff_members_approval(shelter):
    plan_id = admitted(shelter)["plan_id"]
    item = usecases.add_item(shelter, CM, plan_id, T0, "cash_assistance", "cm.one",
                         cash={"purpose": "legal_fees", "amount": 250000, "currency": "IQD"})
    with pytest.raises(Conflict) as refused:
        usecases.update_item(shelter, CM, plan_id, item["item_id"], T0, status="done")
    assert refused.value.field == "approval"
    with pytest.raises(Forbidden):
        usecases.approve_item(shelter, CM, plan_id, item["item_id"], T0)  # the requester
    unpaid = usecases.get_plan(shelter, CM, None, plan_id, T0)["items"][0]
    assert unpaid["status"] == "planned" and unpaid["cash"]["approved_by"] is None

    approved = usecases.approve_item(shelter, MANAGER, plan_id, item["item_id"], T0 + timedelta(hours=1))
    assert approved["cash"]["approved_by"] == "manager.two"
    with pytest.raises(Conflict):
        usecases.approve_item(shelter, INTAKE, plan_id, item["item_id"], T0)  # approved once
    paid = usecases.update_item(shelter, CM, plan_id, item["item_id"], T0 + timedelta(hours=2), status="done")
    assert paid["status"] == "done" and paid["cash"]["paid_by"] == "cm.one"
    assert paid["cash"]["paid_at"] == "2026-11-20T11:30:00Z"


@pytest.mark.parametrize("length", [100, 101, 140])
def test_a_requester_cannot_approve_their_own_cash_whatever_the_length_of_their_id(shelter, length):
    """The stored requester is at most 100 characters; an id longer than that is refused
    before any rule runs, so it is never cut and compared with its own whole self."""
    plan_id = admitted(shelter)["plan_id"]
    identity = {"user": ("cm." + "x" * length)[:length], "role": "shelter", "agency": "erbil-shelter"}
    approved = None
    with pytest.raises((Forbidden, InvalidInput)):
        requester = Caller.from_dict(identity)
        item = usecases.add_item(shelter, requester, plan_id, T0, "cash_assistance", "cm.one",
                                 cash={"purpose": "legal_fees", "amount": 1000, "currency": "IQD"})
        approved = usecases.approve_item(shelter, requester, plan_id, item["item_id"], T0)
    assert approved is None
    items = usecases.get_plan(shelter, CM, None, plan_id, T0)["items"]
    assert all(i["cash"]["approved_by"] is None for i in items)


def test_notes_goals_and_screening_are_encrypted_and_staff_only(shelter, cipher):
    plan_id = admitted(shelter)["plan_id"]
    usecases.add_note(shelter, INTAKE, cipher, plan_id, NOTE, T0)
    usecases.update_plan(shelter, CM, cipher, plan_id, T0, goals=GOALS, psychologist="psy.one")
    usecases.record_screening(shelter, PSY, cipher, plan_id, "specialist_referral",
                          "Nightmares-Testperson", T0)
    dump = table_dump(shelter)
    for secret in (NOTE, GOALS, "Nightmares-Testperson", "specialist_referral"):
        assert secret not in dump

    assert [n["text"] for n in usecases.list_notes(shelter, INTAKE, cipher, plan_id)] == [NOTE]
    assert usecases.get_plan(shelter, INTAKE, cipher, plan_id, T0)["goals"] == GOALS
    for reader in (CM, PSY):
        assert usecases.get_screening(shelter, reader, cipher, plan_id)["outcome"] == "specialist_referral"
    with pytest.raises(Forbidden):
        usecases.get_screening(shelter, INTAKE, cipher, plan_id)
    with pytest.raises(Forbidden):
        usecases.record_screening(shelter, CM, cipher, plan_id, "no_concerns", None, T0)
    with pytest.raises(Forbidden):
        usecases.update_plan(shelter, INTAKE, cipher, plan_id, T0, psychologist="intake.one")
    for outsider in (POLICE, LAWYER):
        for call in (lambda c: usecases.list_notes(shelter, c, cipher, plan_id),
                     lambda c: usecases.get_plan(shelter, c, cipher, plan_id, T0),
                     lambda c: usecases.get_screening(shelter, c, cipher, plan_id),
                     lambda c: usecases.list_milestones(shelter, c, T0),
                     lambda c: usecases.list_plans(shelter, c, T0)):
            with pytest.raises(Forbidden):
                call(outsider)
    with pytest.raises(NotFound):
        usecases.list_notes(shelter, INTAKE, cipher, 999999)


def test_referring_an_item_sends_only_reference_and_service_and_legal_records_it(databases, shelter):
    admission = admitted(shelter)
    plan_id = admission["plan_id"]
    item = usecases.add_item(shelter, CM, plan_id, T0, "court_representation", "cm.one")
    with pytest.raises(Conflict):
        usecases.refer_item_to_legal(shelter, CM, plan_id,
                                 usecases.add_item(shelter, CM, plan_id, T0, "mhpss", "psy.one")["item_id"],
                                 T0)
    referred = usecases.refer_item_to_legal(shelter, CM, plan_id, item["item_id"], T0)
    with pytest.raises(Conflict):
        usecases.refer_item_to_legal(shelter, CM, plan_id, item["item_id"], T0)
    with shelter.read() as s:
        (body,) = s.execute(select(outbox.c.body)
                            .where(outbox.c.type == "shelter.legal_referral_requested")).scalars().all()
    event = json.loads(body)
    assert set(event["payload"]) == {"reference", "request_id", "service", "requested_at", "agency"}
    assert event["payload"]["service"] == "court_representation"
    assert event["payload"]["request_id"] == referred["legal_referral"]["request_id"]

    legal = databases.database(databases.migrated("legal"))
    assert legal_app.apply_event(legal, event)
    assert not legal_app.apply_event(legal, event)  # redelivered: recorded once
    assert count(legal, referral_requests) == 1
    assert legal_app.list_referral_requests(legal, LAWYER) == []  # no legal consent known yet
    assert legal_app.apply_event(legal, accepted_event(admission["reference"], legal_consent=True))
    (listed,) = legal_app.list_referral_requests(legal, LAWYER)
    assert (listed["reference"], listed["service"]) == (admission["reference"], "court_representation")
    with pytest.raises(Forbidden):
        legal_app.list_referral_requests(legal, INTAKE)
