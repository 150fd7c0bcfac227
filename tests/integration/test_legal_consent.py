"""The survivor's consent on every legal path, on real SQLite and PostgreSQL (migrated by
alembic), applied as the service applies it: through the consumer use case.

* Once the consent to legal help is withdrawn, every read and write of the legal team by an id
  it still holds (document, dispute, hearing, case, court case) is ``NotFound`` with the very
  answer an id that never existed gets, and changes nothing; every list leaves the referral out.
* Each audience keeps its own consent time: a police-audience withdrawal that arrives after a
  later legal-team change is still applied.
"""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from services.common.clock import FixedClock
from services.common.errors import NotFound
from services.common.migrations import upgrade
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.legal import usecases as app
from services.legal.tables import eligible
from services.legal.usecases.common import new_id
from tests.integration.legal_fixtures import (COURT, LEGAL, POLICE, SHELTER, accepted_event,
                                              local, open_case_with_court_case, table_dump)

UTC = timezone.utc


@pytest.fixture
def db(databases):
    return databases.database(databases.migrated("legal"))


def consent_event(reference: str, audience: str, granted: bool, changed_at: datetime,
                  until: datetime | None = None) -> dict:
    return make_event("referral.consent_changed", {
        "reference": reference, "audience": audience, "granted": granted, "until": until,
        "changed_at": changed_at}, source="referral")


def referral_request_event(reference: str) -> dict:
    return make_event("shelter.legal_referral_requested", {
        "reference": reference, "request_id": new_id(), "service": "court_representation",
        "requested_at": datetime.now(UTC), "agency": SHELTER.agency}, source="shelter")


def _everything(db) -> dict:
    """A referral with a legal case and every part of it, and a hearing the survivor attends."""
    reference, case, court_case = open_case_with_court_case(db)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    hearing = app.schedule_hearing(db, LEGAL, court_case["court_case_id"], local(starts),
                                   "Asia/Baghdad", "Testimony of the survivor", True)
    document = app.request_document(db, LEGAL, case["case_id"], "passport", "Embassy of Ethiopia")
    dispute = app.open_dispute(db, LEGAL, case["case_id"], "Gulf Manpower Recruiting",
                               ["unpaid_wages"], 2_400_000, "IQD")
    assert app.apply_event(db, referral_request_event(reference)) is True
    return {"reference": reference, "case_id": case["case_id"],
            "court_case_id": court_case["court_case_id"], "hearing_id": hearing["hearing_id"],
            "document_id": document["document_id"], "dispute_id": dispute["dispute_id"],
            "later": local(starts + timedelta(days=7))}


def _withdraw_legal_consent(db, reference: str, at: datetime | None = None) -> None:
    at = at or datetime.now(UTC)
    assert app.apply_event(db, consent_event(reference, "legal_team", False, at)) is True


# Every path of the legal team that names a record by id: (name, id kind, call). Each call
# takes the database and the id; the first three are the ones that ignored consent.
BY_ID = [
    ("change_document_status", "document_id",
     lambda db, i, w: app.change_document_status(db, LEGAL, i, "submitted")),
    ("update_dispute", "dispute_id",
     lambda db, i, w: app.update_dispute(db, LEGAL, i, "settled", "Wages paid", 1_800_000)),
    ("record_outcome held", "hearing_id",
     lambda db, i, w: app.record_outcome(db, LEGAL, i, "held", note="Testimony given")),
    ("record_outcome postponed", "hearing_id",
     lambda db, i, w: app.record_outcome(db, LEGAL, i, "postponed", new_starts_at=w["later"])),
    ("get_case", "case_id", lambda db, i, w: app.get_case(db, LEGAL, i)),
    ("add_session", "case_id",
     lambda db, i, w: app.add_session(db, LEGAL, i, "2026-11-30", "Rights in court")),
    ("add_note", "case_id", lambda db, i, w: app.add_note(db, LEGAL, i, "A strategy note")),
    ("request_document", "case_id",
     lambda db, i, w: app.request_document(db, LEGAL, i, "identity_card", "Civil registry")),
    ("open_dispute", "case_id",
     lambda db, i, w: app.open_dispute(db, LEGAL, i, "Another employer", ["unpaid_wages"])),
    ("file_court_case", "case_id",
     lambda db, i, w: app.file_court_case(db, LEGAL, i, "erbil-criminal-court", "9999/2026",
                                          [{"statute": "law-6-2018"}], "victim")),
    ("get_court_case", "court_case_id", lambda db, i, w: app.get_court_case(db, LEGAL, i)),
    ("change_court_status", "court_case_id",
     lambda db, i, w: app.change_court_status(db, LEGAL, i, "filed")),
    ("schedule_hearing", "court_case_id",
     lambda db, i, w: app.schedule_hearing(db, LEGAL, i, w["later"], "Asia/Baghdad",
                                           "Closing arguments", False)),
]


