"""Consent to share the file with a provider, per agency (docs/decisions/0040), on real SQLite
and PostgreSQL databases built by the migrations: recorded at intake, changed by shelter staff
with its history and event, honoured by the very next read, and given by the migration to the
network's one shelter for the referrals from before."""

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from services.common.clock import SystemClock
from services.common.db import make_engine
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.migrations import upgrade
from services.referral import usecases
from services.referral.tables import file_consents, outbox

from tests.integration.conftest import SURVIVOR_NAME, caller, intake_command, submission

CLOCK = SystemClock()
A, B = "shelter-a", "shelter-b"


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


@pytest.fixture
def submit(db, keys):
    def _submit(share_file_with=None):
        body = submission()
        if share_file_with is not None:
            body["consent"]["share_file_with"] = share_file_with
        command = intake_command(keys.intake_public, body)
        reference, _ = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command)
        return reference
    return _submit


def _read(db, keys, agency, reference):
    return usecases.get_file(db, keys.cipher, caller("shelter", agency), reference, now=CLOCK.now())


def test_a_referral_to_the_network_shares_the_file_with_any_provider_by_default(db, keys, submit):
    reference = submit()
    for agency in (A, B):
        view = _read(db, keys, agency, reference)
        assert view["file_shared"] is True and view["submission"]["survivor"]["name"] == SURVIVOR_NAME


def test_consent_to_a_only_gives_b_the_summary(db, keys, submit):
    reference = submit([A])
    assert _read(db, keys, A, reference)["submission"]["survivor"]["name"] == SURVIVOR_NAME
    summary = _read(db, keys, B, reference)
    assert summary == {"reference": reference, "status": "submitted", "file_shared": False,
                       "population_group": "women", "beds_needed": 1, "urgency": "urgent",
                       "needs": ["shelter", "medical"], "service_languages": ["ku", "ar"],
                       "children_count": 0}
    assert SURVIVOR_NAME not in str(summary)


def test_withdrawing_a_providers_consent_holds_at_the_next_read(db, keys, submit):
    reference = submit()   # the network
    staff = caller("shelter", A, user="cm.a")
    state = usecases.record_consent(db, CLOCK, staff, reference, "provider", False, agency=A)
    assert _read(db, keys, A, reference)["file_shared"] is False     # the very next read
    assert _read(db, keys, B, reference)["file_shared"] is True      # the network's still stands
    assert {p["agency"]: p["share"] for p in state["providers"]} == {"*": True, A: False}
    assert [(h["audience"], h["agency"], h["share"]) for h in state["history"]] == [
        ("provider", "*", True), ("provider", A, False)]

    usecases.record_consent(db, CLOCK, staff, reference, "provider", True, purpose="placement",
                            agency=A)
    assert _read(db, keys, A, reference)["file_shared"] is True
    with db.read() as s:
        events = [r for r in s.execute(select(outbox)).all() if r.type == "referral.consent_changed"]
        assert s.execute(select(file_consents)).all()  # one row per agency, changed in place
    bodies = [json.loads(e.body) for e in events]
    assert [b["version"] for b in bodies] == [2, 2]
    assert [(b["payload"]["audience"], b["payload"]["agency"], b["payload"]["granted"])
            for b in bodies] == [("provider", A, False), ("provider", A, True)]


def test_bad_provider_consent_changes_nothing(db, keys, submit):
    reference = submit([A])
    staff = caller("shelter", A)
    with pytest.raises(InvalidInput) as exc:
        usecases.record_consent(db, CLOCK, staff, reference, "provider", True, purpose="x")
    assert exc.value.field == "agency"
    with pytest.raises(InvalidInput) as exc:
        usecases.record_consent(db, CLOCK, staff, reference, "legal_team", True, purpose="x",
                                agency=A)
    assert exc.value.field == "agency"
    with pytest.raises(Forbidden):
        usecases.record_consent(db, CLOCK, caller("police", "erbil-police"), reference,
                                "provider", True, purpose="x", agency=B)
    with pytest.raises(NotFound):
        _read(db, keys, A, "RN-AAAA-BBBB-CCCC-DDDD")
    assert _read(db, keys, B, reference)["file_shared"] is False
    assert [p["agency"] for p in usecases.get_consent(db, CLOCK, staff, reference)["providers"]] == [A]


def test_the_migration_gives_the_networks_shelter_file_consent(db_url, monkeypatch):
    monkeypatch.setenv("REFNET_SHELTER_AGENCY", "the-one-shelter")
    upgrade("referral", db_url, "0007")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO referrals (reference, referring_agency, submitted_by, status, "
                "population_group, urgency, needs, children_count, beds_needed, "
                "share_status_with_referrer, share_with_legal, file_ciphertext, body_hash, "
                "submitted_at, updated_at) VALUES ('RN-AAAA-BBBB-CCCC-DDD2', 'erbil-police', "
                "'officer', 'received', 'women', 'routine', '[]', 0, 1, true, true, :blob, 'h', "
                ":at, :at)"), {"blob": b"x", "at": at})
        upgrade("referral", db_url)
        with engine.connect() as conn:
            consents = conn.execute(text("SELECT agency, granted FROM file_consents")).all()
            history = conn.execute(text("SELECT audience, agency, granted, recorded_by "
                                        "FROM consent_records")).all()
    finally:
        engine.dispose()
    assert [(r[0], bool(r[1])) for r in consents] == [("the-one-shelter", True)]
    assert [(r[0], r[1], bool(r[2]), r[3]) for r in history] == [
        ("provider", "the-one-shelter", True, "migration")]
