"""Retention in every service, on real SQLite and PostgreSQL built by the migrations, with the
clock moved (FixedClock): a referral stuck in ``received`` is closed with a coded reason and
later anonymised; the shelter's and the legal service's free text goes after their periods;
an open legal or court case holds the records until the legal service announces it closed;
each closure and anonymisation is an audit entry."""

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.common import atrest
from services.common.caller import Caller
from services.common.clock import FixedClock
from services.common.errors import Conflict, NotFound
from services.contracts.attachments import encode
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.legal import usecases as legal_app
from services.legal.tables import audit_log as legal_audit
from services.legal.tables import court_cases as legal_court_cases
from services.legal.tables import notes as legal_notes
from services.referral import usecases as referral_app
from services.referral.tables import audit_log as referral_audit
from services.referral.tables import outbox as referral_outbox
from services.referral.tables import referrals
from services.shelter import usecases as shelter_app
from services.shelter.tables import audit_log as shelter_audit
from services.shelter.tables import attachments as shelter_attachments
from services.shelter.tables import care_notes, care_plans, case_data, incoming, screenings

from tests.integration.conftest import (SURVIVOR_NAME, SURVIVOR_PHONE, count, intake_command,
                                        submission, table_dump)
from tests.integration.legal_fixtures import (LEGAL, NOTE, accepted_event,
                                              open_case_with_court_case, outbox_events)

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
SHELTER_AGENCY = "erbil-shelter"
ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
STAFF = Caller(user="cm.one", role="shelter", agency=SHELTER_AGENCY)
PSY = Caller(user="psy.one", role="shelter", agency=SHELTER_AGENCY)
GOALS = "I want to go home to my mother and work as a seamstress"
CARE_NOTE = "Zerya-Testperson says her employer still holds her passport"
SCREENING = "Nightmares-Testperson"


def _audit_actions(db, table) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(r.actor, r.action) for r in s.execute(select(table).order_by(table.c.id))]


# --- the referral service ---------------------------------------------------------------------

@pytest.fixture(autouse=True)
def sealed_columns(keys):
    """The legal service's sealed columns under the test's file keys, as ``FileKeys`` sets them
    in a service process; unset afterwards."""
    before = atrest.current_keys()
    atrest.use_keys(keys.cipher)
    yield
    atrest.use_keys(before)


@pytest.fixture
def referral_db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


def _submitted(db, keys, clock) -> str:
    command = intake_command(keys.intake_public, submission())
    reference, created = referral_app.submit(db, clock, keys.cipher, keys.intake_private, command)
    assert created
    return reference


def _shelter_event(event_type: str, payload: dict) -> dict:
    return make_event(event_type, {**payload, "agency": SHELTER_AGENCY}, source="shelter")


def _legal_event(event_type: str, payload: dict) -> dict:
    return make_event(event_type, payload, source="legal")


def _status(db, reference) -> dict:
    with db.read() as s:
        return dict(s.execute(select(referrals.c.status, referrals.c.closure_reason,
                                     referrals.c.anonymised_at)
                              .where(referrals.c.reference == reference)).first()._mapping)


