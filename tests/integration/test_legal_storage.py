"""The legal service's eligibility use cases on real SQLite and PostgreSQL (migrated)."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from services.common.errors import Forbidden
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.legal import usecases as app
from services.legal.tables import eligible, processed_events

from tests.integration.conftest import caller, count

LEGAL = caller("legal", "legal-aid")


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("legal", db_url))


def _accepted(reference: str, consent: bool = True, day: int = 1, version: int = 2) -> dict:
    payload = {"reference": reference, "decided_at": datetime(2026, 3, day, 12, tzinfo=timezone.utc),
               "legal_consent": consent}
    if version == 2:
        payload.update(referring_agency="erbil-police", share_status_with_referrer=True,
                       shelter_agency="erbil-shelter")
    return make_event("referral.accepted", payload, source="referral", version=version)


def test_an_accepted_referral_with_consent_becomes_eligible_once(db):
    first, second, no_consent = random_reference(), random_reference(), random_reference()
    event = _accepted(second, day=2)
    assert app.apply_event(db, event) is True
    assert app.apply_event(db, event) is False  # redelivered
    assert app.apply_event(db, _accepted(first, day=1)) is True
    assert app.apply_event(db, _accepted(no_consent, consent=False)) is True
    assert app.apply_event(db, _accepted(second, day=3)) is True  # another event, same referral

    assert app.list_eligible(db, LEGAL) == [
        {"reference": first, "status": "eligible", "eligible_since": "2026-03-01T12:00:00Z"},
        {"reference": second, "status": "eligible", "eligible_since": "2026-03-02T12:00:00Z"}]
    assert (count(db, eligible), count(db, processed_events)) == (2, 4)


def test_the_older_version_of_the_acceptance_is_still_read(db):
    """Contracts are versioned, never edited: an event published before v2 still counts."""
    reference = random_reference()
    assert app.apply_event(db, _accepted(reference, version=1)) is True
    assert [e["reference"] for e in app.list_eligible(db, LEGAL)] == [reference]
    with db.read() as s:
        row = s.execute(select(eligible).where(eligible.c.reference == reference)).one()
    assert (row.referring_agency, row.share_status_with_referrer, row.shelter_agency) == (None, None, None)


def test_a_withdrawal_ends_eligibility(db):
    reference = random_reference()
    app.apply_event(db, _accepted(reference))
    withdrawn = make_event("referral.withdrawn", {"reference": reference,
                                                  "withdrawn_at": datetime.now(timezone.utc),
                                                  "reason_code": "returned_home"},
                           source="referral")
    assert app.apply_event(db, withdrawn) is True
    assert app.list_eligible(db, LEGAL) == []
    assert count(db, eligible, eligible.c.status == "withdrawn") == 1


def test_other_events_and_roles(db):
    received = make_event("shelter.referral_received", {
        "reference": random_reference(), "received_at": datetime.now(timezone.utc),
        "agency": "erbil-shelter"}, source="shelter")
    assert app.apply_event(db, received) is False
    assert count(db, processed_events) == 0
    with pytest.raises(Forbidden):
        app.list_eligible(db, caller("police", "erbil-police"))
