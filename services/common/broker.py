"""The broker topology as kombu objects, its declaration, and a confirming publisher.

Every consumer queue is a durable quorum queue with a delivery limit and a dead-letter
exchange: a message whose handler keeps failing is redelivered at most ``DELIVERY_LIMIT`` times
and then parked in ``refnet.dead-letters``. ``declare_topology`` runs before any service starts
(``refnet broker-setup``, as the broker's administrator), and each service declares its own
queues again at its start (``declare_own``, with its own broker user, which may configure
nothing else), so an event published while its consumer is down waits in its queue.
"""

import json
import logging

import kombu
from amqp.exceptions import ChannelError

from services.contracts import topology as t

log = logging.getLogger(__name__)

EVENTS_EXCHANGE = kombu.Exchange(t.EVENTS_EXCHANGE, type="topic", durable=True)
DEAD_LETTER_EXCHANGE = kombu.Exchange(t.DEAD_LETTER_EXCHANGE, type="fanout", durable=True)
DEFAULT_EXCHANGE = kombu.Exchange("", type="direct", durable=True)

QUORUM_ARGS = {
    "x-queue-type": "quorum",
    "x-delivery-limit": t.DELIVERY_LIMIT,
    "x-dead-letter-exchange": t.DEAD_LETTER_EXCHANGE,
}


def dead_letter_queue() -> kombu.Queue:
    """The one quorum queue where messages past their delivery limit are parked."""
    return kombu.Queue(t.DEAD_LETTER_QUEUE, exchange=DEAD_LETTER_EXCHANGE, durable=True,
                       queue_arguments={"x-queue-type": "quorum"})


def intake_queue() -> kombu.Queue:
    """Police submissions, published by the gateway to the default exchange by queue name."""
    return kombu.Queue(t.INTAKE_QUEUE, exchange=DEFAULT_EXCHANGE, routing_key=t.INTAKE_QUEUE,
                       durable=True, queue_arguments=QUORUM_ARGS)


def event_queue(service_name: str) -> kombu.Queue:
    """The durable quorum queue a service consumes its events from, with its bindings."""
    name = t.event_queue_for(service_name)
    bindings = [kombu.binding(EVENTS_EXCHANGE, routing_key=key) for key in t.EVENT_QUEUES[name]]
    return kombu.Queue(name, bindings=bindings, durable=True, queue_arguments=QUORUM_ARGS)


def all_queues() -> list[kombu.Queue]:
    """Every queue of the topology: dead letters, intake and each service's events."""
    queues = [dead_letter_queue(), intake_queue()]
    queues += [event_queue(name.split(".")[0]) for name in t.EVENT_QUEUES]
    return queues


def declare_topology(connection: kombu.Connection) -> None:
    """Declare exchanges, queues and bindings, and remove the bindings retired since
    (``topology.RETIRED_BINDINGS``; unbinding what is not bound does nothing): idempotent."""
    channel = connection.channel()
    try:
        for exchange in (EVENTS_EXCHANGE, DEAD_LETTER_EXCHANGE):
            exchange(channel).declare()
        for queue in all_queues():
            queue(channel).declare()
            for key in t.RETIRED_BINDINGS.get(queue.name, ()):
                queue(channel).unbind_from(EVENTS_EXCHANGE, routing_key=key)
    finally:
        channel.close()


def own_queues(service_name: str) -> list[kombu.Queue]:
    """The durable queues a service consumes: its events (if it has an event queue), and for
    referral the intake."""
    has_events = t.event_queue_for(service_name) in t.EVENT_QUEUES
    queues = [event_queue(service_name)] if has_events else []
    return [intake_queue(), *queues] if service_name == "referral" else queues


def declare_own(connection: kombu.Connection, service_name: str) -> None:
    """Declare a service's own queues and their bindings (idempotent): all its user may do."""
    channel = connection.channel()
    try:
        for queue in own_queues(service_name):
            queue(channel).declare()
    finally:
        channel.close()


class Unroutable(Exception):
    """The broker returned a mandatory message: no queue is bound for it."""


class ConfirmingPublisher:
    """Publishes persistent JSON messages with publisher confirms and ``mandatory`` routing.

    ``publish`` returns only once the broker has confirmed the message; it raises
    ``Unroutable`` when no queue took it, or a connection error when the broker is away.
    Not thread-safe: one per thread or green thread.
    """

    def __init__(self, amqp_uri: str, *, connect_timeout: float = 5.0):
        self.amqp_uri = amqp_uri
        self.connect_timeout = connect_timeout
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None

    def _ensure(self) -> kombu.Producer:
        if self._producer is None:
            conn = kombu.Connection(self.amqp_uri, connect_timeout=self.connect_timeout,
                                    transport_options={"confirm_publish": True})
            conn.connect()
            self._connection = conn
            self._producer = kombu.Producer(conn.channel())
        return self._producer

    def publish(self, body: dict, *, exchange: kombu.Exchange, routing_key: str,
                message_id: str | None = None, headers: dict | None = None,
                declare: list | None = None, mandatory: bool = True) -> None:
        """Publish a dict as JSON; return once confirmed. ``mandatory=False``: a message no
        queue is bound for is dropped by the broker instead of raising ``Unroutable``."""
        self.publish_raw(json.dumps(body), content_type="application/json", exchange=exchange,
                         routing_key=routing_key, message_id=message_id, headers=headers,
                         declare=declare, mandatory=mandatory)

    def publish_raw(self, body, *, content_type: str, exchange: kombu.Exchange, routing_key: str,
                    message_id: str | None = None, headers: dict | None = None,
                    declare: list | None = None, properties: dict | None = None,
                    mandatory: bool = True) -> None:
        """Publish an already encoded body; return once confirmed. ``properties``: more AMQP
        message properties (``reply_to``, ``correlation_id``, ``expiration`` in seconds)."""
        producer = self._ensure()
        try:
            producer.publish(
                body, exchange=exchange, routing_key=routing_key,
                content_type=content_type, content_encoding="utf-8",
                delivery_mode=2, mandatory=mandatory, message_id=message_id, headers=headers or {},
                declare=declare or [], retry=False, **(properties or {}))
        except ChannelError as exc:
            self.close()  # the channel is unusable after a channel error
            if getattr(exc, "reply_code", None) == 312 or "NO_ROUTE" in str(exc):
                raise Unroutable(routing_key) from exc
            raise
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        """Release the publisher's connection (a failure to release is ignored)."""
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # pragma: no cover - best effort on a dead connection
                pass
        self._connection = None
        self._producer = None
