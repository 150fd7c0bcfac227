"""The referral service follows the holder (docs/decisions/0039) on real SQLite and PostgreSQL
databases: ``held_by`` from the shelter's offers (the newest wins), timeline entries naming the
agencies without moving the status back, the file, status and FHIR Task for the holder's staff
only, and the admins' list of unplaced referrals."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.clock import SystemClock
from services.common.errors import Forbidden, NotFound
from services.contracts.envelope import make_event
from services.referral import usecases

from tests.integration.conftest import caller, intake_command, submission

A, B = "erbil-shelter", "provider-b"
POLICE = "erbil-police"
CLOCK = SystemClock()
KEY = b"k" * 32


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


@pytest.fixture
def reference(db, keys):
    command = intake_command(keys.intake_public, submission())
    reference, _ = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command)
    return reference


def _at(minutes: int) -> datetime:
    return datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)


def _offered(reference, agency, why, minutes, previous=None, reason_code=None):
    return make_event("shelter.referral_offered", {
        "reference": reference, "agency": agency, "previous_agency": previous, "why": why,
        "reason_code": reason_code, "offered_at": _at(minutes),
        "answer_due_at": _at(minutes + 60)}, source="shelter")


def _status(db, who, reference):
    return usecases.get_status(db, CLOCK, who, reference, default_holder=A)


def test_the_holder_moves_on_the_timeline_names_the_agencies(db, keys, reference):
    police, staff_a, staff_b = caller("police", POLICE), caller("shelter", A), caller("shelter", B)
    usecases.apply_event(db, CLOCK, make_event("shelter.referral_received", {
        "reference": reference, "received_at": _at(1), "agency": A}, source="shelter"))
    assert usecases.apply_event(db, CLOCK, _offered(reference, A, "routed", 1))
    assert _status(db, police, reference)["held_by"] == A
    # the escalation's offer overtakes the decline's: the newer one holds it
    usecases.apply_event(db, CLOCK, _offered(reference, "provider-c", "escalated", 70, previous=B))
    usecases.apply_event(db, CLOCK, _offered(reference, B, "declined", 5, previous=A,
                                             reason_code="no_bed_in_group"))
    view = _status(db, police, reference)
    assert (view["status"], view["held_by"]) == ("received", "provider-c")
    notes = [e["note"] for e in view["timeline"]]
    assert f"Declined by {A}: No bed for the person's group; offered to {B}" in notes
    assert f"Not answered in time by {B}; escalated to provider-c" in notes
    assert [e["status"] for e in view["timeline"]] == ["submitted", "received", "received",
                                                       "received"]
    # the holder's staff only: A and B no longer see the file, the status or the Task
    staff_c = caller("shelter", "provider-c")
    assert usecases.get_file(db, keys.cipher, staff_c, reference, default_holder=A)["reference"]
    for who in (staff_a, staff_b):
        with pytest.raises(NotFound):
            usecases.get_file(db, keys.cipher, who, reference, default_holder=A)
        with pytest.raises(NotFound):
            _status(db, who, reference)
    task = usecases.get_fhir_task(db, CLOCK, KEY, police, reference, default_holder=A)
    assert task["owner"]["identifier"]["value"] == "provider-c"
    assert [i["reference"] for i in usecases.list_referrals(
        db, CLOCK, staff_c, shelter_agency=A)["items"]] == [reference]
    assert usecases.list_referrals(db, CLOCK, staff_a, shelter_agency=A)["items"] == []


def test_unplaced_referrals_are_listed_to_admins_once(db, reference):
    admin = caller("admin", "refnet-admin")
    usecases.apply_event(db, CLOCK, _offered(reference, A, "routed", 1))
    flag = make_event("shelter.referral_unplaced", {
        "reference": reference, "previous_agency": A, "reason": "no_provider_left",
        "flagged_at": _at(90)}, source="shelter")
    assert usecases.apply_event(db, CLOCK, flag)
    again = make_event("shelter.referral_unplaced", {
        "reference": reference, "previous_agency": A, "reason": "no_provider_left",
        "flagged_at": _at(95)}, source="shelter")
    usecases.apply_event(db, CLOCK, again)  # another event id, the same flag: once
    [item] = usecases.list_unplaced(db, admin)["items"]
    assert item == {"reference": reference, "status": "received",
                    "unplaced_since": "2026-03-01T11:30:00Z", "last_holder": A}
    timeline = _status(db, caller("police", POLICE), reference)["timeline"]
    assert sum("flagged to the network's admins" in e["note"] for e in timeline) == 1
    with pytest.raises(Forbidden):
        usecases.list_unplaced(db, caller("police", POLICE))


def test_an_offer_consumed_after_the_new_holders_acceptance_changes_no_status(db, reference):
    police = caller("police", POLICE)
    usecases.apply_event(db, CLOCK, _offered(reference, A, "routed", 1))
    usecases.apply_event(db, CLOCK, make_event("shelter.referral_accepted", {
        "reference": reference, "decided_at": _at(10), "agency": B, "reason_code": None},
        source="shelter"))
    usecases.apply_event(db, CLOCK, _offered(reference, B, "declined", 5, previous=A,
                                             reason_code="duplicate"))
    view = _status(db, police, reference)
    assert (view["status"], view["held_by"]) == ("accepted", B)
    assert [e["status"] for e in view["timeline"]].count("accepted") == 1
