"""The legal service's use cases on real SQLite and PostgreSQL (migrated by alembic): cases,
court cases, hearings and their slices, reminders sent once across replicas, bad input that
changes nothing, and events with no names or notes."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.common.clock import FixedClock
from services.common.db import Database
from services.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from services.legal import usecases as app
from services.legal.tables import court_cases, hearings
from tests.integration.legal_fixtures import (ADMIN, ALL, ANALYST, COURT, LEGAL, NOTE,
                                              OTHER_COURT, OTHER_POLICE, POLICE, SHELTER,
                                              accepted_event, count, local,
                                              open_case_with_court_case, outbox_events,
                                              table_dump)

UTC = timezone.utc


@pytest.fixture
def db(databases):
    return databases.database(databases.migrated("legal"))


def _schedule(db, court_case, starts_utc, caller=LEGAL, attendance=True, now=None):
    return app.schedule_hearing(db, caller, court_case["court_case_id"], local(starts_utc),
                                "Asia/Baghdad", "Testimony of the survivor", attendance,
                                clock=FixedClock(now) if now else None)


def test_the_whole_legal_path_and_its_events(db):
    reference, case, court_case = open_case_with_court_case(db)
    app.add_note(db, LEGAL, case["case_id"], NOTE)
    app.add_session(db, LEGAL, case["case_id"], "2026-11-30", "Rights as a victim in court")
    app.change_court_status(db, COURT, court_case["court_case_id"], "filed")
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    hearing = _schedule(db, court_case, starts, caller=COURT)
    assert hearing["starts_at"] == starts.isoformat().replace("+00:00", "Z")
    assert hearing["time_zone"] == "Asia/Baghdad"
    with db.read() as s:
        stored = s.execute(select(hearings.c.starts_at, hearings.c.time_zone)).one()
    assert stored.starts_at.replace(tzinfo=UTC) == starts and stored.time_zone == "Asia/Baghdad"

    later = starts + timedelta(days=7)
    outcome = app.record_outcome(db, COURT, hearing["hearing_id"], "postponed",
                                 note="Defence lawyer ill", new_starts_at=local(later))
    assert outcome["status"] == "postponed"
    assert outcome["next_hearing"]["postponed_from"] == hearing["hearing_id"]
    app.change_court_status(db, LEGAL, court_case["court_case_id"], "trial")
    app.change_court_status(db, COURT, court_case["court_case_id"], "verdict", "convicted")
    document = app.request_document(db, LEGAL, case["case_id"], "passport", "Embassy of Ethiopia")
    app.change_document_status(db, LEGAL, document["document_id"], "submitted")
    dispute = app.open_dispute(db, LEGAL, case["case_id"], "Gulf Manpower Recruiting",
                               ["unpaid_wages", "confiscated_documents"], 2_400_000, "IQD")
    app.update_dispute(db, LEGAL, dispute["dispute_id"], "settled", "Wages paid", 1_800_000)

    detail = app.get_case(db, LEGAL, case["case_id"])
    assert [n["text"] for n in detail["notes"]] == [NOTE]
    assert [h["status"] for h in detail["hearings"]] == ["postponed", "scheduled"]
    assert detail["court_cases"][0]["status"] == "verdict"
    assert detail["court_cases"][0]["verdict"] == "convicted"
    assert detail["labour_disputes"][0]["amount_recovered"] == 1_800_000

    types = [e["type"] for e in outbox_events(db)]
    assert types == ["legal.case_opened", "legal.court_status_changed", "legal.court_status_changed",
                     "legal.hearing_scheduled", "legal.hearing_scheduled", "legal.hearing_outcome",
                     "legal.court_status_changed", "legal.court_status_changed",
                     "legal.document_status_changed", "legal.document_status_changed"]
    # v2 names the case's lawyer (a user id, for the notify service) in the field meant for it,
    # and nowhere else
    court_events = [e for e in outbox_events(db) if e["type"] == "legal.court_status_changed"]
    assert {(e["version"], e["payload"]["lawyer"]) for e in court_events} == {(2, "lawyer.one")}
    events = outbox_events(db)
    for event in events:
        event["payload"].pop("lawyer", None)
    text = repr(events)
    for secret in (NOTE, "Testimony", "Defence lawyer ill", "Gulf Manpower", "lawyer.one",
                   "Embassy", "Rights as a victim"):
        assert secret not in text


def test_every_role_gets_its_slice_of_hearings(db):
    reference, _case, court_case = open_case_with_court_case(db)
    _ref2, _case2, other_court_case = open_case_with_court_case(db, court="duhok-criminal-court",
                                                                share_status=False)
    starts = datetime.now(UTC) + timedelta(days=5)
    mine = _schedule(db, court_case, starts)
    theirs = _schedule(db, other_court_case, starts + timedelta(hours=1))

    seen = {c.user: [h["hearing_id"] for h in app.list_hearings(db, c)]
            for c in ALL if c not in (ADMIN, ANALYST)}
    assert seen == {LEGAL.user: [mine["hearing_id"], theirs["hearing_id"]],
                    COURT.user: [mine["hearing_id"]], OTHER_COURT.user: [theirs["hearing_id"]],
                    SHELTER.user: [mine["hearing_id"], theirs["hearing_id"]],
                    POLICE.user: [mine["hearing_id"]],  # the other survivor withheld consent
                    OTHER_POLICE.user: []}
    for caller in (ADMIN, ANALYST):
        with pytest.raises(Forbidden):
            app.list_hearings(db, caller)
    shelter_view = app.list_hearings(db, SHELTER)[0]
    assert set(shelter_view) == {"hearing_id", "reference", "court", "starts_at", "local_date",
                                 "local_time", "time_zone", "starts_at_local", "attendance_required"}
    # day filter, in the courts' time zone
    day = (starts + timedelta(hours=3)).date()
    assert app.list_hearings(db, COURT, day.isoformat(), day.isoformat())
    assert app.list_hearings(db, COURT, (day + timedelta(days=1)).isoformat()) == []


def test_a_court_sees_only_its_own_court(db):
    _ref, case, court_case = open_case_with_court_case(db)
    hearing = _schedule(db, court_case, datetime.now(UTC) + timedelta(days=3))
    assert [c["court_case_id"] for c in app.list_court_cases(db, COURT)] == [court_case["court_case_id"]]
    assert app.list_court_cases(db, OTHER_COURT) == []
    with pytest.raises(NotFound):
        app.get_court_case(db, OTHER_COURT, court_case["court_case_id"])
    with pytest.raises(NotFound):
        app.change_court_status(db, OTHER_COURT, court_case["court_case_id"], "filed")
    with pytest.raises(NotFound):
        app.record_outcome(db, OTHER_COURT, hearing["hearing_id"], "held")
    with pytest.raises(NotFound):
        _schedule(db, court_case, datetime.now(UTC) + timedelta(days=4), caller=OTHER_COURT)
    for caller in (COURT, SHELTER, POLICE, ADMIN, ANALYST):
        with pytest.raises(Forbidden):
            app.get_case(db, caller, case["case_id"])
        with pytest.raises(Forbidden):
            app.add_note(db, caller, case["case_id"], "x")
    view = app.get_court_case(db, COURT, court_case["court_case_id"])
    assert "reference" not in view and "case_id" not in view
    assert NOTE not in repr(view)


def test_bad_input_is_refused_and_changes_nothing(db):
    _ref, case, court_case = open_case_with_court_case(db)
    before = (count(db, hearings), table_dump(db))
    future = datetime.now(UTC) + timedelta(days=3)
    with pytest.raises(InvalidInput) as info:
        app.schedule_hearing(db, LEGAL, court_case["court_case_id"], local(future), "Mars/Olympus",
                             "Testimony", True)
    assert info.value.field == "time_zone"
    with pytest.raises(IllegalTransition) as info:
        app.change_court_status(db, LEGAL, court_case["court_case_id"], "verdict", "convicted")
    assert "investigation" in info.value.detail and "verdict" in info.value.detail
    with pytest.raises(NotFound):
        app.change_court_status(db, LEGAL, "f" * 32, "filed")
    with pytest.raises(NotFound):
        app.schedule_hearing(db, LEGAL, "f" * 32, local(future), "Asia/Baghdad", "Testimony", True)
    with pytest.raises(InvalidInput):
        app.schedule_hearing(db, LEGAL, court_case["court_case_id"], "2020-01-01T09:00",
                             "Asia/Baghdad", "Testimony", True)
    with pytest.raises(Conflict):
        app.open_case(db, LEGAL, case["reference"], "lawyer.two")
    with pytest.raises(Conflict):
        app.file_court_case(db, LEGAL, case["case_id"], court_case["court"], court_case["case_number"],
                            [{"statute": "law-6-2018"}], "victim")
    assert (count(db, hearings), table_dump(db)) == before


def test_a_referral_without_legal_consent_gets_no_case(db):
    from services.contracts.references import random_reference
    reference = random_reference()
    app.apply_event(db, accepted_event(reference, legal_consent=False))
    with pytest.raises(NotFound):
        app.open_case(db, LEGAL, reference, "lawyer.one")


def test_events_are_applied_once_and_v1_gives_the_police_nothing(db):
    from services.contracts.references import random_reference
    reference = random_reference()
    event = accepted_event(reference, version=1)
    assert app.apply_event(db, event) is True
    assert app.apply_event(db, event) is False  # the same event_id again
    case = app.open_case(db, LEGAL, reference, "lawyer.one")
    court_case = app.file_court_case(db, LEGAL, case["case_id"], "erbil-criminal-court", "9/2026",
                                     [{"statute": "other", "description": "Penal Code art. 421"}],
                                     "witness")
    _schedule(db, court_case, datetime.now(UTC) + timedelta(days=2))
    assert app.list_hearings(db, POLICE) == [] and app.list_hearings(db, SHELTER) == []
    assert len(app.list_hearings(db, COURT)) == 1


def test_a_reminder_goes_out_72_hours_before_once(db):
    _ref, _case, court_case = open_case_with_court_case(db)
    now = datetime.now(UTC).replace(microsecond=0)
    starts = now + timedelta(days=10)
    hearing = _schedule(db, court_case, starts, now=now)
    _schedule(db, court_case, starts + timedelta(hours=1), attendance=False, now=now)  # no reminder
    due = starts - timedelta(hours=72)
    assert app.send_due_reminders(db, due - timedelta(seconds=1)) == 0
    assert app.send_due_reminders(db, due) == 1
    assert app.send_due_reminders(db, due + timedelta(hours=1)) == 0
    [reminder] = outbox_events(db, "legal.hearing_reminder")
    assert reminder["payload"]["hearing_id"] == hearing["hearing_id"]
    assert reminder["payload"]["due_at"].startswith(due.isoformat()[:19])
    # v2: whom it concerns, the lawyer and the provider that accepted the referral
    assert reminder["version"] == 2
    assert (reminder["payload"]["case_id"], reminder["payload"]["lawyer"],
            reminder["payload"]["shelter_agency"]) == (_case["case_id"], "lawyer.one",
                                                       SHELTER.agency)


def test_a_postponed_hearing_is_not_reminded_but_its_replacement_is(db):
    _ref, _case, court_case = open_case_with_court_case(db)
    now = datetime.now(UTC).replace(microsecond=0)
    first = _schedule(db, court_case, now + timedelta(days=10), now=now)
    moved = app.record_outcome(db, LEGAL, first["hearing_id"], "postponed",
                               new_starts_at=local(now + timedelta(days=20)), clock=FixedClock(now))
    assert app.send_due_reminders(db, now + timedelta(days=8)) == 0
    assert app.send_due_reminders(db, now + timedelta(days=18)) == 1
    [reminder] = outbox_events(db, "legal.hearing_reminder")
    assert reminder["payload"]["hearing_id"] == moved["next_hearing"]["hearing_id"]


def test_two_replicas_send_each_reminder_once(databases):
    url = databases.migrated("legal")
    replicas = [databases.database(url), Database(url)]  # two engines, as two processes have
    databases.databases.append(replicas[1])
    db = replicas[0]
    now = datetime.now(UTC).replace(microsecond=0)
    for _ in range(3):
        _ref, _case, court_case = open_case_with_court_case(db)
        for day in range(5):
            _schedule(db, court_case, now + timedelta(days=4, hours=day), now=now)
    at = now + timedelta(days=2)
    sent, errors = [], []

    def tick(replica):
        try:
            for _ in range(5):
                sent.append(app.send_due_reminders(replica, at, limit=4))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(r,)) for r in replicas for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(sent) == 15
    reminders = outbox_events(db, "legal.hearing_reminder")
    assert len(reminders) == 15 == len({r["payload"]["hearing_id"] for r in reminders})
    with db.read() as s:
        assert s.execute(select(court_cases.c.id)).all()