def _refusal(call, db, record_id, world):
    with pytest.raises(NotFound) as info:
        call(db, record_id, world)
    return type(info.value), info.value.field, info.value.detail.replace(record_id, "<id>")


@pytest.mark.parametrize("name,kind,call", BY_ID, ids=[b[0] for b in BY_ID])
def test_a_lawyer_with_an_old_id_gets_not_found_once_consent_is_withdrawn(db, name, kind, call):
    world = _everything(db)
    _withdraw_legal_consent(db, world["reference"])
    before = table_dump(db)
    refused = _refusal(call, db, world[kind], world)
    # the same answer as for a record that never existed: nothing tells the two apart
    assert refused == _refusal(call, db, new_id(), world)
    assert table_dump(db) == before


def test_withdrawn_consent_leaves_the_referral_out_of_every_list(db):
    world, other = _everything(db), _everything(db)
    _withdraw_legal_consent(db, world["reference"])
    assert {r["reference"] for r in app.list_referral_requests(db, LEGAL)} == {other["reference"]}
    assert {c["case_id"] for c in app.list_cases(db, LEGAL)} == {other["case_id"]}
    assert {c["court_case_id"] for c in app.list_court_cases(db, LEGAL)} == {other["court_case_id"]}
    assert {h["hearing_id"] for h in app.list_hearings(db, LEGAL)} == {other["hearing_id"]}
    shown = {e["reference"]: e for e in app.list_eligible(db, LEGAL)}
    assert shown[world["reference"]] == {"reference": world["reference"],
                                         "status": "consent_withdrawn",
                                         "eligible_since": shown[world["reference"]]["eligible_since"]}
    # the court works on regardless: the court is not an audience of the survivor's consent
    assert app.record_outcome(db, COURT, world["hearing_id"], "held")["status"] == "held"


def test_consent_whose_end_date_passed_hides_as_withdrawal_does(db):
    world = _everything(db)
    now = datetime.now(UTC)
    assert app.apply_event(db, consent_event(world["reference"], "legal_team", True, now,
                                             until=now + timedelta(days=1))) is True
    after_end = FixedClock(now + timedelta(days=2))
    for call in (lambda: app.change_document_status(db, LEGAL, world["document_id"], "submitted",
                                                    clock=after_end),
                 lambda: app.update_dispute(db, LEGAL, world["dispute_id"], "settled",
                                            clock=after_end),
                 lambda: app.record_outcome(db, LEGAL, world["hearing_id"], "held",
                                            clock=after_end)):
        with pytest.raises(NotFound):
            call()
    assert app.list_referral_requests(db, LEGAL, clock=after_end) == []


def test_consent_granted_again_gives_the_records_back(db):
    world = _everything(db)
    withdrawn_at = datetime.now(UTC)
    _withdraw_legal_consent(db, world["reference"], withdrawn_at)
    with pytest.raises(NotFound):
        app.change_document_status(db, LEGAL, world["document_id"], "submitted")
    assert app.apply_event(db, consent_event(world["reference"], "legal_team", True,
                                             withdrawn_at + timedelta(seconds=1))) is True
    assert app.change_document_status(db, LEGAL, world["document_id"], "submitted")["status"] == "submitted"
    assert app.update_dispute(db, LEGAL, world["dispute_id"], "mediation")["status"] == "mediation"
    assert app.record_outcome(db, LEGAL, world["hearing_id"], "held")["status"] == "held"
    assert [r["reference"] for r in app.list_referral_requests(db, LEGAL)] == [world["reference"]]


# --- consent per audience ---------------------------------------------------------------------