def test_a_referral_stuck_in_received_is_closed_with_a_reason_then_anonymised(referral_db, keys):
    clock = FixedClock(T0)
    reference = _submitted(referral_db, keys, clock)
    referral_app.apply_event(referral_db, clock, _shelter_event(
        "shelter.referral_received", {"reference": reference, "received_at": T0}))
    assert _status(referral_db, reference)["status"] == "received"

    clock.advance(days=89)
    assert referral_app.close_stale(referral_db, clock, 90) == 0  # not stale yet
    clock.advance(days=2)
    assert referral_app.close_stale(referral_db, clock, 90) == 1
    assert referral_app.close_stale(referral_db, clock, 90) == 0  # once
    assert _status(referral_db, reference) == {"status": "closed", "closure_reason": "no_decision",
                                               "anonymised_at": None}
    with referral_db.read() as s:
        bodies = s.execute(select(referral_outbox.c.body)
                           .where(referral_outbox.c.type == "referral.closed")).scalars().all()
    assert [json.loads(b)["payload"]["reason"] for b in bodies] == ["no_decision"]
    view = referral_app.get_status(referral_db, clock, STAFF, reference)
    assert view["status"] == "closed"
    assert view["timeline"][-1]["note"] == "Closed by retention: no_decision"

    assert referral_app.anonymise_closed(referral_db, clock, keys.cipher, 365) == 0  # just closed
    clock.advance(days=366)
    assert referral_app.anonymise_closed(referral_db, clock, keys.cipher, 365) == 1
    assert _status(referral_db, reference)["anonymised_at"] is not None
    file = referral_app.get_file(referral_db, keys.cipher, STAFF, reference)
    assert file["anonymised"] is True and file["submission"] is None
    dump = table_dump(referral_db)
    assert SURVIVOR_NAME not in dump and SURVIVOR_PHONE not in dump
    assert ("system:retention", "referral.close_stale") in _audit_actions(referral_db, referral_audit)
    assert ("system:retention", "referral.anonymise") in _audit_actions(referral_db, referral_audit)


def test_a_decline_that_settled_is_closed_with_its_code_once_and_never_earlier(referral_db, keys):
    clock = FixedClock(datetime.now(timezone.utc))  # the submission's own time is the real one
    declined, admitted = _submitted(referral_db, keys, clock), _submitted(referral_db, keys, clock)
    clock.advance(minutes=5)
    referral_app.apply_event(referral_db, clock, _shelter_event("shelter.referral_declined", {
        "reference": declined, "decided_at": clock.now(), "reason_code": "outside_mandate"}))
    referral_app.apply_event(referral_db, clock, _shelter_event("shelter.admitted", {
        "reference": admitted, "facility": "erbil-1", "population_group": "women", "beds": 1,
        "admission_id": 1, "case_manager": "cm.one", "admitted_at": clock.now()}))

    clock.advance(days=29)
    assert referral_app.close_settled(referral_db, clock, 30) == 0  # not settled yet
    assert referral_app.close_stale(referral_db, clock, 1) == 0     # a decline is no stale stage
    clock.advance(days=2)
    assert referral_app.close_settled(referral_db, clock, 30) == 1
    assert referral_app.close_settled(referral_db, clock, 30) == 0  # once
    assert _status(referral_db, declined)["status"] == "closed"
    assert _status(referral_db, declined)["closure_reason"] == "declined_settled"
    assert _status(referral_db, admitted)["status"] == "admitted"  # never closed by time
    with referral_db.read() as s:
        bodies = [json.loads(b) for b in s.execute(
            select(referral_outbox.c.body).where(referral_outbox.c.type == "referral.closed")).scalars()]
    assert [(b["version"], b["payload"]["reason"], b["payload"]["previous_status"]) for b in bodies] == [
        (2, "declined_settled", "declined")]
    assert referral_app.get_status(referral_db, clock, STAFF, declined)["timeline"][-1]["note"] == \
        "Closed: declined_settled"
    assert ("system:retention", "referral.close_settled") in _audit_actions(referral_db, referral_audit)


def test_screening_moves_a_received_referral_and_a_pass_on_returns_it_to_received(referral_db, keys):
    clock = FixedClock(T0)
    reference = _submitted(referral_db, keys, clock)
    referral_app.apply_event(referral_db, clock, _shelter_event(
        "shelter.referral_received", {"reference": reference, "received_at": T0}))
    screening = _shelter_event("shelter.screening_started", {
        "reference": reference, "reason_code": "age_assessment", "started_at": T0 + timedelta(hours=1)})
    assert referral_app.apply_event(referral_db, clock, screening)
    assert not referral_app.apply_event(referral_db, clock, screening)  # once per event id
    view = referral_app.get_status(referral_db, clock, STAFF, reference)
    assert view["status"] == "screening"
    assert [e["status"] for e in view["timeline"]].count("screening") == 1
    assert view["timeline"][-1]["note"] == "Screening by the shelter: Age assessment"

    referral_app.apply_event(referral_db, clock, make_event("shelter.referral_offered", {
        "reference": reference, "agency": "duhok-shelter", "previous_agency": SHELTER_AGENCY,
        "why": "declined", "reason_code": "outside_mandate", "offered_at": T0 + timedelta(hours=2),
        "answer_due_at": None}, source="shelter"))
    assert _status(referral_db, reference)["status"] == "received"  # the next provider's to screen

    late = _shelter_event("shelter.screening_started", {  # stale: decided meanwhile
        "reference": reference, "reason_code": "other", "started_at": T0 + timedelta(hours=3)})
    referral_app.apply_event(referral_db, clock, _shelter_event("shelter.referral_accepted", {
        "reference": reference, "decided_at": T0 + timedelta(hours=3), "reason_code": None}))
    referral_app.apply_event(referral_db, clock, late)
    assert _status(referral_db, reference)["status"] == "accepted"


