"""The outbox relay and the confirming publisher against the real RabbitMQ (a fresh vhost), over
outbox rows in real SQLite and PostgreSQL databases."""

import contextlib
import json
import threading
import time
import uuid

import kombu
import pytest
from sqlalchemy import insert, select

from services.common import broker, messaging
from services.common.relay import OutboxRelay, RelayFailure
from datetime import datetime, timezone
from services.contracts import topology
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.referral.tables import outbox

from tests.integration.conftest import drain, queue_depth

UNREACHABLE = "amqp://guest:guest@127.0.0.1:1/"


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


@pytest.fixture
def listener(amqp):
    """A queue of the test's own, bound to refnet.events like the services' queues are (every
    event prefix, nothing else); deleted afterwards."""
    name = f"it-listener-{uuid.uuid4().hex[:8]}"
    bindings = [kombu.binding(broker.EVENTS_EXCHANGE, routing_key=key)
                for key in ("referral.#", "shelter.#", "legal.#")]
    queue = kombu.Queue(name, bindings=bindings, durable=False, auto_delete=False)
    channel = amqp.channel()
    queue(channel).declare()
    try:
        yield name
    finally:
        queue(channel).delete()
        channel.close()


@pytest.fixture
def publisher(vhost):
    p = broker.ConfirmingPublisher(vhost[1])
    yield p
    p.close()


def _envelopes() -> list[dict]:
    ref = random_reference()
    now = datetime.now(timezone.utc)
    return [
        make_event("referral.submitted", {
            "reference": ref, "population_group": "women", "urgency": "urgent", "needs": ["shelter"],
            "children_count": 0, "beds_needed": 1, "referring_agency": "erbil-police",
            "submitted_at": now,
            "survivor_minor": False}, source="referral", correlation_id="corr-1"),
        make_event("shelter.referral_received", {"reference": ref, "received_at": now,
                                                 "agency": "erbil-shelter"}, source="shelter"),
        make_event("referral.accepted", {"reference": ref, "decided_at": now, "legal_consent": True,
                                         "referring_agency": "erbil-police",
                                         "share_status_with_referrer": True,
                                         "shelter_agency": "erbil-shelter"},
                   source="referral", correlation_id="corr-3"),
    ]


def _queue(db, envelopes):
    with db.write() as s:
        for envelope in envelopes:
            messaging.add_to_outbox(s, outbox, envelope)


def _insert_raw(db, event_type: str) -> str:
    """An outbox row written by hand, with a type no queue is bound to."""
    event_id = str(uuid.uuid4())
    body = {"event_id": event_id, "type": event_type, "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "source": "referral", "correlation_id": None,
            "payload": {}}
    with db.write() as s:
        s.execute(insert(outbox).values(event_id=event_id, type=event_type, body=json.dumps(body),
                                        created_at=datetime.now(timezone.utc), attempts=0))
    return event_id


def _state(db) -> dict[str, tuple]:
    with db.read() as s:
        rows = s.execute(select(outbox).order_by(outbox.c.id)).all()
    return {r.event_id: (r.sent_at is not None, r.claimed_by, r.claimed_until, r.attempts, r.last_error)
            for r in rows}


def _published_by_a_poll(db, amqp_uri: str) -> int:
    """What one poll of a fresh relay (no hand-over) publishes."""
    relay = OutboxRelay(db, outbox, broker.ConfirmingPublisher(amqp_uri))
    try:
        return relay.publish_pending()
    finally:
        relay.publisher.close()


def test_declare_topology_is_idempotent_and_complete(amqp):
    broker.declare_topology(amqp)  # a second time (the fixture declared it once): no error
    channel = amqp.channel()
    try:
        for name in [topology.DEAD_LETTER_QUEUE, topology.INTAKE_QUEUE, *topology.EVENT_QUEUES]:
            assert channel.queue_declare(queue=name, passive=True).queue == name
        for exchange in (broker.EVENTS_EXCHANGE, broker.DEAD_LETTER_EXCHANGE):
            channel.exchange_declare(exchange.name, exchange.type, passive=True)
    finally:
        channel.close()


