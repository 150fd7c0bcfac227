"""Shelter tasks on real SQLite and PostgreSQL (no broker): the accompaniment task the hearing
reminder opens and the hearings list that shows it, the cash approval a cash request opens and
that follows its item, each change's ``shelter.task_changed`` queued in its transaction, the
provider's staff only, and two people finishing one task at once (one wins)."""

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.common.caller import Caller
from services.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.shelter import usecases
from services.shelter.tables import outbox, tasks
from tests.integration.conftest import count

ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
INTAKE = Caller(user="intake.one", role="shelter", agency="erbil-shelter")
CM = Caller(user="cm.one", role="shelter", agency="erbil-shelter")
MANAGER = Caller(user="manager.two", role="shelter", agency="erbil-shelter")
STRANGER = Caller(user="staff.x", role="shelter", agency="duhok-shelter")
FACILITY, AGENCY = "task-shelter", "erbil-shelter"
T0 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
CASH = {"purpose": "legal_fees", "amount": 250000, "currency": "IQD"}


@pytest.fixture
def shelter(databases):
    db = databases.database(databases.migrated("shelter"))
    usecases.register_facility(db, ADMIN, FACILITY, "Task shelter", provider=AGENCY)
    usecases.set_capacity(db, ADMIN, FACILITY, "women", 5)
    return db


def admitted(db) -> dict:
    reference = random_reference()
    assert usecases.apply_event(db, make_event("referral.submitted", {
        "reference": reference, "population_group": "women", "urgency": "urgent",
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "erbil-tip-unit", "submitted_at": datetime.now(timezone.utc),
        "survivor_minor": False},
        source="referral"), agency=AGENCY)
    usecases.decide(db, INTAKE, reference, "accept", None)
    return usecases.admit(db, INTAKE, FACILITY, reference, "cm.one", now=T0)


def reminder(reference: str, hearing_id: str, starts: datetime) -> dict:
    return make_event("legal.hearing_reminder", {
        "reference": reference, "hearing_id": hearing_id, "court": "erbil-criminal-court",
        "starts_at": starts, "time_zone": "Asia/Baghdad", "due_at": starts - timedelta(hours=72),
        "sent_at": starts - timedelta(hours=72), "case_id": "a" * 32, "lawyer": "lawyer.one",
        "shelter_agency": AGENCY}, source="legal")


def task_events(db) -> list[dict]:
    with db.read() as s:
        bodies = s.execute(select(outbox.c.body).where(outbox.c.type == "shelter.task_changed")
                           .order_by(outbox.c.id)).scalars().all()
    return [json.loads(b)["payload"] for b in bodies]


def test_the_reminder_opens_an_accompaniment_task_the_hearings_list_follows(shelter):
    resident = admitted(shelter)["reference"]
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    event = reminder(resident, "c" * 32, starts)
    assert usecases.apply_event(shelter, event, agency=AGENCY) is True
    assert usecases.apply_event(shelter, event, agency=AGENCY) is False  # once per event
    [task] = usecases.list_tasks(shelter, INTAKE, T0)["items"]
    assert (task["kind"], task["status"], task["reference"], task["facility"], task["hearing_id"],
            task["assignee"], task["overdue"]) == (
        "accompaniment", "to_arrange", resident, FACILITY, "c" * 32, None, False)
    assert task["due_at"] == starts.isoformat().replace("+00:00", "Z")
    assert [(e["status"], e["agency"], e["changed_by"]) for e in task_events(shelter)] == [
        ("to_arrange", AGENCY, "refnet-shelter")]

    assigned = usecases.assign_task(shelter, INTAKE, task["id"], "staff.two", T0)
    assert (assigned["status"], assigned["assignee"]) == ("assigned", "staff.two")
    [hearing] = usecases.list_hearings(shelter, INTAKE)
    assert {k: hearing["accompaniment"][k] for k in ("status", "task_id", "assignee")} == {
        "status": "assigned", "task_id": task["id"], "assignee": "staff.two"}
    mine = Caller(user="staff.two", role="shelter", agency=AGENCY)
    assert [t["id"] for t in usecases.list_tasks(shelter, mine, T0, mine=True)["items"]] == [task["id"]]
    assert usecases.list_tasks(shelter, INTAKE, T0, mine=True)["items"] == []
    done = usecases.finish_task(shelter, mine, task["id"], "done", T0 + timedelta(hours=1))
    assert done["status"] == "done" and done["changed_at"] == "2026-11-20T10:30:00Z"
    assert usecases.list_hearings(shelter, INTAKE)[0]["accompaniment"]["status"] == "done"
    assert [(e["status"], e["assignee"], e["changed_by"]) for e in task_events(shelter)] == [
        ("to_arrange", None, "refnet-shelter"), ("assigned", "staff.two", "intake.one"),
        ("done", "staff.two", "staff.two")]
    assert usecases.list_tasks(shelter, INTAKE, T0, status="open")["items"] == []
    assert len(usecases.list_tasks(shelter, INTAKE, T0, status="done")["items"]) == 1


