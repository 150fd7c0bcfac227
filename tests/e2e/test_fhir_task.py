"""The FHIR R4 Task export over real processes: a declined referral validates as an
R4 Task (fhir.resources, R4B) carrying `rejected` with the shelter's reason; an accepted and an
admitted one carry `accepted` and `in-progress`; another agency's police get 404, roles without
status access 403; no name or phone planted in the submission reaches the body."""

import copy
import uuid

import pytest
from fhir.resources.R4B.task import Task

from refnet import demo
from tests.e2e.conftest import CANONICAL, submit

PROFILE = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"
# SDOHCC-ValueSetReferralTaskStatus: R4 task-status without `received` and `ready`
# (fhir.resources does not enforce status codes, so the test checks them)
PROFILE_STATUSES = {"draft", "requested", "accepted", "rejected", "cancelled", "in-progress",
                    "on-hold", "failed", "completed", "entered-in-error"}
PLANTED_NAME = "Oshvenna Traquelli"
PLANTED_PHONE = "+9647709182736"
OFFICER = "Officer Brannoc Quill"
REASON = "No bed of the group free this month; referred to a partner shelter"


def planted() -> dict:
    body = copy.deepcopy(CANONICAL)
    body["survivor"].update(name=PLANTED_NAME, phone=PLANTED_PHONE)
    body["officer"]["name"] = body["consent"]["recorded_by"] = OFFICER
    return body


def fhir_task(network, reference, token):
    return network.api("GET", f"/referrals/{reference}/fhir-task", token)


def valid_task(response) -> Task:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    for secret in (PLANTED_NAME, PLANTED_PHONE, OFFICER, "Hawre"):
        assert secret not in response.text
    task = Task.model_validate_json(response.text)  # R4 Task: required elements, no unknown ones
    assert task.status in PROFILE_STATUSES
    assert task.meta.profile == [PROFILE]
    assert task.intent == "order"
    assert [(c.system, c.code) for c in task.code.coding] == [
        ("http://hl7.org/fhir/CodeSystem/task-code", "fulfill")]
    assert task.focus.reference == f"ServiceRequest/{task.id}"
    assert task.for_fhir.reference.startswith("Patient/p") and task.for_fhir.display is None
    assert task.authoredOn and task.requester.identifier.value
    return task


@pytest.fixture
def declined(network, police, shelter):
    # addressed to the demo shelter: its decline ends the referral (a referral to the network
    # would pass on to the demo's other provider, docs/decisions/0039)
    r = submit(network, police, {**planted(), "addressed_to": demo.FACILITY["provider"]})
    assert r.status_code == 202, r.text
    reference = r.json()["reference"]
    network.wait_status(reference, "received", police)
    r = network.api("POST", f"/referrals/{reference}/decision", shelter,
                    json={"decision": "decline", "reason_code": "no_bed_in_group", "reason": REASON})
    assert r.status_code == 200, r.text
    network.wait_status(reference, "declined", police)
    return reference


def test_a_declined_referral_is_a_rejected_task_with_the_reason(network, police, agency,
                                                                declined):
    task = valid_task(fhir_task(network, declined, police))
    assert (task.id, task.status) == (declined, "rejected")
    # the code, with refnet's system and the English label; never the shelter's note
    assert task.statusReason.text is None
    assert [(c.system, c.code, c.display) for c in task.statusReason.coding] == [
        ("https://refnet.example.org/fhir/CodeSystem/status-reason", "no_bed_in_group",
         "No bed for the person's group")]
    assert "partner shelter" not in fhir_task(network, declined, police).text
    assert task.businessStatus.text == "declined"
    assert [c.code for c in task.businessStatus.coding] == ["declined"]
    assert task.requester.identifier.value == agency
    assert task.owner.identifier.value == network.env.get("REFNET_SHELTER_AGENCY", "erbil-shelter")
    assert declined not in task.for_fhir.reference  # a pseudonym, not the reference


def test_who_gets_the_task_follows_the_status_rule(network, police, shelter, declined):
    own = fhir_task(network, declined, police)
    assert fhir_task(network, declined, shelter).json() == own.json()
    valid_task(fhir_task(network, declined, network.token("legal")))  # consent to legal help
    other = fhir_task(network, declined, network.token("police", agency="another-unit"))
    assert other.status_code == 404 and declined in other.json()["detail"]
    assert "application/problem+json" in other.headers["Content-Type"]
    assert network.api("GET", f"/referrals/{declined}/status",
                       network.token("police", agency="another-unit")).status_code == 404
    for role in ("analyst", "court", "admin"):
        refused = fhir_task(network, declined, network.token(role))
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["code"] == "forbidden" and "Task" not in refused.text


def test_accepted_then_admitted(network, police, shelter):
    r = submit(network, police, planted())
    reference = r.json()["reference"]
    network.wait_status(reference, "received", police)
    assert valid_task(fhir_task(network, reference, police)).status == "requested"
    assert network.api("POST", f"/referrals/{reference}/decision", shelter,
                       json={"decision": "accept"}).status_code == 200
    network.wait_status(reference, "bed_held", police)
    task = valid_task(fhir_task(network, reference, police))
    assert (task.status, task.businessStatus.text, task.statusReason) == ("accepted", "bed_held", None)

    admitted = network.api("POST", f"/shelters/{demo.FACILITY['id']}/admissions", shelter,
                           json={"reference": reference, "case_manager": "staff.fhir"})
    assert admitted.status_code == 201, admitted.text
    network.wait_status(reference, "admitted", police)
    response = fhir_task(network, reference, police)
    task = valid_task(response)
    assert (task.status, task.businessStatus.text) == ("in-progress", "admitted")
    assert "staff.fhir" not in response.text  # the timeline's notes stay out of the Task


def test_withdrawn_consent_answers_403_naming_consent(network, agency, shelter):
    police = network.token("police", agency=agency, user=f"officer.{uuid.uuid4().hex[:6]}")
    reference = submit(network, police).json()["reference"]
    network.wait_status(reference, "received", police)
    r = network.api("POST", f"/referrals/{reference}/consent", shelter,
                    json={"audience": "referring_police", "share": False})
    assert r.status_code == 200, r.text
    refused = fhir_task(network, reference, police)
    assert refused.status_code == 403 and refused.json()["field"] == "consent"
    assert "received" not in refused.text
