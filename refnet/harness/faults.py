"""Test-only faults, kept out of the services: a publisher that sends every event twice, to
show that every consumer applies each effect once.

The services' outbox makes its publisher through one seam, ``Outbox.make_publisher``;
:func:`publish_every_event_twice` replaces it in the process that calls it. A test network
runs its services through ``refnet.harness.duplicating_events`` (which does so, then offers the
four service classes to the launcher) instead of ``services.<name>.service``.
"""

import logging

log = logging.getLogger(__name__)

DUPLICATING_MODULE = "refnet.harness.duplicating_events"
SERVICE_CLASSES = {"referral": "ReferralService", "shelter": "ShelterService", "legal": "LegalService",
                   "notify": "NotifyService"}


class DuplicatingPublisher:
    """Publishes every message twice through the publisher it wraps."""

    def __init__(self, inner):
        self.inner = inner

    def publish(self, body, **kwargs):
        """Publish ``body`` twice, with the same message id and envelope."""
        self.inner.publish(body, **kwargs)
        self.inner.publish(body, **kwargs)

    def close(self):
        """Close the wrapped publisher."""
        self.inner.close()


def publish_every_event_twice() -> None:
    """Make every outbox of this process publish through a :class:`DuplicatingPublisher`."""
    from services.common.runtime.providers import Outbox
    if getattr(Outbox.make_publisher, "duplicating", False):
        return
    make_publisher = Outbox.make_publisher

    def duplicating(self, amqp_uri):
        log.warning("fault injection: every event is published twice")
        return DuplicatingPublisher(make_publisher(self, amqp_uri))

    duplicating.duplicating = True
    Outbox.make_publisher = duplicating


def duplicating_command(command: str, service: str) -> str:
    """A Procfile command of ``service`` that runs it with every event published twice."""
    module = f"services.{service}.service"
    if module not in command:
        raise ValueError(f"the command of {service} does not run {module}: {command}")
    return command.replace(module, f"{DUPLICATING_MODULE}:{SERVICE_CLASSES[service]}")