def test_another_providers_staff_neither_see_nor_touch_a_task(shelter):
    resident = admitted(shelter)["reference"]
    usecases.apply_event(shelter, reminder(resident, "d" * 32, T0 + timedelta(days=3)),
                         agency=AGENCY)
    [task] = usecases.list_tasks(shelter, INTAKE, T0)["items"]
    assert usecases.list_tasks(shelter, STRANGER, T0)["items"] == []
    for act in (lambda: usecases.assign_task(shelter, STRANGER, task["id"], "staff.x", T0),
                lambda: usecases.finish_task(shelter, STRANGER, task["id"], "not_needed", T0)):
        with pytest.raises(NotFound) as refused:
            act()
        assert refused.value.field == "task_id"
    with pytest.raises(NotFound):
        usecases.assign_task(shelter, INTAKE, "f" * 32, "staff.two", T0)
    with pytest.raises(Forbidden):
        usecases.list_tasks(shelter, Caller(user="o", role="police", agency="erbil-tip-unit"), T0)
    with pytest.raises(IllegalTransition):  # assign it first
        usecases.finish_task(shelter, INTAKE, task["id"], "done", T0)
    with pytest.raises(InvalidInput) as refused:
        usecases.assign_task(shelter, INTAKE, task["id"], "Jane Doe", T0)
    assert refused.value.field == "assignee"
    assert [e["status"] for e in task_events(shelter)] == ["to_arrange"]  # nothing changed


def test_a_cash_request_awaits_a_second_persons_approval_as_a_task(shelter):
    plan_id = admitted(shelter)["plan_id"]
    item = usecases.add_item(shelter, CM, plan_id, T0, "cash_assistance", "cm.one", cash=CASH,
                             approval_within=timedelta(hours=2))
    [task] = usecases.list_tasks(shelter, INTAKE, T0)["items"]
    assert (task["kind"], task["status"], task["plan_id"], task["item_id"], task["due_at"]) == (
        "cash_approval", "to_arrange", plan_id, item["item_id"], "2026-11-20T11:30:00Z")
    assert usecases.list_tasks(shelter, INTAKE, T0 + timedelta(hours=3))["items"][0]["overdue"]
    [opened] = task_events(shelter)
    assert (opened["requested_by"], opened["status"]) == ("cm.one", "to_arrange")

    # the plan page's approval finishes the task in its transaction
    usecases.approve_item(shelter, MANAGER, plan_id, item["item_id"], T0 + timedelta(hours=1))
    [task] = usecases.list_tasks(shelter, INTAKE, T0)["items"]
    assert (task["status"], task["changed_by"]) == ("done", "manager.two")
    assert [e["status"] for e in task_events(shelter)] == ["to_arrange", "done"]

    # a cancelled request's task is not needed
    other = usecases.add_item(shelter, CM, plan_id, T0, "cash_assistance", "cm.one", cash=CASH)
    usecases.update_item(shelter, CM, plan_id, other["item_id"], T0, status="cancelled")
    statuses = {t["item_id"]: t["status"] for t in usecases.list_tasks(shelter, INTAKE, T0)["items"]}
    assert statuses == {item["item_id"]: "done", other["item_id"]: "not_needed"}
    # a plan item that is no cash request opens no task
    usecases.add_item(shelter, CM, plan_id, T0, "health_care", "nurse.one")
    assert count(shelter, tasks) == 2


