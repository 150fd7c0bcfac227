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

# queue name -> the event types (routing keys) it is bound with on EVENTS_EXCHANGE: exactly
# those its service applies (its ``usecases/events.py`` handlers; tests/unit/test_topology.py
# holds the two together). A queue bound to a whole source (``shelter.#``) carried every event
# to every service, which parsed it and dropped most: the legal service applied none of the
# four events of a submission (decision 0059).
EVENT_QUEUES = {
    "referral.events": (
        "shelter.admitted", "shelter.bed_held", "shelter.discharged", "shelter.follow_up_ended",
        "shelter.hold_expired", "shelter.partner_referral_changed", "shelter.referral_accepted",
        "shelter.referral_declined", "shelter.referral_offered", "shelter.referral_received",
        "shelter.referral_unplaced", "shelter.resident_transferred", "shelter.screening_started",
        "shelter.waitlisted",
        "legal.case_closed", "legal.case_opened", "legal.case_reopened",
        "legal.court_status_changed", "legal.hearing_outcome", "legal.hearing_scheduled"),
    "shelter.events": (
        "referral.agency_changed", "referral.closed", "referral.consent_changed",
        "referral.submitted", "referral.withdrawn",
        "legal.case_closed", "legal.case_opened", "legal.case_reopened",
        "legal.court_status_changed", "legal.hearing_outcome", "legal.hearing_reminder",
        "legal.hearing_scheduled"),
    "legal.events": (
        "referral.accepted", "referral.consent_changed", "referral.withdrawn",
        "shelter.legal_referral_requested"),
    "notify.events": (
        "referral.accepted", "referral.closed", "referral.consent_changed",
        "referral.status_changed", "referral.submitted", "referral.withdrawn",
        "shelter.admitted", "shelter.bed_held", "shelter.hold_expired",
        "shelter.milestone_overdue", "shelter.referral_offered", "shelter.task_changed",
        "legal.court_status_changed", "legal.hearing_reminder"),
}

# every type some queue is bound to (the keys are exact types, no wildcard: test_topology.py)
_CONSUMED = frozenset(key for keys in EVENT_QUEUES.values() for key in keys)

# what the queues were bound with before decision 0059: ``refnet broker-setup`` unbinds them
# from a broker set up earlier (a binding is never removed by declaring the queue again)
RETIRED_BINDINGS = {
    "referral.events": ("shelter.#", "legal.#"),
    "shelter.events": ("referral.#", "legal.#"),
    "legal.events": ("referral.#", "shelter.#"),
    "notify.events": ("referral.#", "shelter.#", "legal.#"),
}

# what each gateway worker's status copy binds its own exclusive queue with (gateway/statuscopy.py,
# docs/decisions/0048): everything the referral service announces after its commits, and what
# it consumes (a referral of those is unsettled until the referral service announces it)
STATUS_COPY_KEYS = ("referral.#", *EVENT_QUEUES["referral.events"])


def consumed(event_type: str) -> bool:
    """Whether any service's queue is bound to ``event_type``. One that none is (a capacity
    change, a legal document's status) is published all the same, for whoever binds it later,
    but not as ``mandatory``: no route is then no fault."""
    return event_type in _CONSUMED


def event_queue_for(service_name: str) -> str:
    """The queue a service consumes its events from."""
    return f"{service_name}.events"
