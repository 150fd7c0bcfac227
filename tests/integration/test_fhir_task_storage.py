"""The FHIR Task use case on real SQLite and PostgreSQL databases built by the
migrations: the Task comes from what the referral service holds, under the status rule."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from fhir.resources.R4B.task import Task

from services.common.errors import Forbidden, NotFound
from services.contracts.envelope import make_event
from services.common.clock import SystemClock
from services.referral import usecases
from services.referral.domain import fhir_task

from tests.integration.conftest import (SURVIVOR_NAME, SURVIVOR_PHONE, caller, intake_command,
                                        submission)

SHELTER = "erbil-shelter"
POLICE_A, POLICE_B = "erbil-police", "duhok-police"
KEY = b"integration-pseudonym-key"
CLOCK = SystemClock()  # the referral use cases' clock
PROFILE_STATUSES = {"draft", "requested", "accepted", "rejected", "cancelled", "in-progress",
                    "on-hold", "failed", "completed", "entered-in-error"}


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


@pytest.fixture
def submit(db, keys):
    def _submit(body=None, **command_kw):
        command = intake_command(keys.intake_public, body or submission(), **command_kw)
        reference, _ = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command)
        return reference
    return _submit


def _at(minutes: int) -> datetime:
    return datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)


def _event(kind: str, reference: str, minutes: int, **payload) -> dict:
    at_field = {"received": "received_at"}.get(kind, "decided_at")
    if kind != "received":
        payload.setdefault("reason_code", None)
    return make_event(f"shelter.referral_{kind}",
                      {"reference": reference, at_field: _at(minutes), "agency": SHELTER, **payload},
                      source="shelter")


def test_a_declined_referral_is_a_rejected_task_with_the_reason(db, submit):
    reference = submit(agency=POLICE_A)
    usecases.apply_event(db, CLOCK, _event("received", reference, 1))
    usecases.apply_event(db, CLOCK, _event("declined", reference, 2, reason_code="no_bed_in_group"))

    task = usecases.get_fhir_task(db, CLOCK, KEY, caller("police", POLICE_A), reference)
    parsed = Task.model_validate(task)
    assert parsed.status == "rejected" and parsed.status in PROFILE_STATUSES
    assert parsed.statusReason.text is None
    assert [(c.system, c.code, c.display) for c in parsed.statusReason.coding] == [
        (fhir_task.REASON_SYSTEM, "no_bed_in_group", "No bed for the person's group")]
    assert parsed.businessStatus.text == "declined"
    assert task["requester"]["identifier"]["value"] == POLICE_A
    assert task["owner"]["identifier"]["value"] == SHELTER
    assert task["lastModified"] == "2026-03-01T10:02:00Z"
    assert task["for"]["reference"] == f"Patient/{fhir_task.patient_pseudonym(KEY, reference)}"
    text = json.dumps(task)
    assert SURVIVOR_NAME not in text and SURVIVOR_PHONE not in text and "officer.one" not in text
    # the shelter and the legal team (consent to legal help) read the same Task
    assert usecases.get_fhir_task(db, CLOCK, KEY, caller("shelter", SHELTER), reference) == task
    assert usecases.get_fhir_task(db, CLOCK, KEY, caller("legal", "legal-aid"), reference) == task


def test_submitted_accepted_and_withdrawn(db, submit):
    reference = submit(agency=POLICE_A, body=submission(urgency="emergency"))
    police = caller("police", POLICE_A)
    task = usecases.get_fhir_task(db, CLOCK, KEY, police, reference)
    assert (task["status"], task["priority"], "owner" in task) == ("requested", "stat", False)

    usecases.apply_event(db, CLOCK, _event("received", reference, 1))
    usecases.apply_event(db, CLOCK, _event("accepted", reference, 2))
    assert usecases.get_fhir_task(db, CLOCK, KEY, police, reference)["status"] == "accepted"

    other = submit(agency=POLICE_A)
    usecases.withdraw(db, CLOCK, police, other, "the person went home", reason_code="returned_home")
    task = usecases.get_fhir_task(db, CLOCK, KEY, police, other)
    assert (task["status"], task["statusReason"]) == ("cancelled", {"coding": [
        {"system": fhir_task.REASON_SYSTEM, "code": "returned_home", "display": "Returned home"}]})
    assert "went home" not in json.dumps(task)
    Task.model_validate(task)


def test_the_status_rule_decides_who_gets_a_task(db, submit):
    reference = submit(agency=POLICE_A)
    no_consent = submit(submission(share_status=False, share_legal=False), agency=POLICE_A)
    for who, ref in ((caller("police", POLICE_B), reference),        # another agency's police
                     (caller("analyst", "analytics"), reference),    # no status access at all
                     (caller("court", "erbil-court"), reference),
                     (caller("admin", "refnet"), reference),
                     (caller("police", POLICE_A), no_consent),        # never consented
                     (caller("legal", "legal-aid"), no_consent),
                     (caller("police", POLICE_A), "RN-AAAA-BBBB-CCCC-DDDD"),
                     (caller("police", POLICE_A), "not-a-reference")):
        with pytest.raises(NotFound):
            usecases.get_fhir_task(db, CLOCK, KEY, who, ref)
        # the same answer as the status endpoint's
        with pytest.raises(NotFound):
            usecases.get_status(db, CLOCK, who, ref)


def test_withdrawn_consent_gets_no_task_but_says_why(db, submit):
    reference = submit(agency=POLICE_A)
    usecases.record_consent(db, CLOCK, caller("shelter", SHELTER), reference, "referring_police", False)
    with pytest.raises(Forbidden) as refused:
        usecases.get_fhir_task(db, CLOCK, KEY, caller("police", POLICE_A), reference)
    assert refused.value.field == "consent"
    assert usecases.get_status(db, CLOCK, caller("police", POLICE_A), reference)["status"] == "consent_withdrawn"
    # another agency still learns nothing
    with pytest.raises(NotFound):
        usecases.get_fhir_task(db, CLOCK, KEY, caller("police", POLICE_B), reference)