def test_finishing_a_cash_approval_is_the_approval_and_never_the_requesters(shelter):
    plan_id = admitted(shelter)["plan_id"]
    item = usecases.add_item(shelter, CM, plan_id, T0, "cash_assistance", "cm.one", cash=CASH)
    [task] = usecases.list_tasks(shelter, INTAKE, T0)["items"]
    with pytest.raises(InvalidInput):
        usecases.assign_task(shelter, CM, task["id"], "cm.one", T0)  # not to the requester
    usecases.assign_task(shelter, CM, task["id"], "manager.two", T0)
    with pytest.raises(Forbidden):
        usecases.finish_task(shelter, CM, task["id"], "done", T0)  # the requester
    with pytest.raises(Conflict):
        usecases.finish_task(shelter, MANAGER, task["id"], "not_needed", T0)
    unpaid = usecases.get_plan(shelter, CM, None, plan_id, T0)["items"][0]
    assert unpaid["cash"]["approved_by"] is None
    assert [e["status"] for e in task_events(shelter)] == ["to_arrange", "assigned"]
    done = usecases.finish_task(shelter, MANAGER, task["id"], "done", T0 + timedelta(hours=1))
    assert done["status"] == "done"
    approved = usecases.get_plan(shelter, CM, None, plan_id, T0)["items"][0]
    assert approved["cash"]["approved_by"] == "manager.two"
    assert [e["status"] for e in task_events(shelter)] == ["to_arrange", "assigned", "done"]
    with pytest.raises(Conflict):  # approved once, by either path
        usecases.approve_item(shelter, INTAKE, plan_id, item["item_id"], T0)


def test_two_people_finishing_one_task_at_once_one_wins(databases, shelter):
    resident = admitted(shelter)["reference"]
    usecases.apply_event(shelter, reminder(resident, "e" * 32, T0 + timedelta(days=3)),
                         agency=AGENCY)
    [task] = usecases.list_tasks(shelter, INTAKE, T0)["items"]
    usecases.assign_task(shelter, INTAKE, task["id"], "staff.two", T0)
    second = databases.database(shelter.url)  # another replica: its own engine
    outcomes, errors = [], []
    start = threading.Barrier(2)

    def finish(db, who, outcome):
        start.wait()
        try:
            outcomes.append(usecases.finish_task(db, who, task["id"], outcome, T0)["status"])
        except Conflict as exc:
            errors.append(exc)

    threads = [threading.Thread(target=finish, args=(shelter, INTAKE, "done")),
               threading.Thread(target=finish, args=(second, MANAGER, "not_needed"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 1 and len(errors) == 1
    finished = [e["status"] for e in task_events(shelter)][2:]
    assert finished == outcomes  # one event, of the winner
    assert usecases.list_tasks(shelter, INTAKE, T0)["items"][0]["status"] == outcomes[0]


def test_a_postponed_hearings_accompaniment_is_not_needed(shelter):
    resident = admitted(shelter)["reference"]
    usecases.apply_event(shelter, reminder(resident, "9" * 32, T0 + timedelta(days=3)),
                         agency=AGENCY)
    postponed = make_event("legal.hearing_outcome", {
        "reference": resident, "court_case_id": "b" * 32, "hearing_id": "9" * 32,
        "court": "erbil-criminal-court", "outcome": "postponed", "next_hearing_id": "8" * 32,
        "recorded_at": T0}, source="legal")
    assert usecases.apply_event(shelter, postponed, agency=AGENCY) is True
    [task] = usecases.list_tasks(shelter, INTAKE, T0)["items"]
    assert (task["status"], task["changed_by"]) == ("not_needed", "refnet-shelter")
    assert [e["status"] for e in task_events(shelter)] == ["to_arrange", "not_needed"]


def test_a_discharge_leaves_no_cash_request_awaiting_approval(shelter):
    admission = admitted(shelter)
    usecases.add_item(shelter, CM, admission["plan_id"], T0, "cash_assistance", "cm.one",
                      cash=CASH)
    usecases.discharge(shelter, INTAKE, FACILITY, admission["admission_id"], "reintegrated")
    [task] = usecases.list_tasks(shelter, INTAKE, T0)["items"]
    assert (task["status"], task["overdue"]) == ("not_needed", False)
    assert [e["status"] for e in task_events(shelter)] == ["to_arrange", "not_needed"]


def test_the_list_pages_by_due_time(shelter):
    resident = admitted(shelter)["reference"]
    for n in range(5):
        usecases.apply_event(shelter, reminder(resident, f"{n:032x}", T0 + timedelta(days=5 - n)),
                             agency=AGENCY)
    first = usecases.list_tasks(shelter, INTAKE, T0, limit=2)
    second = usecases.list_tasks(shelter, INTAKE, T0, limit=2, cursor=first["next_cursor"])
    third = usecases.list_tasks(shelter, INTAKE, T0, limit=2, cursor=second["next_cursor"])
    due = [t["due_at"] for page in (first, second, third) for t in page["items"]]
    assert due == sorted(due) and len(set(due)) == 5 and third["next_cursor"] is None
    with pytest.raises(InvalidInput) as refused:
        usecases.list_tasks(shelter, INTAKE, T0, cursor="not-a-cursor")
    assert refused.value.field == "cursor"
