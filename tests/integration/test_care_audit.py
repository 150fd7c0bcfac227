"""Reads of a care plan (the person's goals), its notes and its screening result, and changes to
them, leave an entry in the shelter's audit trail, through the real shelter service in a nameko
container on a real broker, on SQLite and PostgreSQL: who, what, which plan, allowed or not."""

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from refnet.harness.signed_rpc import signing
from services.shelter import usecases
from services.shelter.tables import audit_log
from tests.integration.test_care_storage import (ADMIN, CM, FACILITY, INTAKE, POLICE, PSY,
                                                 admitted)


@pytest.fixture
def shelter_rpc(fresh_vhost, databases, keys, container_factory, monkeypatch):
    """The shelter service on a migrated database with one open plan: (proxy, db, plan id).
    The service module checks its secrets when imported, as a service process does at start:
    imported once this test's keys are in the environment."""
    monkeypatch.setenv("REFNET_FILE_KEYS", keys.file_keys)
    from services.shelter.service import ShelterService
    _name, uri = fresh_vhost
    url = databases.migrated("shelter")
    db = databases.database(url)
    usecases.register_facility(db, ADMIN, FACILITY, "Care shelter", provider="erbil-shelter")
    usecases.set_capacity(db, ADMIN, FACILITY, "women", 5)
    plan_id = admitted(db)["plan_id"]
    container = container_factory(ShelterService, {"AMQP_URI": uri, "DB_URIS": {"shelter": url},
                                                   "FILE_KEYS": keys.file_keys})
    container.start()
    try:
        with ServiceRpcProxy("shelter", {"AMQP_URI": uri}, timeout=20) as proxy:
            yield signing(proxy, keys.signer, service="shelter"), db, plan_id
    finally:
        container.stop()


def _as_dict(caller):
    return {"user": caller.user, "role": caller.role, "agency": caller.agency,
            "correlation_id": f"care-{caller.user}"}


def test_care_reads_and_changes_are_audited(shelter_rpc):
    rpc, db, plan_id = shelter_rpc
    rpc.update_plan(_as_dict(CM), plan_id, goals="Goals-Testperson", psychologist="psy.one")
    rpc.add_care_note(_as_dict(INTAKE), plan_id, "Note-Testperson")
    rpc.record_screening(_as_dict(PSY), plan_id, "no_concerns", None)
    assert rpc.get_plan(_as_dict(INTAKE), plan_id)["goals"] == "Goals-Testperson"
    assert [n["text"] for n in rpc.list_care_notes(_as_dict(CM), plan_id)] == ["Note-Testperson"]
    assert rpc.get_screening(_as_dict(PSY), plan_id)["outcome"] == "no_concerns"
    for refused in (lambda: rpc.get_screening(_as_dict(INTAKE), plan_id),  # not the plan's
                    lambda: rpc.list_care_notes(_as_dict(POLICE), plan_id)):
        with pytest.raises(RemoteError):
            refused()

    with db.read() as c:
        trail = [(r.actor, r.action, r.object, r.outcome, r.correlation_id) for r in c.execute(
            select(audit_log).where(audit_log.c.object == f"care_plan:{plan_id}").order_by(audit_log.c.id))]
    assert trail == [
        ("cm.one", "care_plan.update", f"care_plan:{plan_id}", "ok", "care-cm.one"),
        ("intake.one", "care_note.add", f"care_plan:{plan_id}", "ok", "care-intake.one"),
        ("psy.one", "screening.record", f"care_plan:{plan_id}", "ok", "care-psy.one"),
        ("intake.one", "care_plan.read", f"care_plan:{plan_id}", "ok", "care-intake.one"),
        ("cm.one", "care_note.read", f"care_plan:{plan_id}", "ok", "care-cm.one"),
        ("psy.one", "screening.read", f"care_plan:{plan_id}", "ok", "care-psy.one"),
        ("intake.one", "screening.read", f"care_plan:{plan_id}", "denied", "care-intake.one"),
        ("officer.one", "care_note.read", f"care_plan:{plan_id}", "denied", "care-officer.one"),
    ]


