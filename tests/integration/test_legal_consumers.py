"""The referral and shelter services consume legal events on real SQLite and PostgreSQL: the
referral timeline gains court status and hearing dates for those allowed, the shelter records
its residents' hearings and turns a reminder into an accompaniment task; each event once."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from services.common.caller import Caller
from services.common.errors import NotFound
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.common.clock import SystemClock
from services.referral import usecases as referral_app
from services.referral.tables import referrals
from services.shelter import usecases as shelter_app
from services.shelter.tables import incoming, placements

UTC = timezone.utc
POLICE = Caller("officer.one", "police", "erbil-tip-unit")
OTHER_POLICE = Caller("officer.two", "police", "duhok-tip-unit")
SHELTER = Caller("staff.one", "shelter", "erbil-shelter")
COURT_ID = "erbil-criminal-court"
CC, H1 = "b" * 32, "c" * 32


def _legal_events(reference: str, starts: datetime) -> list[dict]:
    now = datetime.now(UTC)
    return [
        make_event("legal.court_status_changed", {
            "reference": reference, "case_id": "a" * 32, "court_case_id": CC, "court": COURT_ID,
            "status": "filed", "previous_status": "investigation", "verdict": None,
            "changed_at": now}, source="legal"),
        make_event("legal.hearing_scheduled", {
            "reference": reference, "court_case_id": CC, "hearing_id": H1, "court": COURT_ID,
            "starts_at": starts, "time_zone": "Asia/Baghdad", "attendance_required": True,
            "postponed_from": None, "scheduled_at": now}, source="legal"),
    ]


@pytest.fixture
def referral_db(databases):
    return databases.database(databases.migrated("referral"))


@pytest.fixture
def shelter_db(databases):
    return databases.database(databases.migrated("shelter"))


def _referral(db, reference, share_status=True):
    now = datetime.now(UTC)
    with db.write() as s:
        s.execute(insert(referrals).values(
            reference=reference, referring_agency=POLICE.agency, submitted_by="officer.one",
            status="accepted", population_group="women", urgency="urgent", needs="[]",
            children_count=0, beds_needed=1, share_status_with_referrer=share_status,
            share_with_legal=True, file_ciphertext=b"x", body_hash="0" * 64, submitted_at=now,
            updated_at=now))


def test_the_referral_timeline_shows_court_status_and_hearing_date(referral_db):
    reference = random_reference()
    _referral(referral_db, reference)
    starts = datetime(2030, 12, 10, 6, 30, tzinfo=UTC)
    for event in _legal_events(reference, starts):
        assert referral_app.apply_event(referral_db, SystemClock(), event) is True
        assert referral_app.apply_event(referral_db, SystemClock(), event) is False  # once per event_id
    status = referral_app.get_status(referral_db, SystemClock(), POLICE, reference)
    assert [e["status"] for e in status["timeline"]] == ["court_filed", "hearing_scheduled"]
    assert status["legal"]["court_cases"][0]["status"] == "filed"
    assert status["legal"]["hearings"][0]["starts_at"] == "2030-12-10T06:30:00Z"
    assert status["legal"]["hearings"][0]["starts_at_local"] == "2030-12-10T09:30:00+03:00"
    assert referral_app.get_status(referral_db, SystemClock(), SHELTER, reference)["legal"]["hearings"]
    with pytest.raises(NotFound):
        referral_app.get_status(referral_db, SystemClock(), OTHER_POLICE, reference)


def test_without_consent_the_police_see_no_legal_entries(referral_db):
    reference = random_reference()
    _referral(referral_db, reference, share_status=False)
    for event in _legal_events(reference, datetime(2030, 1, 1, tzinfo=UTC)):
        referral_app.apply_event(referral_db, SystemClock(), event)
    with pytest.raises(NotFound):
        referral_app.get_status(referral_db, SystemClock(), POLICE, reference)
    assert referral_app.get_status(referral_db, SystemClock(), SHELTER, reference)["legal"]["court_cases"]


def _incoming(db, reference, status):
    with db.write() as s:
        s.execute(insert(incoming).values(
            reference=reference, population_group="women", urgency="urgent", needs="[]",
            children_count=0, beds_needed=1, referring_agency=POLICE.agency, status=status,
            received_at=datetime.now(UTC)))
        if status == "accepted":  # accepting places: the hearing is of this provider's resident
            s.execute(insert(placements).values(
                reference=reference, state="waitlisted", population_group="women",
                urgency="urgent", beds=1, provider=SHELTER.agency, waitlisted_at=datetime.now(UTC),
                updated_at=datetime.now(UTC)))


def test_the_shelter_records_residents_hearings_and_the_reminder_task(shelter_db):
    resident, stranger = random_reference(), random_reference()
    _incoming(shelter_db, resident, "accepted")
    _incoming(shelter_db, stranger, "declined")
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    for reference in (resident, stranger):
        for event in _legal_events(reference, starts):
            shelter_app.apply_event(shelter_db, event, agency="erbil-shelter")
    [hearing] = shelter_app.list_hearings(shelter_db, SHELTER)
    assert hearing["reference"] == resident and hearing["accompaniment"] is None
    reminder = make_event("legal.hearing_reminder", {
        "reference": resident, "hearing_id": H1, "court": COURT_ID, "starts_at": starts,
        "time_zone": "Asia/Baghdad", "due_at": starts - timedelta(hours=72),
        "sent_at": datetime.now(UTC)}, source="legal")
    assert shelter_app.apply_event(shelter_db, reminder, agency="erbil-shelter") is True
    assert shelter_app.apply_event(shelter_db, reminder, agency="erbil-shelter") is False
    [hearing] = shelter_app.list_hearings(shelter_db, SHELTER)
    assert hearing["accompaniment"]["status"] == "to_arrange"
    assert hearing["accompaniment"]["due_at"] == (starts - timedelta(hours=72)).isoformat().replace("+00:00", "Z")
    with pytest.raises(Exception):
        shelter_app.list_hearings(shelter_db, POLICE)