@pytest.mark.parametrize("delivery", ["as_made", "reversed"])
def test_each_audience_keeps_its_own_consent_time(db, delivery):
    """The police-audience withdrawal was made first, the legal-team change later; whichever
    arrives first, both are applied (a retry, a second consumer, a failed direct relay)."""
    world = _everything(db)
    reference = world["reference"]
    assert [h["hearing_id"] for h in app.list_hearings(db, POLICE)] == [world["hearing_id"]]
    t1 = datetime.now(UTC).replace(microsecond=0)
    t2 = t1 + timedelta(minutes=5)
    police_withdrawal = consent_event(reference, "referring_police", False, t1)
    legal_change = consent_event(reference, "legal_team", True, t2, until=t2 + timedelta(days=90))
    events = [police_withdrawal, legal_change]
    for event in events if delivery == "as_made" else reversed(events):
        assert app.apply_event(db, event) is True

    assert app.list_hearings(db, POLICE) == []
    assert [h["hearing_id"] for h in app.list_hearings(db, LEGAL)] == [world["hearing_id"]]
    with db.read() as s:
        row = s.execute(select(eligible).where(eligible.c.reference == reference)).one()
    assert row.share_status_with_referrer is False and row.legal_consent is True
    assert (row.referrer_consent_changed_at.replace(tzinfo=UTC),
            row.legal_consent_changed_at.replace(tzinfo=UTC)) == (t1, t2)

    # within one audience the newer change still wins: a stale grant changes nothing
    stale = consent_event(reference, "referring_police", True, t1 - timedelta(minutes=1))
    assert app.apply_event(db, stale) is True
    assert app.list_hearings(db, POLICE) == []


def test_the_direct_relay_and_the_event_of_the_other_audience_meet(db):
    """The gateway's direct call applies a legal-team change at once; the police-audience
    event, made earlier, arrives afterwards and is applied too."""
    world = _everything(db)
    t1 = datetime.now(UTC).replace(microsecond=0)
    app.apply_consent(db, SHELTER, world["reference"], "legal_team", False,
                      changed_at=(t1 + timedelta(minutes=1)).isoformat())
    assert app.apply_event(db, consent_event(world["reference"], "referring_police", False, t1))
    assert app.list_hearings(db, POLICE) == [] and app.list_hearings(db, LEGAL) == []
    assert app.list_eligible(db, LEGAL)[0]["status"] == "consent_withdrawn"


def test_a_police_change_leaves_the_legal_status_alone(db):
    """A consent change for the police never moves the referral's legal-team status."""
    world = _everything(db)
    t1 = datetime.now(UTC)
    _withdraw_legal_consent(db, world["reference"], t1 + timedelta(minutes=1))
    assert app.apply_event(db, consent_event(world["reference"], "referring_police", True, t1))
    assert app.list_eligible(db, LEGAL)[0]["status"] == "consent_withdrawn"


def test_a_consent_change_before_acceptance_is_kept_per_audience(db):
    reference = random_reference()
    t1 = datetime.now(UTC) - timedelta(minutes=5)
    assert app.apply_event(db, consent_event(reference, "referring_police", False, t1))
    assert app.apply_event(db, accepted_event(reference, legal_consent=False))
    assert app.list_eligible(db, LEGAL)[0]["status"] == "consent_withdrawn"
    # refused at acceptance: the legal team is told that and sees nothing the shelter refers
    assert app.apply_event(db, referral_request_event(reference))
    assert app.list_referral_requests(db, LEGAL) == []


def test_the_migration_keeps_the_last_consent_time_for_both_audiences(databases):
    url = databases.new_url("legal")
    upgrade("legal", url, "0004")
    db = databases.database(url)
    changed = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    with db.write() as s:
        s.execute(text("INSERT INTO eligible_referrals (reference, status, eligible_since, "
                       "updated_at, legal_consent, consent_changed_at) VALUES "
                       "('RN-TEST-0000-0000-0001', 'consent_withdrawn', :t, :t, false, :t)"),
                  {"t": changed})
    upgrade("legal", url)
    with db.read() as s:
        row = s.execute(select(eligible)).one()
    assert (row.legal_consent_changed_at.replace(tzinfo=UTC),
            row.referrer_consent_changed_at.replace(tzinfo=UTC)) == (changed, changed)
