"""The referral's status as a FHIR R4 Task: the lifecycle mapping, the profile's
required elements, validation with fhir.resources (R4B Task), and the gateway endpoint."""

import json
import re

import pytest
from fhir.resources.R4B.task import Task

from gateway import api
from services.common import errors as se
from services.contracts.vocabulary import REFERRAL_STATUSES
from services.referral.domain import fhir_task
from services.referral.domain.visibility import shape

from .conftest import REF, REF2

# FHIR R4 task-status (http://hl7.org/fhir/task-status, 4.0.1): all twelve codes
R4_TASK_STATUS = {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
                  "in-progress", "on-hold", "failed", "completed", "entered-in-error"}
# SDOHCC-ValueSetReferralTaskStatus: imports R4 TaskStatus, excludes `received` and `ready`.
# fhir.resources does not check Task.status against any value set, so this test does.
SDOHCC_REFERRAL_TASK_STATUS = R4_TASK_STATUS - {"received", "ready"}

# what each lifecycle status means to a FHIR partner (docs/decisions/0025)
EXPECTED = {
    "submitted": "requested", "received": "requested", "screening": "requested",
    "accepted": "accepted", "waitlisted": "accepted", "bed_held": "accepted",
    "admitted": "in-progress", "discharged": "completed",
    "declined": "rejected", "withdrawn": "cancelled",
}
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
SUBMITTED = "2026-11-20T09:30:00Z"
POLICE, SHELTER = "tip-unit-1", "erbil-shelter"


def _entry(minute, status, agency=SHELTER, note="note"):
    return {"at": f"2026-11-20T09:{30 + minute:02d}:00Z", "agency": agency, "status": status,
            "note": note}


# a plausible timeline that ends in each status (the lifecycle's own notes)
PATHS = {
    "submitted": [],
    "received": ["received"],
    "screening": ["received", "screening"],
    "accepted": ["received", "accepted"],
    "waitlisted": ["received", "accepted", "waitlisted"],
    "bed_held": ["received", "accepted", "bed_held"],
    "admitted": ["received", "accepted", "bed_held", "admitted"],
    "discharged": ["received", "accepted", "bed_held", "admitted", "discharged"],
    "declined": ["received", "declined"],
    "withdrawn": ["received", "withdrawn"],
    "closed": ["received", "accepted", "admitted", "discharged", "closed"],
}
NOTES = {"declined": "Declined: No bed for the person's group",
         "withdrawn": "Withdrawn: Returned home"}
CODES = {"declined": "no_bed_in_group", "withdrawn": "returned_home"}
REASONS = "https://refnet.example.org/fhir/CodeSystem/status-reason"


def timeline_to(status):
    entries = [_entry(0, "submitted", POLICE, "Referral submitted")]
    for i, step in enumerate(PATHS[status], start=1):
        agency = POLICE if step == "withdrawn" else SHELTER
        entries.append(_entry(i, step, agency, NOTES.get(step, step)))
        if step in CODES:
            entries[-1]["reason_code"] = CODES[step]
    return entries


def coded(code, display):
    return {"coding": [{"system": REASONS, "code": code, "display": display}]}


def build(status, timeline=None, reference=REF, urgency="urgent"):
    return fhir_task.build_task(
        reference=reference, status=status, referring_agency=POLICE, submitted_at=SUBMITTED,
        urgency=urgency, timeline=timeline_to(status) if timeline is None else timeline,
        patient=fhir_task.patient_pseudonym(b"unit-test-key", reference))


# --- the mapping -----------------------------------------------------------------------------------

def test_every_lifecycle_status_is_mapped():
    assert set(fhir_task.TASK_STATUS) | {"closed"} == set(REFERRAL_STATUSES)
    assert fhir_task.TASK_STATUS == EXPECTED


@pytest.mark.parametrize("status", REFERRAL_STATUSES)
def test_every_mapped_status_is_in_the_profiles_value_set(status):
    mapped = fhir_task.task_status(status, timeline_to(status))
    assert mapped in SDOHCC_REFERRAL_TASK_STATUS
    assert mapped not in ("received", "ready")


def test_the_modules_profile_set_is_the_profiles():
    assert fhir_task.PROFILE_STATUSES == SDOHCC_REFERRAL_TASK_STATUS


@pytest.mark.parametrize("before,expected", [("discharged", "completed"), ("declined", "rejected"),
                                              ("withdrawn", "cancelled")])