def test_declare_topology_unbinds_what_a_queue_was_bound_with_before(amqp, publisher):
    """A broker set up before decision 0059 bound each queue to whole sources (``referral.#``);
    declaring the queue again adds the exact keys but removes nothing: broker-setup unbinds the
    retired keys, so the legal service no longer hears a status change it does not apply."""
    channel = amqp.channel()
    try:
        channel.queue_purge("legal.events")  # what earlier tests of the session routed there
        for key in topology.RETIRED_BINDINGS["legal.events"]:
            channel.queue_bind("legal.events", topology.EVENTS_EXCHANGE, routing_key=key)
    finally:
        channel.close()
    ref = random_reference()
    publisher.publish({"as": "before"}, exchange=broker.EVENTS_EXCHANGE,
                      routing_key="referral.status_changed")
    assert [m.payload for m in drain(amqp, "legal.events", 1)] == [{"as": "before"}]
    broker.declare_topology(amqp)
    publisher.publish({"heard": False}, exchange=broker.EVENTS_EXCHANGE,
                      routing_key="referral.status_changed", mandatory=False)
    publisher.publish({"heard": ref}, exchange=broker.EVENTS_EXCHANGE,
                      routing_key="referral.accepted")
    assert [m.payload for m in drain(amqp, "legal.events", 1)] == [{"heard": ref}]


def test_publish_pending_publishes_with_confirms_and_marks_sent(db, vhost, amqp, listener):
    envelopes = _envelopes()
    _queue(db, envelopes)
    relay = OutboxRelay(db, outbox, broker.ConfirmingPublisher(vhost[1]))
    try:
        assert relay.publish_pending() == 3
        # confirmed means routed and enqueued: the three are on the queue now, no waiting
        assert queue_depth(amqp, listener) == 3
        assert relay.publish_pending() == 0  # nothing is published twice
    finally:
        relay.publisher.close()
    assert relay.published == 3
    assert all(state[:4] == (True, None, None, 0) for state in _state(db).values())
    with db.read() as s:
        assert messaging.backlog(s, outbox) == 0

    messages = drain(amqp, listener, 3)
    assert [m.payload for m in messages] == envelopes
    assert [m.delivery_info["routing_key"] for m in messages] == [e["type"] for e in envelopes]
    assert [m.properties["message_id"] for m in messages] == [e["event_id"] for e in envelopes]
    assert [m.headers["correlation_id"] for m in messages] == ["corr-1", None, "corr-3"]
    assert {(m.content_type, m.properties["delivery_mode"]) for m in messages} == {("application/json", 2)}


def test_publishing_to_a_routing_key_nobody_binds_raises_unroutable(vhost, amqp, listener, publisher):
    with pytest.raises(broker.Unroutable):
        publisher.publish({"hello": "nobody"}, exchange=broker.EVENTS_EXCHANGE,
                          routing_key="nobody.bound")
    # the publisher recovers: the next (routable) message goes through
    publisher.publish({"hello": "someone"}, exchange=broker.EVENTS_EXCHANGE,
                      routing_key="legal.case_opened")
    assert [m.payload for m in drain(amqp, listener, 1)] == [{"hello": "someone"}]


def test_the_relay_leaves_an_unroutable_row_unsent_and_publishes_the_rest(db, vhost, amqp, listener):
    """A row of a type that must reach a queue (as every type a service consumes must), which
    no queue takes, stays unsent (and is retried), without holding back the rows after it."""
    [first, *rest] = _envelopes()
    _queue(db, [first])
    stuck = _insert_raw(db, "nobody.bound")
    _queue(db, rest)
    relay = OutboxRelay(db, outbox, broker.ConfirmingPublisher(vhost[1]),
                        must_route=lambda event_type: True)
    reason = "unroutable: no queue bound for 1 event(s)"
    try:
        with pytest.raises(RelayFailure, match="unroutable"):
            relay.publish_pending()
        state = _state(db)
        for envelope in [first, *rest]:
            assert state[envelope["event_id"]][:4] == (True, None, None, 0)
        assert state[stuck] == (False, None, None, 1, reason)
        with pytest.raises(RelayFailure):  # and it stays so on the next round
            relay.publish_pending()
    finally:
        relay.publisher.close()
    assert _state(db)[stuck] == (False, None, None, 2, reason)
    assert relay.published == 1 + len(rest)
    assert [m.payload for m in drain(amqp, listener, 1 + len(rest))] == [first, *rest]


