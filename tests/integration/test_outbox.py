"""services.common.messaging on real SQLite and PostgreSQL: the outbox's claim/lease/mark-sent/
release cycle, and the processed-events inbox (``first_time``)."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.common import messaging
from services.contracts.envelope import make_event
from services.referral.tables import outbox, processed_events

from .conftest import count, wait_for

LONG = timedelta(minutes=5)


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


def _event(n: int = 0) -> dict:
    return make_event("referral.withdrawn", {"reference": "RN-AAAA-BBBB-CCCC-DDD" + "234567"[n % 6],
                                             "withdrawn_at": "2026-01-02T03:04:05+00:00",
                                             "reason_code": "other"},
                      source="referral", correlation_id=f"corr-{n}")


def _queue(db, n: int) -> list[dict]:
    envelopes = [_event(i) for i in range(n)]
    with db.write() as s:
        for envelope in envelopes:
            messaging.add_to_outbox(s, outbox, envelope)
        assert s.info["events_queued"] is True  # what makes Database.write wake the relay
    return envelopes


def _claim(db, *, limit=100, lease=LONG):
    with db.write() as s:
        return messaging.claim_pending(s, outbox, limit=limit, lease=lease,
                                       skip_locked=not db.sqlite)


def _rows(db) -> list:
    with db.read() as s:
        return s.execute(select(outbox).order_by(outbox.c.id)).all()


def test_add_to_outbox_stores_the_envelope_unsent(db):
    envelopes = _queue(db, 2)
    rows = _rows(db)
    assert [json.loads(r.body) for r in rows] == envelopes
    assert [(r.event_id, r.type) for r in rows] == [(e["event_id"], e["type"]) for e in envelopes]
    assert [(r.sent_at, r.claimed_by, r.claimed_until, r.attempts, r.last_error) for r in rows] == \
        [(None, None, None, 0, None)] * 2
    with db.read() as s:
        assert messaging.backlog(s, outbox) == 2


def test_a_rolled_back_transaction_queues_nothing(db):
    with pytest.raises(RuntimeError):
        with db.write() as s:
            messaging.add_to_outbox(s, outbox, _event())
            raise RuntimeError("the state change failed")
    assert count(db, outbox) == 0


def test_claim_mark_sent_and_release(db):
    envelopes = _queue(db, 3)
    ids = [r.id for r in _rows(db)]

    claim_a, rows_a = _claim(db, limit=2)
    assert [r[0] for r in rows_a] == ids[:2]
    assert [(r[1], json.loads(r[2])) for r in rows_a] == [(e["type"], e) for e in envelopes[:2]]

    claim_b, rows_b = _claim(db, limit=10)
    assert claim_b != claim_a
    assert [r[0] for r in rows_b] == ids[2:]

    assert _claim(db)[1] == []  # everything is leased

    with db.write() as s:
        messaging.mark_sent(s, outbox, claim_a, [r[0] for r in rows_a])
        messaging.release(s, outbox, claim_b, "ConnectionRefusedError " + "x" * 300)

    rows = {r.id: r for r in _rows(db)}
    for row_id in ids[:2]:
        assert rows[row_id].sent_at is not None
        assert (rows[row_id].claimed_by, rows[row_id].claimed_until, rows[row_id].attempts) == (None, None, 0)
    released = rows[ids[2]]
    assert (released.sent_at, released.claimed_by, released.claimed_until, released.attempts) == (None, None, None, 1)
    assert released.last_error == ("ConnectionRefusedError " + "x" * 300)[:200]
    with db.read() as s:
        assert messaging.backlog(s, outbox) == 1

    claim_c, rows_c = _claim(db)  # a released row is claimable at once; sent rows never again
    assert [r[0] for r in rows_c] == [ids[2]]
    with db.write() as s:
        messaging.mark_sent(s, outbox, claim_c, [ids[2]])
    assert _claim(db)[1] == []
    with db.read() as s:
        assert messaging.backlog(s, outbox) == 0


def test_a_second_claim_gets_nothing_until_the_lease_expires(db):
    _queue(db, 1)
    lease = timedelta(seconds=3)
    first_claim, first_rows = _claim(db, lease=lease)
    assert len(first_rows) == 1
    row_id = first_rows[0][0]

    [row] = _rows(db)
    assert row.claimed_by == first_claim
    assert _claim(db, lease=lease)[1] == []

    # after the lease, another relay takes the row over ...
    second_claim, second_rows = wait_for(lambda: (lambda c: c if c[1] else None)(_claim(db, lease=LONG)),
                                         timeout=30, interval=0.2, what="the lease to expire")
    assert [r[0] for r in second_rows] == [row_id]
    assert second_claim != first_claim

    # ... and the first relay, late, can no longer mark it sent: only the holder of the lease can
    with db.write() as s:
        messaging.mark_sent(s, outbox, first_claim, [row_id])
    [row] = _rows(db)
    assert (row.sent_at, row.claimed_by) == (None, second_claim)
    with db.write() as s:
        messaging.mark_sent(s, outbox, second_claim, [row_id])
    [row] = _rows(db)
    assert row.sent_at is not None and row.claimed_by is None


def test_concurrent_claims_never_share_a_row(db):
    """Four relays claim at once, each in its own transaction and thread (green threads under
    eventlet): every row goes to exactly one of them."""
    _queue(db, 12)
    results: list[tuple[str, list[int]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def relay():
        try:
            start.wait()
            claim, rows = _claim(db, limit=3)
            results.append((claim, [r[0] for r in rows]))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    claimed = [row_id for _claim_id, ids in results for row_id in ids]
    assert len(results) == 4
    assert sorted(claimed) == sorted(r.id for r in _rows(db))
    assert len(set(claimed)) == 12
    with db.read() as s:
        owners = dict(s.execute(select(outbox.c.id, outbox.c.claimed_by)).all())
    assert all(owners[row_id] == claim for claim, ids in results for row_id in ids)


@pytest.mark.postgres
def test_postgres_claims_skip_rows_locked_by_an_open_claim(pg_databases):
    """Two relays' transactions overlap on PostgreSQL: the second skips the rows the first has
    locked (FOR UPDATE SKIP LOCKED) instead of waiting for them or taking them too."""
    db = pg_databases.database(pg_databases.migrated("referral"))
    _queue(db, 4)
    ids = [r.id for r in _rows(db)]
    with db.write() as first, db.engine.connect() as other_conn:
        claim_a, rows_a = messaging.claim_pending(first, outbox, limit=2, lease=LONG, skip_locked=True)
        with other_conn.begin():
            other_conn.execute(text("SET LOCAL lock_timeout = '5s'"))  # fail, never hang
            with Session(bind=other_conn) as second:
                claim_b, rows_b = messaging.claim_pending(second, outbox, limit=10, lease=LONG,
                                                          skip_locked=True)
    assert [r[0] for r in rows_a] == ids[:2]
    assert [r[0] for r in rows_b] == ids[2:]
    with db.read() as s:
        owners = dict(s.execute(select(outbox.c.id, outbox.c.claimed_by)).all())
    assert owners == {ids[0]: claim_a, ids[1]: claim_a, ids[2]: claim_b, ids[3]: claim_b}


# --- the inbox -----------------------------------------------------------------------------------

def test_first_time_is_true_once_per_event_id(db):
    envelope = _event()
    with db.write() as s:
        assert messaging.first_time(s, processed_events, envelope) is True
    with db.write() as s:
        assert messaging.first_time(s, processed_events, envelope) is False
    with db.write() as s:
        assert messaging.first_time(s, processed_events, dict(envelope, payload={})) is False
    with db.read() as s:
        rows = s.execute(select(processed_events.c.event_id, processed_events.c.type)).all()
    assert [tuple(r) for r in rows] == [(envelope["event_id"], envelope["type"])]


def test_a_duplicate_inside_a_transaction_leaves_the_transaction_usable(db):
    """A duplicate inserts nothing and fails nothing: the transaction goes on."""
    envelope, other = _event(1), _event(2)
    with db.write() as s:
        assert messaging.first_time(s, processed_events, envelope) is True
        assert messaging.first_time(s, processed_events, envelope) is False
        messaging.add_to_outbox(s, outbox, other)
        assert messaging.first_time(s, processed_events, other) is True
    assert count(db, processed_events) == 2
    assert count(db, outbox) == 1


def test_a_second_delivery_waits_for_the_first_and_is_a_repeat_once_it_commits(db):
    """Two replicas handed the same event at once: the second's record waits for the first's
    transaction, and is a repeat when that commits (a new first time when it rolls back)."""
    for outcome in ("rolled back", "committed"):
        envelope, answers = _event(), []
        inside, release = threading.Event(), threading.Event()

        def first():
            try:
                with db.write() as s:
                    answers.append(("first", messaging.first_time(s, processed_events, envelope)))
                    inside.set()
                    release.wait(10)
                    if outcome == "rolled back":
                        raise RuntimeError("the effect failed")
            except RuntimeError:
                pass

        def second():
            with db.write() as s:
                answers.append(("second", messaging.first_time(s, processed_events, envelope)))

        a = threading.Thread(target=first)
        a.start()
        assert inside.wait(10)
        b = threading.Thread(target=second)
        b.start()
        b.join(0.5)
        assert b.is_alive(), "the second record did not wait for the first transaction"
        release.set()
        a.join(10)
        b.join(10)
        assert answers == [("first", True), ("second", outcome == "rolled back")], outcome


def test_a_rolled_back_handler_leaves_no_processed_record(db):
    envelope = _event()
    with pytest.raises(RuntimeError):
        with db.write() as s:
            assert messaging.first_time(s, processed_events, envelope) is True
            raise RuntimeError("the effect failed")
    assert count(db, processed_events) == 0
    with db.write() as s:  # so the redelivered event is handled, this time for real
        assert messaging.first_time(s, processed_events, envelope) is True
    assert count(db, processed_events) == 1