def test_a_minors_guardian_is_anonymised_with_her_file(referral_db, keys):
    clock = FixedClock(T0)
    body = submission(age=15)
    body["consent"]["basis"] = "best_interest"
    reference, created = referral_app.submit(referral_db, clock, keys.cipher, keys.intake_private,
                                             intake_command(keys.intake_public, body))
    assert created
    guardian = "Shirin-Guardiantest"
    referral_app.set_guardian(referral_db, clock, keys.cipher, STAFF, reference, guardian,
                              "relative", default_holder=SHELTER_AGENCY)
    assert referral_app.get_file(referral_db, keys.cipher, STAFF, reference,
                                 default_holder=SHELTER_AGENCY)["guardian"]["name"] == guardian
    assert guardian not in table_dump(referral_db)  # encrypted at rest
    clock.advance(days=91)
    assert referral_app.close_stale(referral_db, clock, 90) == 1
    clock.advance(days=366)
    assert referral_app.anonymise_closed(referral_db, clock, keys.cipher, 365) == 1
    file = referral_app.get_file(referral_db, keys.cipher, STAFF, reference,
                                 default_holder=SHELTER_AGENCY)
    assert file["guardian"]["name"] is None and file["guardian"]["relationship"] == "relative"


def test_an_admitted_referral_is_never_closed_for_staleness(referral_db, keys):
    clock = FixedClock(datetime.now(timezone.utc))  # the submission's own time is the real one
    reference = _submitted(referral_db, keys, clock)
    clock.advance(minutes=5)
    referral_app.apply_event(referral_db, clock, _shelter_event("shelter.admitted", {
        "reference": reference, "facility": "erbil-1", "population_group": "women", "beds": 1,
        "admission_id": 1, "case_manager": "cm.one", "admitted_at": clock.now()}))
    assert _status(referral_db, reference)["status"] == "admitted"
    clock.advance(days=1000)
    assert referral_app.close_stale(referral_db, clock, 90) == 0
    assert _status(referral_db, reference)["status"] == "admitted"


def test_an_open_court_case_holds_the_file_until_the_legal_service_closes_it(referral_db, keys):
    clock = FixedClock(T0)
    reference = _submitted(referral_db, keys, clock)
    referral_app.apply_event(referral_db, clock, _shelter_event(
        "shelter.referral_accepted", {"reference": reference, "decided_at": T0, "reason_code": None}))
    case_id, court_case_id = "a" * 32, "b" * 32
    referral_app.apply_event(referral_db, clock, _legal_event("legal.case_opened", {
        "reference": reference, "case_id": case_id, "opened_at": T0}))
    court = {"reference": reference, "case_id": case_id, "court_case_id": court_case_id,
             "court": "erbil-criminal-court", "verdict": None, "changed_at": T0}
    referral_app.apply_event(referral_db, clock, _legal_event("legal.court_status_changed", {
        **court, "status": "investigation", "previous_status": None}))

    clock.advance(days=91)
    assert referral_app.close_stale(referral_db, clock, 90) == 1  # the person never arrived
    assert _status(referral_db, reference)["closure_reason"] == "no_arrival"
    clock.advance(days=400)
    assert referral_app.anonymise_closed(referral_db, clock, keys.cipher, 365) == 0  # held
    assert SURVIVOR_NAME in json.dumps(referral_app.get_file(referral_db, keys.cipher, STAFF,
                                                             reference))

    referral_app.apply_event(referral_db, clock, _legal_event("legal.court_status_changed", {
        **court, "status": "closed", "previous_status": "investigation"}))
    assert referral_app.anonymise_closed(referral_db, clock, keys.cipher, 365) == 0  # case open
    # the legal case's opening delivered again after its closing reopens nothing
    referral_app.apply_event(referral_db, clock, _legal_event("legal.case_closed", {
        "reference": reference, "case_id": case_id, "closed_at": clock.now(),
        "reason_code": "proceedings_concluded"}))
    referral_app.apply_event(referral_db, clock, _legal_event("legal.case_opened", {
        "reference": reference, "case_id": case_id, "opened_at": T0}))
    assert referral_app.anonymise_closed(referral_db, clock, keys.cipher, 365) == 1
    assert referral_app.get_file(referral_db, keys.cipher, STAFF, reference)["anonymised"] is True