def test_closed_keeps_the_task_status_of_what_it_closed(before, expected):
    timeline = timeline_to(before) + [_entry(9, "closed", SHELTER, "Closed")]
    assert fhir_task.task_status("closed", timeline) == expected


def test_closed_without_a_timeline_is_completed():
    assert fhir_task.task_status("closed", []) == "completed"


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="consent_withdrawn"):
        fhir_task.task_status("consent_withdrawn")


# --- the Task ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", REFERRAL_STATUSES)
def test_the_task_of_every_status_validates_as_an_r4_task(status):
    task = build(status)
    parsed = Task.model_validate(task)  # raises on a missing required element or an unknown one
    assert parsed.status == fhir_task.task_status(status, timeline_to(status))
    assert parsed.businessStatus.text == status
    assert parsed.businessStatus.coding[0].code == status
    assert parsed.businessStatus.coding[0].system == fhir_task.STATUS_SYSTEM
    # round trip: what fhir.resources writes back is what we sent
    assert json.loads(parsed.model_dump_json(by_alias=True, exclude_none=True)) == task


@pytest.mark.parametrize("status", REFERRAL_STATUSES)
def test_the_profiles_required_elements_are_there(status):
    task = build(status)
    assert task["meta"]["profile"] == [
        "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"]
    assert task["intent"] == "order"
    assert task["code"]["coding"] == [{"system": "http://hl7.org/fhir/CodeSystem/task-code",
                                       "code": "fulfill", "display": "Fulfill the focal request"}]
    assert task["focus"] == {"reference": f"ServiceRequest/{REF}", "type": "ServiceRequest"}
    assert task["for"]["type"] == "Patient" and task["for"]["reference"].startswith("Patient/p")
    assert task["authoredOn"] == SUBMITTED
    assert task["requester"] == {"type": "Organization", "identifier": {
        "system": fhir_task.AGENCY_SYSTEM, "value": POLICE}}
    assert task["identifier"] == [{"use": "official", "system": fhir_task.REFERENCE_SYSTEM,
                                   "value": REF}]
    assert task["id"] == REF and FHIR_ID.match(task["id"])
    assert task["lastModified"] == timeline_to(status)[-1]["at"]


def test_a_declined_referral_is_rejected_with_the_shelters_reason_code():
    task = build("declined")
    assert task["status"] == "rejected"
    assert task["statusReason"] == coded("no_bed_in_group", "No bed for the person's group")
    assert task["owner"]["identifier"]["value"] == SHELTER


def test_the_flag_after_the_last_decline_keeps_its_code_and_the_owner_is_the_holder():
    # no provider left after the last decline: a flag entry follows it (docs/decisions/0039)
    timeline = timeline_to("declined") + [_entry(9, "declined", SHELTER, "No provider left")]
    task = fhir_task.build_task(
        reference=REF, status="declined", referring_agency=POLICE, submitted_at=SUBMITTED,
        urgency="urgent", timeline=timeline, holder="provider-b",
        patient=fhir_task.patient_pseudonym(b"unit-test-key", REF))
    assert task["statusReason"] == coded("no_bed_in_group", "No bed for the person's group")
    assert task["owner"]["identifier"]["value"] == "provider-b"


def test_a_withdrawn_referral_is_cancelled_with_the_polices_reason_code():
    task = build("withdrawn")
    assert (task["status"], task["statusReason"]) == (
        "cancelled", coded("returned_home", "Returned home"))


def test_a_status_reason_is_the_code_never_the_entrys_text():
    """docs/decisions/0036: whatever a note says (an entry from before the codes), the Task
    carries a code and no text."""
    timeline = [_entry(0, "submitted", POLICE), _entry(1, "withdrawn", POLICE,
                                                       "Withdrawn: her brother came to fetch her")]
    task = build("withdrawn", timeline)
    assert task["statusReason"] == coded("unknown", "Reason not recorded")
    assert "brother" not in str(task)
    assert "owner" not in task  # never received: no shelter owns it yet


def test_a_closed_declined_referral_keeps_its_reason():
    timeline = timeline_to("declined") + [_entry(9, "closed", SHELTER, "Closed")]
    task = build("closed", timeline)
    assert (task["status"], task["statusReason"]["coding"][0]["code"]) == (
        "rejected", "no_bed_in_group")
    assert task["businessStatus"]["text"] == "closed"


