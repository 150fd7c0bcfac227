"""The fault harness itself, on one service: the shelter run through
``refnet.harness.duplicating_events`` publishes each of its events twice, and an event delivered
to it twice is applied once. No broker restart, no other service: a private vhost and databases."""

import json
import uuid
from datetime import datetime, timezone

import kombu
from sqlalchemy import func, select

from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.faults import DuplicatingPublisher
from refnet.harness.network import Network
from refnet.harness.polling import poll
from services.common.broker import EVENTS_EXCHANGE, ConfirmingPublisher, event_queue
from services.common.db import Database
from services.contracts.envelope import make_event
from services.shelter.tables import incoming, processed_events

REFERENCE = "RN-AAAA-BBBB-CCCC-DDDD"


def queue_state(uri: str, name: str) -> tuple[int, int]:
    """(messages ready, consumers) of a queue, from a passive declare."""
    with kombu.Connection(uri) as conn:
        _name, ready, consumers = conn.channel().queue_declare(queue=name, passive=True)
    return ready, consumers


def submitted_event() -> dict:
    return make_event("referral.submitted", {
        "reference": REFERENCE, "population_group": "women", "urgency": "urgent",
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "tip-unit-harness", "submitted_at": datetime.now(timezone.utc),
        "survivor_minor": False},
        source="referral")


def test_a_service_with_duplicated_events_sends_each_twice_and_applies_each_once(tmp_path):
    vhost, uri = create_vhost("refnet-fault-harness")
    net = Network(tmp_path, uri, duplicate_events=True)
    tap_connection = kombu.Connection(uri)
    try:
        net.prepare()
        tap = kombu.Queue(f"tap-{uuid.uuid4().hex[:6]}", exchange=EVENTS_EXCHANGE, routing_key="#",
                          durable=False)
        tap(tap_connection.channel()).declare()
        shelter_queue = event_queue("shelter").name
        net.start("shelter")
        poll(lambda: queue_state(uri, shelter_queue)[1] >= 1, "the shelter consuming its events",
             timeout=60)

        event = submitted_event()
        publisher = DuplicatingPublisher(ConfirmingPublisher(uri))
        publisher.publish(event, exchange=EVENTS_EXCHANGE, routing_key="referral.submitted",
                          message_id=event["event_id"])
        publisher.close()

        seen: list[dict] = []

        def received_twice():
            bound = tap(tap_connection.channel())
            while (message := bound.get(no_ack=True, accept=["json", "application/json"])) is not None:
                seen.append(json.loads(message.body))
            received = [m for m in seen if m["type"] == "shelter.referral_received"]
            return received if len(received) >= 2 else None

        received = poll(received_twice, "the shelter's event, twice", timeout=60)
        poll(lambda: queue_state(uri, shelter_queue)[0] == 0, "both copies taken by the shelter")
        net.stop("shelter")  # a graceful stop: a copy in hand is finished and acknowledged
        assert queue_state(uri, shelter_queue)[0] == 0, net.tail_logs()

        copies = [m["event_id"] for m in seen if m["type"] == "referral.submitted"]
        assert copies == [event["event_id"]] * 2  # what went in really went twice
        assert len(received) == 2 and len({m["event_id"] for m in received}) == 1, received
        assert received[0]["payload"]["reference"] == REFERENCE
        db = Database(net.env["SHELTER_DATABASE_URL"])
        try:
            with db.read() as s:
                rows = s.execute(select(func.count()).select_from(incoming)
                                 .where(incoming.c.reference == REFERENCE)).scalar()
                applied = s.execute(select(func.count()).select_from(processed_events)
                                    .where(processed_events.c.event_id == event["event_id"])).scalar()
        finally:
            db.dispose()
        assert (rows, applied) == (1, 1)  # the two copies had one effect
        assert "every event is published twice" in net.all_logs()
    finally:
        net.stop()
        tap_connection.release()
        delete_vhost(vhost)