# --- the shelter ------------------------------------------------------------------------------

@pytest.fixture
def shelter_db(databases, db_url):
    db = databases.database(databases.migrated("shelter", db_url))
    shelter_app.register_facility(db, ADMIN, "care-shelter", "Care shelter", provider="erbil-shelter", now=T0)
    shelter_app.set_capacity(db, ADMIN, "care-shelter", "women", 5, now=T0)
    return db


def _discharged_resident(db, cipher, outcome="transferred") -> tuple[str, int]:
    reference = random_reference()
    shelter_app.apply_event(db, make_event("referral.submitted", {
        "reference": reference, "population_group": "women", "urgency": "urgent",
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "erbil-tip-unit", "submitted_at": T0, "survivor_minor": False},
        source="referral"), agency=SHELTER_AGENCY, now=T0)
    shelter_app.decide(db, STAFF, reference, "accept", None, now=T0)
    admission = shelter_app.admit(db, STAFF, "care-shelter", reference, "cm.one", now=T0)
    plan_id = admission["plan_id"]
    shelter_app.add_note(db, STAFF, cipher, plan_id, CARE_NOTE, T0)
    shelter_app.update_plan(db, STAFF, cipher, plan_id, T0, goals=GOALS, psychologist="psy.one")
    shelter_app.record_screening(db, PSY, cipher, plan_id, "support_recommended", SCREENING, T0)
    shelter_app.set_case_data(db, STAFF, plan_id, {"methods_of_control": ["WithholdsDocuments"],
                                                   "country_of_origin": "ET"}, T0)
    shelter_app.add_attachment(db, STAFF, cipher, plan_id, "medical_report", "report.pdf",
                               encode(b"%PDF-1.7 " + CARE_NOTE.encode()), 1 << 20, T0)
    # transferred (the default here): no follow-up keeps the stay (docs/decisions/0051); it
    # ended at discharge
    shelter_app.discharge(db, STAFF, "care-shelter", admission["admission_id"], outcome, now=T0)
    return reference, plan_id


def _care_text(db, plan_id) -> tuple[int, int, bool]:
    with db.read() as s:
        goals = s.execute(select(care_plans.c.goals).where(care_plans.c.id == plan_id)).scalar()
    return (count(db, care_notes, care_notes.c.plan_id == plan_id),
            count(db, screenings, screenings.c.plan_id == plan_id), goals is not None)


