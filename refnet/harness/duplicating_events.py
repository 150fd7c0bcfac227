"""The four services with every event published twice (``refnet.harness.faults``), for
``python -m services.common.runtime.launcher --config deploy/nameko.yaml
refnet.harness.duplicating_events:ShelterService``."""

from services.legal.service import LegalService
from services.notify.service import NotifyService
from services.referral.service import ReferralService
from services.shelter.service import ShelterService

from .faults import publish_every_event_twice

publish_every_event_twice()

__all__ = ["LegalService", "NotifyService", "ReferralService", "ShelterService"]