def test_a_row_of_a_type_no_service_consumes_goes_out_though_no_queue_takes_it(db, vhost, amqp, listener):
    """``topology.consumed``: an event type no service's queue is bound to (a capacity change)
    is published without ``mandatory``; the broker drops it and the row is sent, not retried."""
    assert not topology.consumed("nobody.bound") and topology.consumed("referral.submitted")
    [first, *rest] = _envelopes()
    _queue(db, [first])
    unheard = _insert_raw(db, "nobody.bound")
    _queue(db, rest)
    relay = OutboxRelay(db, outbox, broker.ConfirmingPublisher(vhost[1]))
    try:
        assert relay.publish_pending() == 2 + len(rest)
    finally:
        relay.publisher.close()
    assert all(state[:4] == (True, None, None, 0) for state in _state(db).values())
    assert unheard in _state(db)
    assert [m.payload for m in drain(amqp, listener, 1 + len(rest))] == [first, *rest]


def test_with_the_broker_unreachable_every_row_stays_unsent_and_unclaimed(db):
    envelopes = _envelopes()
    _queue(db, envelopes)
    relay = OutboxRelay(db, outbox, broker.ConfirmingPublisher(UNREACHABLE, connect_timeout=3))
    with pytest.raises(RelayFailure):
        relay.publish_pending()
    state = _state(db)
    assert list(state) == [e["event_id"] for e in envelopes]
    for sent, claimed_by, claimed_until, attempts, last_error in state.values():
        assert (sent, claimed_by, claimed_until, attempts) == (False, None, None, 1)
        assert last_error  # the error's type, for the operator
    assert relay.published == 0
    with db.read() as s:
        assert messaging.backlog(s, outbox) == 3


def test_rows_left_by_an_unreachable_broker_are_published_once_it_answers(db, vhost, amqp, listener):
    envelopes = _envelopes()
    _queue(db, envelopes)
    with pytest.raises(RelayFailure):
        OutboxRelay(db, outbox, broker.ConfirmingPublisher(UNREACHABLE, connect_timeout=3)).publish_pending()
    assert _published_by_a_poll(db, vhost[1]) == 3
    assert [m.payload for m in drain(amqp, listener, 3)] == envelopes
    assert all(state[0] for state in _state(db).values())


# --- the hand-over: a commit's rows go to its own relay, the poll is the safety net ---------------

def _handing_relay(db, amqp_uri: str, seconds: float = 60.0, **kwargs) -> OutboxRelay:
    relay = OutboxRelay(db, outbox, broker.ConfirmingPublisher(amqp_uri, **kwargs),
                        hand_over_seconds=seconds)
    db.on_commit(relay.committed, hand_over=relay.hand_over_lease)
    return relay


def test_a_commit_hands_its_rows_to_the_relay_which_publishes_them_without_claiming(
        db, vhost, amqp, listener):
    relay = _handing_relay(db, vhost[1])
    envelopes = _envelopes()
    try:
        _queue(db, envelopes)
        state = _state(db)
        claims = {claimed_by for _, claimed_by, _, _, _ in state.values()}
        assert len(claims) == 1 and None not in claims  # claimed as they were inserted
        assert all(until is not None for _, _, until, _, _ in state.values())
        assert relay.publish_pending() == 0  # the poll leaves rows under a live hand-over
        assert queue_depth(amqp, listener) == 0
        assert relay.publish_handed() == 3
        assert relay.publish_handed() == 0  # each once
    finally:
        relay.publisher.close()
    assert all(state[:4] == (True, None, None, 0) for state in _state(db).values())
    assert [m.payload for m in drain(amqp, listener, 3)] == envelopes