def test_the_shelter_erases_care_notes_goals_and_screening_after_its_period(shelter_db, keys):
    reference, plan_id = _discharged_resident(shelter_db, keys.cipher)
    assert _care_text(shelter_db, plan_id) == (1, 1, True)
    assert count(shelter_db, case_data, case_data.c.plan_id == plan_id) == 1
    assert count(shelter_db, shelter_attachments, shelter_attachments.c.plan_id == plan_id) == 1

    assert shelter_app.anonymise_ended(shelter_db, SHELTER_AGENCY, T0 + timedelta(days=364), 365) == 0
    assert _care_text(shelter_db, plan_id) == (1, 1, True)
    later = T0 + timedelta(days=366)
    assert shelter_app.anonymise_ended(shelter_db, SHELTER_AGENCY, later, 365) == 1
    assert shelter_app.anonymise_ended(shelter_db, SHELTER_AGENCY, later, 365) == 0  # once
    assert _care_text(shelter_db, plan_id) == (0, 0, False)
    assert count(shelter_db, case_data, case_data.c.plan_id == plan_id) == 0  # HTCDS codes too
    assert count(shelter_db, shelter_attachments, shelter_attachments.c.plan_id == plan_id) == 0
    assert shelter_app.list_notes(shelter_db, STAFF, keys.cipher, plan_id) == []
    with pytest.raises(NotFound):
        shelter_app.get_screening(shelter_db, PSY, keys.cipher, plan_id)
    with shelter_db.read() as s:
        assert s.execute(select(incoming.c.anonymised_at)
                         .where(incoming.c.reference == reference)).scalar() is not None
    assert ("system:retention", "referral.anonymise") in _audit_actions(shelter_db, shelter_audit)


def test_the_shelter_keeps_a_stay_while_its_follow_up_runs_and_counts_from_its_end(shelter_db, keys):
    reference, plan_id = _discharged_resident(shelter_db, keys.cipher, "reintegrated")
    assert shelter_app.anonymise_ended(shelter_db, SHELTER_AGENCY, T0 + timedelta(days=500), 365) == 0
    assert _care_text(shelter_db, plan_id) == (1, 1, True)  # four contacts still scheduled
    ended = T0 + timedelta(days=400)
    listed = shelter_app.list_follow_ups(shelter_db, STAFF, ended)["follow_ups"]
    mine = [f for f in listed if f["reference"] == reference]
    assert [f["state"] for f in mine] == ["overdue"] * 4
    for follow_up in mine:
        shelter_app.record_follow_up(shelter_db, STAFF, follow_up["follow_up_id"], "reached_safe",
                                     ended.date().isoformat(), ended)
    assert shelter_app.anonymise_ended(shelter_db, SHELTER_AGENCY, ended + timedelta(days=364), 365) == 0
    assert _care_text(shelter_db, plan_id) == (1, 1, True)
    assert shelter_app.anonymise_ended(shelter_db, SHELTER_AGENCY, ended + timedelta(days=366), 365) == 1
    assert _care_text(shelter_db, plan_id) == (0, 0, False)


def test_the_shelter_keeps_a_residents_records_while_a_court_case_is_open(shelter_db, keys):
    reference, plan_id = _discharged_resident(shelter_db, keys.cipher)
    court = {"reference": reference, "case_id": "a" * 32, "court_case_id": "b" * 32,
             "court": "erbil-criminal-court", "verdict": None, "changed_at": T0}
    shelter_app.apply_event(shelter_db, _legal_event("legal.court_status_changed", {
        **court, "status": "filed", "previous_status": None}), agency=SHELTER_AGENCY, now=T0)

    later = T0 + timedelta(days=400)
    assert shelter_app.anonymise_ended(shelter_db, SHELTER_AGENCY, later, 365) == 0
    assert _care_text(shelter_db, plan_id) == (1, 1, True)
    shelter_app.apply_event(shelter_db, _legal_event("legal.court_status_changed", {
        **court, "status": "closed", "previous_status": "filed"}), agency=SHELTER_AGENCY, now=later)
    # an older status delivered late does not reopen the closed court case
    shelter_app.apply_event(shelter_db, _legal_event("legal.court_status_changed", {
        **court, "status": "trial", "previous_status": "filed"}), agency=SHELTER_AGENCY, now=later)
    assert shelter_app.anonymise_ended(shelter_db, SHELTER_AGENCY, later, 365) == 1
    assert _care_text(shelter_db, plan_id) == (0, 0, False)


