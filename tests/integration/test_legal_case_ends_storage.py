"""A legal case's ends on real SQLite and PostgreSQL (migrated): closed and reopened with
reasons and history, refused once anonymised, its lawyer reassigned with history, a court
case's closing cancelling its hearings ahead in the same transaction, and the shelter's legal
hold following the latest of a case's closings and reopenings whatever order they arrive in."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.clock import FixedClock
from services.common.errors import Conflict, InvalidInput
from services.contracts.envelope import make_event
from services.legal import usecases as legal_app
from services.shelter.domain import retention as shelter_rules
from services.shelter.queries import legal_matters as shelter_legal
from tests.integration.legal_fixtures import (LEGAL, local, open_case_with_court_case,
                                              outbox_events, table_dump)

T0 = datetime(2031, 3, 1, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def legal_db(databases, db_url):
    return databases.database(databases.migrated("legal", db_url))


def _closed_case(db, clock):
    reference, case, court_case = open_case_with_court_case(db)
    legal_app.change_court_status(db, LEGAL, court_case["court_case_id"], "closed", clock=clock)
    return reference, case["case_id"]


def test_a_case_closes_and_reopens_with_reasons_and_history(legal_db):
    clock = FixedClock(T0)
    reference, case_id = _closed_case(legal_db, clock)
    closed = legal_app.close_case(legal_db, LEGAL, case_id, "survivor_declined_help", clock=clock)
    assert (closed["status"], closed["closure_reason"]) == ("closed", "survivor_declined_help")
    before = table_dump(legal_db)
    for code, error, field in (("survivor_declined_help", Conflict, "status"),
                               ("bored", InvalidInput, "reason_code")):
        with pytest.raises(error) as refused:  # closed twice, or with no known reason
            legal_app.close_case(legal_db, LEGAL, case_id, code, clock=clock)
        assert refused.value.field == field
    assert table_dump(legal_db) == before

    clock.advance(days=2)
    reopened = legal_app.reopen_case(legal_db, LEGAL, case_id, "appeal_lodged", clock=clock)
    assert (reopened["status"], reopened["closed_at"], reopened["closure_reason"]) == (
        "open", None, None)
    assert [(h["from"], h["to"], h["reason_code"], h["by"]) for h in reopened["status_history"]] == [
        (None, "open", None, "lawyer.one"), ("open", "closed", "survivor_declined_help", "lawyer.one"),
        ("closed", "open", "appeal_lodged", "lawyer.one")]
    [event] = outbox_events(legal_db, "legal.case_reopened")
    assert (event["version"], event["payload"]) == (1, {
        "reference": reference, "case_id": case_id, "reopened_at": "2031-03-03T10:00:00+00:00",
        "reason_code": "appeal_lodged"})
    [closing] = outbox_events(legal_db, "legal.case_closed")
    assert (closing["version"], closing["payload"]["reason_code"]) == (2, "survivor_declined_help")
    before = table_dump(legal_db)
    with pytest.raises(Conflict) as refused:  # an open case is not reopened
        legal_app.reopen_case(legal_db, LEGAL, case_id, "appeal_lodged", clock=clock)
    assert refused.value.field == "status" and table_dump(legal_db) == before
    assert legal_app.get_case(legal_db, LEGAL, case_id)["status_history"] == reopened["status_history"]


def test_a_case_anonymised_by_retention_is_not_reopened(legal_db):
    clock = FixedClock(T0)
    _, case_id = _closed_case(legal_db, clock)
    legal_app.close_case(legal_db, LEGAL, case_id, "proceedings_concluded", clock=clock)
    assert legal_app.anonymise_closed_cases(legal_db, T0 + timedelta(days=400), 365) == 1
    before = table_dump(legal_db)
    with pytest.raises(Conflict) as refused:
        legal_app.reopen_case(legal_db, LEGAL, case_id, "new_evidence", clock=clock)
    assert refused.value.field == "status"
    assert table_dump(legal_db) == before
    assert outbox_events(legal_db, "legal.case_reopened") == []
    # the reason it was closed for outlives its free text
    assert legal_app.get_case(legal_db, LEGAL, case_id)["closure_reason"] == "proceedings_concluded"


def test_the_lawyer_is_reassigned_with_history_and_refused_to_the_same_one(legal_db):
    clock = FixedClock(T0)
    _, case, _ = open_case_with_court_case(legal_db)
    case_id = case["case_id"]
    moved = legal_app.reassign_lawyer(legal_db, LEGAL, case_id, "lawyer.two", "conflict_of_interest",
                                      clock=clock)
    assert moved["lawyer"] == "lawyer.two"
    assert [(h["from"], h["to"], h["reason_code"]) for h in moved["lawyer_history"]] == [
        (None, "lawyer.one", None), ("lawyer.one", "lawyer.two", "conflict_of_interest")]
    before = table_dump(legal_db)
    for lawyer, code, error, field in (("lawyer.two", "caseload", Conflict, "lawyer"),
                                       ("Jane Doe", "caseload", InvalidInput, "lawyer"),
                                       ("lawyer.three", "holiday", InvalidInput, "reason_code")):
        with pytest.raises(error) as refused:
            legal_app.reassign_lawyer(legal_db, LEGAL, case_id, lawyer, code, clock=clock)
        assert refused.value.field == field
    assert table_dump(legal_db) == before
    assert legal_app.get_case(legal_db, LEGAL, case_id)["lawyer_history"] == moved["lawyer_history"]


def test_closing_a_court_case_cancels_its_hearings_ahead_in_its_transaction(legal_db):
    clock = FixedClock(T0)
    reference, case, court_case = open_case_with_court_case(legal_db)
    cc = court_case["court_case_id"]
    ahead = [legal_app.schedule_hearing(legal_db, LEGAL, cc, local(T0 + timedelta(days=d)),
                                        "Asia/Baghdad", "Testimony", True, clock=clock)["hearing_id"]
             for d in (3, 10)]
    held = legal_app.schedule_hearing(legal_db, LEGAL, cc, local(T0 + timedelta(days=1)),
                                      "Asia/Baghdad", "First", False, clock=clock)["hearing_id"]
    clock.advance(days=2)
    legal_app.record_outcome(legal_db, LEGAL, held, "held", clock=clock)
    moved = legal_app.change_court_status(legal_db, LEGAL, cc, "closed", clock=clock)
    assert moved["hearings_cancelled"] == 2
    statuses = {h["hearing_id"]: h["status"]
                for h in legal_app.get_court_case(legal_db, LEGAL, cc, clock=clock)["hearings"]}
    assert statuses == {ahead[0]: "cancelled", ahead[1]: "cancelled", held: "held"}
    cancelled = [e["payload"] for e in outbox_events(legal_db, "legal.hearing_outcome")
                 if e["payload"]["outcome"] == "cancelled"]
    assert sorted(p["hearing_id"] for p in cancelled) == sorted(ahead)
    assert {p["reference"] for p in cancelled} == {reference}
    # a move to any other status cancels nothing
    _, _, other = open_case_with_court_case(legal_db)
    assert legal_app.change_court_status(legal_db, LEGAL, other["court_case_id"], "filed",
                                         clock=clock)["hearings_cancelled"] == 0


@pytest.fixture
def shelter_db(databases):
    return databases.database(databases.migrated("shelter"))


def _matter(event_type, at_field, at):
    payload = {"reference": "RN-AAAA-BBBB-CCCC-DDDD", "case_id": "a" * 32, at_field: at}
    if event_type != "legal.case_opened":
        payload["reason_code"] = ("appeal_lodged" if event_type == "legal.case_reopened"
                                  else "lost_contact")
    make_event(event_type, payload, source="legal")  # the payload keeps to its contract
    return shelter_rules.matter_change(event_type, payload)


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_the_shelter_holds_again_for_a_reopened_case_in_any_order(shelter_db, order):
    changes = [_matter("legal.case_opened", "opened_at", T0),
               _matter("legal.case_closed", "closed_at", T0 + timedelta(days=1)),
               _matter("legal.case_reopened", "reopened_at", T0 + timedelta(days=2))]
    for i in order:
        with shelter_db.write() as s:
            shelter_legal.record(s, "RN-AAAA-BBBB-CCCC-DDDD", *changes[i])
    with shelter_db.read() as s:
        matters = shelter_legal.of_reference(s, "RN-AAAA-BBBB-CCCC-DDDD")
    assert shelter_rules.legal_hold(matters) is True
    with shelter_db.write() as s:  # closed again, later
        shelter_legal.record(s, "RN-AAAA-BBBB-CCCC-DDDD",
                             *_matter("legal.case_closed", "closed_at", T0 + timedelta(days=3)))
    with shelter_db.read() as s:
        assert shelter_rules.legal_hold(shelter_legal.of_reference(s, "RN-AAAA-BBBB-CCCC-DDDD")) is False


def test_migration_0009_gives_existing_cases_their_history(db_url):
    """Cases from before 0009: the opening (by whom, to which lawyer) and, for a closed one,
    the closing with reason ``unknown`` (who closed it was not kept)."""
    from sqlalchemy import text

    from services.common.db import make_engine
    from services.common.migrations import upgrade
    upgrade("legal", db_url, "0008")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO eligible_referrals (reference, status, eligible_since, "
                              "updated_at) VALUES ('RN-AAAA-BBBB-CCCC-DDDD', 'eligible', :at, :at)"),
                         {"at": T0})
            conn.execute(text("INSERT INTO legal_cases (id, reference, lawyer, status, opened_at, "
                              "opened_by, updated_at, closed_at) VALUES (:id, "
                              "'RN-AAAA-BBBB-CCCC-DDDD', 'lawyer.one', 'closed', :at, 'lead.one', "
                              ":closed, :closed)"),
                         {"id": "a" * 32, "at": T0, "closed": T0 + timedelta(days=5)})
        upgrade("legal", db_url)
        with engine.connect() as conn:
            history = conn.execute(text("SELECT from_status, to_status, reason_code, by_user "
                                        "FROM legal_case_status_history ORDER BY id")).all()
            lawyers = conn.execute(text("SELECT from_lawyer, to_lawyer, by_user "
                                        "FROM legal_case_lawyers")).all()
            reason = conn.execute(text("SELECT closure_reason FROM legal_cases")).scalar_one()
    finally:
        engine.dispose()
    assert [tuple(r) for r in history] == [(None, "open", None, "lead.one"),
                                           ("open", "closed", "unknown", "unknown")]
    assert [tuple(r) for r in lawyers] == [(None, "lawyer.one", "lead.one")]
    assert reason == "unknown"


def test_two_closings_at_once_close_the_case_once(databases, legal_db):
    """Two lawyers press close together (two connections): one closes, the other is refused
    naming ``status``; one history row, one event."""
    import threading

    clock = FixedClock(T0)
    _, case_id = _closed_case(legal_db, clock)
    other = databases.database(legal_db.url)
    results, start = [], threading.Barrier(2)

    def close(db, code):
        start.wait()
        try:
            results.append(legal_app.close_case(db, LEGAL, case_id, code, clock=clock)["status"])
        except Conflict as refused:
            results.append(refused.field)
    threads = [threading.Thread(target=close, args=args)
               for args in ((legal_db, "lost_contact"), (other, "no_legal_remedy"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["closed", "status"]
    assert len(outbox_events(legal_db, "legal.case_closed")) == 1
    history = legal_app.get_case(legal_db, LEGAL, case_id)["status_history"]
    assert [h["to"] for h in history] == ["open", "closed"]
