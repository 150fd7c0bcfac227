"""Consumers of the services' queues: acked on success, handed back with a growing delay on
failure, and parked in the dead-letter queue past the delivery limit."""

import logging
import socket

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from nameko.messaging import Consumer, QueueConsumer

from services.contracts import topology

from .. import broker, metrics
from ..errors import RetryLater
from .providers import settings_of

log = logging.getLogger(__name__)


def retry_delay(delivery_count: int, base: float = 0.5) -> float:
    """Seconds to wait before handing a failed message back: base, 2x, 4x... 16x at most."""
    return base * (2 ** min(4, max(0, delivery_count)))


class SafeQueueConsumer(QueueConsumer):
    """nameko's shared queue consumer, surviving an ack or requeue on a dead connection.

    nameko only catches amqp's ``ConnectionError`` there; a socket error (the broker restarted
    mid-ack) escapes into the worker and kills the whole container. The broker redelivers an
    unacknowledged message once the consumer reconnects, and every handler is idempotent, so
    the right answer to a failed ack is to log it and go on.
    """

    # how often the consuming loop, parked on an idle connection, looks up: at a stop it waits
    # twice (its providers removed, then its own end), so kombu's one second made every service
    # take two seconds to stop; each look is a timer and a heartbeat check (an idle service
    # measured 1-2 ms of CPU a second more: decision 0061)
    STOP_CHECK_SECONDS = 0.2

    def consume(self, limit=None, timeout=None, safety_interval=STOP_CHECK_SECONDS, **kwargs):
        """kombu's consuming loop, looking for a stop every ``STOP_CHECK_SECONDS``."""
        return super().consume(limit=limit, timeout=timeout, safety_interval=safety_interval,
                               **kwargs)

    def ack_message(self, message):
        self._settle(super().ack_message, message, "ack")

    def requeue_message(self, message):
        self._settle(super().requeue_message, message, "requeue")

    def _settle(self, settle, message, what: str) -> None:
        try:
            settle(message)
        except (OSError, AmqpConnectionError) as exc:
            log.warning("%s lost with the broker connection (%s); the broker will redeliver",
                        what, type(exc).__name__)
            self._drop_connection(message)

    @staticmethod
    def _drop_connection(message):
        """Shut the dead connection's socket so the consuming loop, which may be parked reading
        it, wakes with an error and reconnects (seen: without this it could wait for good)."""
        try:
            message.channel.connection.transport.sock.shutdown(socket.SHUT_RDWR)
        except Exception:  # already gone: the loop has noticed by itself
            pass


class ReliableConsumer(Consumer):
    """nameko's ``consume`` entrypoint with bounded, backed-off redelivery.

    Success acks. A failure requeues the message after ``retry_delay`` (in a green thread, so
    other messages go on meanwhile); the quorum queue counts deliveries and, past its
    ``x-delivery-limit``, dead-letters the message to ``refnet.dead-letters``. Logs name the
    message id and type, never the body.
    """

    queue_consumer = SafeQueueConsumer()

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        headers = message.headers or {}
        count = int(headers.get("x-delivery-count") or 0)
        # read at each failure, so a test can shorten the waits of a running service
        delay = retry_delay(count, settings_of(self.container, self.container.service_name)
                            .retry_base_seconds)
        if count + 1 > topology.DELIVERY_LIMIT:  # this return makes the broker park it
            metrics.for_service(self.container.service_name).dead_lettered.labels(
                self.container.service_name, self.queue.name).inc()
        log.warning("message %s (%s) failed on %s: %s; redelivery %d in %.1fs",
                    message.properties.get("message_id"), message.delivery_info.get("routing_key"),
                    self.queue.name, exc_info[0].__name__, count + 1, delay)

        def requeue_later():
            eventlet.sleep(delay)
            self.queue_consumer.requeue_message(message)

        self.container.spawn_managed_thread(requeue_later)


def consume_events(service_name: str):
    """Entrypoint decorator: consume the service's event queue, with retries and dead letters
    (a ``RetryLater`` is retried as any failure is, and logged as expected, at INFO:
    ``logs.RefusalsAreNotErrors``)."""
    return ReliableConsumer.decorator(broker.event_queue(service_name),
                                      expected_exceptions=RetryLater)


def consume_intake():
    """Entrypoint decorator: consume police submissions, with retries and dead letters."""
    return ReliableConsumer.decorator(broker.intake_queue(), expected_exceptions=RetryLater)