def test_a_closed_referral_releases_its_held_beds_at_the_shelter(shelter_db):
    reference = random_reference()
    shelter_app.apply_event(shelter_db, make_event("referral.submitted", {
        "reference": reference, "population_group": "women", "urgency": "urgent",
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "erbil-tip-unit", "submitted_at": T0,
        "survivor_minor": False}, source="referral"),
        agency=SHELTER_AGENCY, now=T0)
    shelter_app.decide(shelter_db, STAFF, reference, "accept", None, now=T0)
    held = shelter_app.availability(shelter_db, STAFF)
    shelter_app.apply_event(shelter_db, make_event("referral.closed", {
        "reference": reference, "reason": "no_arrival", "previous_status": "bed_held",
        "closed_at": T0}, source="referral"), agency=SHELTER_AGENCY, now=T0)
    assert shelter_app.availability(shelter_db, STAFF) != held
    with shelter_db.read() as s:
        assert s.execute(select(incoming.c.status)
                         .where(incoming.c.reference == reference)).scalar() == "closed"


# --- the legal service --------------------------------------------------------------------------

@pytest.fixture
def legal_db(databases, db_url):
    return databases.database(databases.migrated("legal", db_url))


def test_a_legal_case_closes_only_once_its_court_cases_are_closed(legal_db):
    reference, case, court_case = open_case_with_court_case(legal_db)
    before = table_dump(legal_db)
    with pytest.raises(Conflict) as refused:
        legal_app.close_case(legal_db, LEGAL, case["case_id"], "proceedings_concluded")
    assert refused.value.field == "court_cases"
    assert table_dump(legal_db) == before

    legal_app.change_court_status(legal_db, LEGAL, court_case["court_case_id"], "closed")
    closed = legal_app.close_case(legal_db, LEGAL, case["case_id"], "proceedings_concluded")
    assert closed["status"] == "closed" and closed["closed_at"]
    assert [e["payload"]["case_id"] for e in outbox_events(legal_db, "legal.case_closed")] == [
        case["case_id"]]
    with pytest.raises(Conflict):
        legal_app.close_case(legal_db, LEGAL, case["case_id"], "proceedings_concluded")


def test_the_legal_service_anonymises_a_closed_cases_free_text_after_its_period(legal_db, keys):
    reference, case, court_case = open_case_with_court_case(legal_db)
    case_id = case["case_id"]
    legal_app.add_note(legal_db, LEGAL, case_id, NOTE)
    legal_app.add_session(legal_db, LEGAL, case_id, "2026-03-02", "Topic-Testperson wages")
    legal_app.open_dispute(legal_db, LEGAL, case_id, "Employer-Testperson Ltd", ["unpaid_wages"])
    legal_app.request_document(legal_db, LEGAL, case_id, "passport", "Authority-Testperson")
    legal_app.change_court_status(legal_db, LEGAL, court_case["court_case_id"], "closed")
    closed = legal_app.close_case(legal_db, LEGAL, case_id, "proceedings_concluded")
    closed_at = datetime.fromisoformat(closed["closed_at"].replace("Z", "+00:00"))

    assert legal_app.anonymise_closed_cases(legal_db, closed_at + timedelta(days=364), 365) == 0
    assert count(legal_db, legal_notes) == 1
    later = closed_at + timedelta(days=366)
    assert legal_app.anonymise_closed_cases(legal_db, later, 365) == 1
    assert legal_app.anonymise_closed_cases(legal_db, later, 365) == 0  # once
    assert count(legal_db, legal_notes) == 0
    dump = table_dump(legal_db)
    for text in ("Topic-Testperson", "Employer-Testperson", "Authority-Testperson"):
        assert text not in dump
    with legal_db.read() as s:
        charges = json.loads(s.execute(select(legal_court_cases.c.charges)).scalar())
    assert charges == [{"statute": "law-6-2018", "description": None}]  # the code stays
    assert ("system:retention", "legal_case.anonymise") in _audit_actions(legal_db, legal_audit)