def test_a_handed_over_row_the_broker_did_not_take_goes_back_to_the_poll(db, vhost, amqp, listener):
    failing = _handing_relay(db, UNREACHABLE, connect_timeout=3)
    envelopes = _envelopes()
    _queue(db, envelopes)
    with pytest.raises(RelayFailure):
        failing.publish_handed()
    assert {state[:4] for state in _state(db).values()} == {(False, None, None, 1)}
    assert _published_by_a_poll(db, vhost[1]) == 3
    assert [m.payload for m in drain(amqp, listener, 3)] == envelopes


def test_rows_handed_to_a_relay_that_died_are_published_by_any_relay_once_the_lease_ends(
        db, vhost, amqp, listener):
    dead = _handing_relay(db, vhost[1], seconds=1.0)  # never publishes: its process died
    envelopes = _envelopes()
    _queue(db, envelopes)
    dead.publisher.close()
    survivor = OutboxRelay(db, outbox, broker.ConfirmingPublisher(vhost[1]))
    try:
        assert survivor.publish_pending() == 0  # still under the dead relay's lease
        time.sleep(1.2)
        assert survivor.publish_pending() == 3
    finally:
        survivor.publisher.close()
    assert [m.payload for m in drain(amqp, listener, 3)] == envelopes
    assert all(state[0] for state in _state(db).values())


def test_rows_are_handed_only_to_the_relay_they_were_claimed_for(db, vhost):
    first = _handing_relay(db, vhost[1])
    second = _handing_relay(db, vhost[1])  # registered later: its lease is the one asked
    try:
        _queue(db, _envelopes())
        assert len(second._handed) == 1 and len(first._handed) == 0
    finally:
        first.publisher.close()
        second.publisher.close()


def test_a_relay_stopped_cleanly_publishes_what_was_handed_to_it(db, vhost, amqp, listener):
    relay = _handing_relay(db, vhost[1])
    envelopes = _envelopes()
    _queue(db, envelopes)
    relay.stop()
    relay.run_forever()  # stopping already: no round, only what was handed over
    assert all(state[:4] == (True, None, None, 0) for state in _state(db).values())
    assert [m.payload for m in drain(amqp, listener, 3)] == envelopes


@contextlib.contextmanager
def _relay_polling_hourly(db, amqp_uri: str, **options):
    """A relay taking hand-overs, its thread running, its first poll done and the next an hour
    away; the block then writes; on leaving, waits (up to 10 s) until every row is sent, then
    stops the relay."""
    relay = OutboxRelay(db, outbox, broker.ConfirmingPublisher(amqp_uri), poll_interval=3600,
                        hand_over_seconds=60, **options)
    db.on_commit(relay.committed, hand_over=relay.hand_over_lease)
    runner = threading.Thread(target=relay.run_forever)
    runner.start()
    try:
        time.sleep(0.5)  # its first poll has found nothing; the next is an hour away
        yield relay
        deadline = time.time() + 10
        while time.time() < deadline and not all(s[0] for s in _state(db).values()):
            time.sleep(0.05)
    finally:
        relay.stop()
        runner.join(10)


def test_a_commit_also_brings_out_rows_written_behind_the_relays_back(db, vhost, amqp, listener):
    """With the poll an hour away, a commit's hand-over publishes its own rows and then, as a
    wake always did, whatever else waits (here a row another process wrote)."""
    with _relay_polling_hourly(db, vhost[1]):
        left = _insert_raw(db, "referral.left_behind")
        _queue(db, _envelopes())
    state = _state(db)
    assert len(state) == 4 and all(s[0] for s in state.values()), state
    assert {m.payload["event_id"] for m in drain(amqp, listener, 4)} >= {left}


def test_a_backlog_longer_than_a_batch_goes_out_batch_after_batch(db, vhost, amqp, listener):
    """Rows the hand-over did not take (a burst filled it) wait for the poll: a full batch is
    followed by the next at once, not one batch per ``poll_interval`` (here an hour)."""
    with _relay_polling_hourly(db, vhost[1], batch_size=10):
        behind = {_insert_raw(db, "referral.left_behind") for _ in range(35)}
        _queue(db, _envelopes())  # one commit's hand-over wakes it
    state = _state(db)
    assert len(state) == 38 and all(s[0] for s in state.values()), \
        sum(not s[0] for s in state.values())
    assert {m.payload["event_id"] for m in drain(amqp, listener, 38)} >= behind
