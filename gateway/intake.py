"""Durable intake: a validated police submission is sealed and put on the intake queue.

The publish is confirmed by the broker before the gateway answers ``202``, and the queue is a
durable quorum queue, so the submission survives a referral-service outage or restart. The
reference is derived from the idempotency key (when given), so a retry yields the same
reference and the referral service, which records each reference once, creates nothing new.
"""

import json
import threading

from services.common import broker
from services.common.randomness import uuid4
from services.common.sealing import seal
from services.common.clock import Clock, SystemClock
from services.contracts.references import random_reference, reference_for_key
from services.contracts.submission import seal_binding

from .metrics import INTAKE

INTAKE_QUEUE = broker.intake_queue()


class IntakePublisher:
    def __init__(self, amqp_uri: str, public_key: str, reference_secret: str,
                 clock: Clock | None = None):
        self.amqp_uri = amqp_uri
        self.clock = clock or SystemClock()
        self.public_key = public_key
        self.reference_secret = reference_secret.encode()
        self._local = threading.local()

    def _publisher(self) -> broker.ConfirmingPublisher:
        if not hasattr(self._local, "publisher"):
            self._local.publisher = broker.ConfirmingPublisher(self.amqp_uri, connect_timeout=3)
        return self._local.publisher

    def reference(self, agency: str, idempotency_key: str | None) -> str:
        if idempotency_key:
            return reference_for_key(self.reference_secret, agency, idempotency_key)
        return random_reference()

    def submit(self, submission_json: dict, *, reference: str, agency: str, user: str,
               correlation_id: str | None) -> dict:
        """Seal and publish; returns the command once the broker confirmed it."""
        command = {
            "command_id": str(uuid4()),
            "reference": reference,
            "agency": agency,
            "submitted_by": user,
            "submitted_at": self.clock.now().isoformat(),
            "correlation_id": correlation_id,
            "sealed_submission": seal(json.dumps(submission_json, sort_keys=True).encode(),
                                      self.public_key, seal_binding(reference, agency, user)),
        }
        last_error = None
        for _attempt in range(2):  # a stale connection (after a broker restart) gets one retry
            try:
                self._publisher().publish(command, exchange=broker.DEFAULT_EXCHANGE,
                                          routing_key=INTAKE_QUEUE.name,
                                          message_id=command["command_id"])
                INTAKE.labels("confirmed").inc()  # the access line names the reference
                return command
            except Exception as exc:
                last_error = exc
        INTAKE.labels("failed").inc()
        raise last_error