def test_an_anonymised_decline_keeps_only_its_code():
    timeline = timeline_to("declined")
    timeline[-1]["note"] = "(anonymised)"
    assert build("declined", timeline)["statusReason"] == coded(
        "no_bed_in_group", "No bed for the person's group")


@pytest.mark.parametrize("status", ["submitted", "received", "accepted", "admitted", "discharged"])
def test_no_status_reason_unless_rejected_or_cancelled(status):
    assert "statusReason" not in build(status)


def test_owner_is_the_shelter_that_received_it():
    assert "owner" not in build("submitted")
    assert build("received")["owner"]["identifier"]["value"] == SHELTER


@pytest.mark.parametrize("urgency,priority", [("routine", "routine"), ("urgent", "urgent"),
                                              ("emergency", "stat")])
def test_urgency_becomes_priority(urgency, priority):
    assert build("submitted", urgency=urgency)["priority"] == priority


def test_the_task_carries_no_note_but_the_reason():
    task = json.dumps(build("admitted", [
        _entry(0, "submitted", POLICE, "Referral submitted"),
        _entry(1, "received", SHELTER, "Received by the shelter"),
        _entry(2, "admitted", SHELTER, "Admitted at erbil-main; case manager staff.cm1")]))
    assert "staff.cm1" not in task and "case manager" not in task


# --- the pseudonym ---------------------------------------------------------------------------------

def test_the_patient_pseudonym_is_keyed_stable_and_per_referral():
    one = fhir_task.patient_pseudonym(b"key-1", REF)
    assert one == fhir_task.patient_pseudonym(b"key-1", REF)
    assert one != fhir_task.patient_pseudonym(b"key-1", REF2)
    assert one != fhir_task.patient_pseudonym(b"key-2", REF)
    assert FHIR_ID.match(one) and len(one) == 33
    assert REF not in one and REF.replace("-", "").lower() not in one


# --- who sees it -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["shelter", "police", "legal"])
def test_the_status_audiences_get_the_whole_task(role):
    task = build("declined")
    assert shape("fhir_task", role, task) == task


@pytest.mark.parametrize("role", ["court", "admin", "analyst"])
def test_other_roles_are_granted_nothing(role):
    assert shape("fhir_task", role, build("declined")) == {}


# --- the gateway -----------------------------------------------------------------------------------

FHIR_PATH = f"/api/v1/referrals/{REF}/fhir-task"


@pytest.mark.parametrize("role", ["police", "shelter", "legal"])
def test_the_endpoint_answers_fhir_json_from_the_referral_service(client, rpc, auth, role):
    rpc.responses[("referral", "get_fhir_task")] = build("declined")
    response = client.get(FHIR_PATH, headers=auth(role, agency="erbil-unit"))
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.get_json(force=True) == build("declined")
    assert response.get_data(as_text=True).startswith('{"resourceType": "Task"')
    [(service, method, kwargs)] = rpc.calls
    assert (service, method, kwargs["reference"]) == ("referral", "get_fhir_task", REF)
    assert kwargs["caller"]["role"] == role and kwargs["caller"]["agency"] == "erbil-unit"


@pytest.mark.parametrize("role", ["analyst", "court", "admin"])
def test_roles_without_status_access_get_403_and_reach_no_service(client, rpc, auth, role):
    response = client.get(FHIR_PATH, headers=auth(role))
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert rpc.calls == []


def test_the_endpoint_has_exactly_the_status_endpoints_roles():
    by_name = {e.name: e for e in api.ENDPOINTS}
    assert by_name["referral_fhir_task"].roles == by_name["referral_status"].roles


@pytest.mark.parametrize("exc,status,field", [
    (se.NotFound(f"no referral {REF}", field="reference"), 404, "reference"),
    (se.Forbidden("the survivor withdrew consent", field="consent"), 403, "consent"),
])
def test_refusals_from_the_referral_service_are_problems(client, rpc, auth, exc, status, field):
    rpc.responses[("referral", "get_fhir_task")] = exc
    response = client.get(FHIR_PATH, headers=auth("police"))
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json()["field"] == field


def test_openapi_documents_the_fhir_media_type(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/referrals/{reference}/fhir-task"]["get"]
    content = operation["responses"]["200"]["content"]
    assert list(content) == ["application/fhir+json"]
    schema = content["application/fhir+json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][name]["properties"]
    assert {"for", "focus", "businessStatus", "statusReason", "authoredOn"} <= set(properties)
    assert set(operation["responses"]) >= {"200", "401", "403", "404", "503"}