def test_the_plan_overview_reads_each_part_under_its_rule_and_audits_each(shelter_rpc):
    """``get_plan_overview`` (the plan's page in one call): its case manager and psychologist
    get the screening and the documents, other shelter staff get neither and neither is read;
    each part read leaves the entry its own call leaves, and a refused caller gets nothing."""
    rpc, db, plan_id = shelter_rpc
    rpc.update_plan(_as_dict(CM), plan_id, goals="Goals-Testperson", psychologist="psy.one")
    rpc.add_care_note(_as_dict(INTAKE), plan_id, "Note-Testperson")
    mine = rpc.get_plan_overview(_as_dict(CM), plan_id)
    assert mine["plan"]["goals"] == "Goals-Testperson"
    assert [n["text"] for n in mine["notes"]] == ["Note-Testperson"]
    assert mine["screening"] == {"shown": True, "result": None}  # none recorded yet
    assert mine["documents"] == {"listed": True, "items": []}
    rpc.record_screening(_as_dict(PSY), plan_id, "no_concerns", None)
    assert rpc.get_plan_overview(_as_dict(PSY), plan_id)["screening"]["result"]["outcome"] == \
        "no_concerns"
    theirs = rpc.get_plan_overview(_as_dict(INTAKE), plan_id)
    assert theirs["plan"]["plan_id"] == plan_id and len(theirs["notes"]) == 1
    assert theirs["screening"] == {"shown": False, "result": None}
    assert theirs["documents"] == {"listed": False, "items": None}
    with pytest.raises(RemoteError):
        rpc.get_plan_overview(_as_dict(POLICE), plan_id)

    reads = ("care_plan.read", "care_note.read", "screening.read", "attachment.list")
    with db.read() as c:
        trail = [(r.actor, r.action, r.outcome, r.correlation_id) for r in c.execute(
            select(audit_log).where(audit_log.c.object == f"care_plan:{plan_id}",
                                    audit_log.c.action.in_(reads)).order_by(audit_log.c.id))]
    assert trail == [
        ("cm.one", "care_plan.read", "ok", "care-cm.one"),
        ("cm.one", "care_note.read", "ok", "care-cm.one"),
        ("cm.one", "screening.read", "not_found", "care-cm.one"),
        ("cm.one", "attachment.list", "ok", "care-cm.one"),
        ("psy.one", "care_plan.read", "ok", "care-psy.one"),
        ("psy.one", "care_note.read", "ok", "care-psy.one"),
        ("psy.one", "screening.read", "ok", "care-psy.one"),
        ("psy.one", "attachment.list", "ok", "care-psy.one"),
        ("intake.one", "care_plan.read", "ok", "care-intake.one"),
        ("intake.one", "care_note.read", "ok", "care-intake.one"),
        ("officer.one", "care_plan.read", "denied", "care-officer.one"),
    ]


def test_task_rpcs_work_through_the_service_and_are_audited(shelter_rpc):
    """A cash request opens its approval task; the RPCs list, assign and finish it (the
    requester refused), each change audited with the task's id."""
    rpc, db, plan_id = shelter_rpc
    rpc.add_plan_item(_as_dict(CM), plan_id, "cash_assistance", "cm.one",
                      cash={"purpose": "legal_fees", "amount": 1000, "currency": "IQD"})
    [task] = rpc.list_tasks(_as_dict(INTAKE), status="open")["items"]
    assert (task["kind"], task["status"], task["requested_by"]) == ("cash_approval", "to_arrange",
                                                                     "cm.one")
    assert rpc.assign_task(_as_dict(INTAKE), task["id"], "manager.two")["status"] == "assigned"
    with pytest.raises(RemoteError) as refused:
        rpc.finish_task(_as_dict(CM), task["id"], "done")
    assert refused.value.exc_type == "Forbidden"
    manager = {"user": "manager.two", "role": "shelter", "agency": "erbil-shelter",
               "correlation_id": "care-manager.two"}
    assert rpc.finish_task(manager, task["id"], "done")["status"] == "done"
    assert rpc.list_tasks(_as_dict(INTAKE), mine=False, status="open")["items"] == []
    with db.read() as c:
        trail = [(r.actor, r.action, r.outcome) for r in c.execute(
            select(audit_log).where(audit_log.c.object == f"task:{task['id']}")
            .order_by(audit_log.c.id))]
    assert trail == [("intake.one", "task.assign", "ok"), ("cm.one", "task.finish", "denied"),
                     ("manager.two", "task.finish", "ok")]
