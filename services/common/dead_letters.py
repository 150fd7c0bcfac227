"""The dead-letter queue, for operators: list parked messages and replay one.

A message lands in ``refnet.dead-letters`` after its handler failed ``DELIVERY_LIMIT`` times.
Listing never removes anything (messages are fetched unacknowledged and returned); replay
publishes the message, with confirms, back to the queue it died in and only then removes it
from the parking queue. Only ids, types and queues are shown: bodies may hold sealed files.
"""

from dataclasses import dataclass

import kombu

from services.contracts import topology

from .broker import DEFAULT_EXCHANGE, ConfirmingPublisher


TYPE_HEADER = "x-refnet-type"


@dataclass
class DeadLetter:
    """One parked message: its ids, type, queue, why it died and how often."""
    id: str          # "<message id>@<queue it died in>": one event can die in several queues
    type: str
    queue: str
    reason: str
    deaths: int
    died_at: str


def _describe(message) -> DeadLetter:
    headers = message.headers or {}
    deaths = headers.get("x-death") or [{}]
    first = deaths[0]
    queue = first.get("queue") or headers.get("x-first-death-queue") or ""
    return DeadLetter(
        id=f"{message.properties.get('message_id') or '?'}@{queue}",
        type=headers.get(TYPE_HEADER) or message.delivery_info.get("routing_key") or "",
        queue=queue,
        reason=first.get("reason") or headers.get("x-first-death-reason") or "",
        deaths=sum(int(d.get("count") or 1) for d in deaths),
        died_at=str(first.get("time", "")),
    )


def _fetch_all(channel) -> list:
    queue = kombu.Queue(topology.DEAD_LETTER_QUEUE, channel=channel, no_declare=True)
    messages = []
    while True:
        message = queue.get(no_ack=False, accept=["json", "application/json"])
        if message is None:
            return messages
        messages.append(message)


def count(amqp_uri: str) -> int:
    """How many messages are parked (0 if the queue is not declared yet)."""
    with kombu.Connection(amqp_uri, connect_timeout=3) as conn:
        try:
            return conn.channel().queue_declare(topology.DEAD_LETTER_QUEUE, passive=True).message_count
        except Exception:
            return 0


def list_dead_letters(amqp_uri: str) -> list[DeadLetter]:
    """The messages parked in the dead-letter queue, left in place."""
    with kombu.Connection(amqp_uri, connect_timeout=5) as conn:
        channel = conn.channel()
        try:
            return [_describe(m) for m in _fetch_all(channel)]
        finally:
            channel.close()  # unacknowledged messages go back to the parking queue


def replay(amqp_uri: str, message_id: str) -> DeadLetter | None:
    """Send one parked message back to its queue; None if no message has that id."""
    with kombu.Connection(amqp_uri, connect_timeout=5) as conn:
        channel = conn.channel()
        try:
            for message in _fetch_all(channel):
                info = _describe(message)
                if info.id != message_id:
                    continue
                publisher = ConfirmingPublisher(amqp_uri)
                try:
                    publisher.publish_raw(message.body, content_type=message.content_type,
                                          exchange=DEFAULT_EXCHANGE, routing_key=info.queue,
                                          message_id=message.properties.get("message_id"),
                                          headers={TYPE_HEADER: info.type})
                finally:
                    publisher.close()
                message.ack()
                return info
            return None
        finally:
            channel.close()