def test_an_open_legal_case_is_never_anonymised(legal_db, keys):
    reference, case, _ = open_case_with_court_case(legal_db)
    legal_app.add_note(legal_db, LEGAL, case["case_id"], NOTE)
    assert legal_app.anonymise_closed_cases(legal_db, datetime.now(timezone.utc)
                                            + timedelta(days=5000), 365) == 0
    assert count(legal_db, legal_notes) == 1


def test_a_declined_referral_with_an_open_court_case_keeps_its_file(referral_db, keys):
    clock = FixedClock(T0)
    reference = _submitted(referral_db, keys, clock)
    referral_app.apply_event(referral_db, clock, _shelter_event(
        "shelter.referral_declined", {"reference": reference, "decided_at": T0,
                                      "reason_code": "outside_mandate"}))
    referral_app.apply_event(referral_db, clock, _legal_event("legal.court_status_changed", {
        "reference": reference, "case_id": "c" * 32, "court_case_id": "d" * 32,
        "court": "erbil-criminal-court", "status": "trial", "previous_status": "filed",
        "verdict": None, "changed_at": T0}))
    clock.advance(days=5000)
    assert referral_app.anonymise_closed(referral_db, clock, keys.cipher, 365) == 0
    assert referral_app.get_file(referral_db, keys.cipher, STAFF, reference)["anonymised"] is False


# --- several replicas sweeping at once -------------------------------------------------------------

def _concurrently(sweeps) -> list:
    counts, errors = [], []

    def run(sweep):
        try:
            counts.append(sweep())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(sweep,)) for sweep in sweeps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return counts


def _actions(db, table, action) -> int:
    return sum(1 for _, a in _audit_actions(db, table) if a == action)


def test_replicas_sweeping_at_once_close_and_anonymise_each_referral_once(databases, referral_db, keys):
    clock = FixedClock(T0)
    references = [_submitted(referral_db, keys, clock) for _ in range(5)]
    second = databases.database(referral_db.url)  # another "replica": its own engine
    clock.advance(days=91)
    assert sum(_concurrently([lambda db=db: referral_app.close_stale(db, clock, 90)
                              for db in (referral_db, second, referral_db, second)])) == 5
    clock.advance(days=366)
    assert sum(_concurrently([lambda db=db: referral_app.anonymise_closed(db, clock, keys.cipher, 365)
                              for db in (referral_db, second, referral_db, second)])) == 5
    assert {_status(referral_db, r)["closure_reason"] for r in references} == {"no_decision"}
    assert _actions(referral_db, referral_audit, "referral.close_stale") == 5
    assert _actions(referral_db, referral_audit, "referral.anonymise") == 5


def test_replicas_sweeping_at_once_anonymise_shelter_and_legal_records_once(databases, shelter_db,
                                                                              keys):
    for _ in range(3):
        _discharged_resident(shelter_db, keys.cipher)
    second = databases.database(shelter_db.url)
    later = T0 + timedelta(days=366)
    assert sum(_concurrently([lambda db=db: shelter_app.anonymise_ended(db, SHELTER_AGENCY, later, 365)
                              for db in (shelter_db, second, shelter_db, second)])) == 3
    assert _actions(shelter_db, shelter_audit, "referral.anonymise") == 3
    assert count(shelter_db, care_notes) == 0

    legal_db = databases.database(databases.migrated("legal"))
    closed_at = None
    for _ in range(3):
        _, case, court_case = open_case_with_court_case(legal_db)
        legal_app.add_note(legal_db, LEGAL, case["case_id"], NOTE)
        legal_app.change_court_status(legal_db, LEGAL, court_case["court_case_id"], "closed")
        closed_at = legal_app.close_case(legal_db, LEGAL, case["case_id"],
                                         "proceedings_concluded")["closed_at"]
    now = datetime.fromisoformat(closed_at.replace("Z", "+00:00")) + timedelta(days=366)
    other = databases.database(legal_db.url)
    assert sum(_concurrently([lambda db=db: legal_app.anonymise_closed_cases(db, now, 365)
                              for db in (legal_db, other, legal_db, other)])) == 3
    assert _actions(legal_db, legal_audit, "legal_case.anonymise") == 3
    assert count(legal_db, legal_notes) == 0
