"""Names of the broker topology. The declaration itself lives with kombu in services.common.broker.

One topic exchange carries every event, routed by its type (``referral.submitted``...). Each
consuming service owns one durable quorum queue bound to the event types it needs; a message
that keeps failing is dead-lettered to one parking queue an operator can inspect and replay.
"""

EVENTS_EXCHANGE = "refnet.events"
DEAD_LETTER_EXCHANGE = "refnet.dead"
DEAD_LETTER_QUEUE = "refnet.dead-letters"
INTAKE_QUEUE = "referral.intake"
DELIVERY_LIMIT = 5

# queue name -> routing keys it is bound with on EVENTS_EXCHANGE
EVENT_QUEUES = {
    "referral.events": ("shelter.#", "legal.#"),
    "shelter.events": ("referral.#", "legal.#"),
    "legal.events": ("referral.#", "shelter.#"),
    "notify.events": ("referral.#", "shelter.#", "legal.#"),
}

# what each gateway worker's status copy binds its own exclusive queue with (gateway/statuscopy.py,
# docs/decisions/0048): everything the referral service announces after its commits, and what
# it consumes (a referral of those is unsettled until the referral service announces it)
STATUS_COPY_KEYS = ("referral.#", *EVENT_QUEUES["referral.events"])


def event_queue_for(service_name: str) -> str:
    """The queue a service consumes its events from."""
    return f"{service_name}.events"
