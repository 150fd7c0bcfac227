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
# docs/decisions/0048): everything the referral service announces after its commit, and the
# shelter and legal events it applies to a status answer without announcing a change of its own
STATUS_COPY_KEYS = ("referral.#", "legal.#", "shelter.referral_offered",
                    "shelter.referral_unplaced", "shelter.resident_transferred",
                    "shelter.partner_referral_changed")


def event_queue_for(service_name: str) -> str:
    """The queue a service consumes its events from."""
    return f"{service_name}.events"
