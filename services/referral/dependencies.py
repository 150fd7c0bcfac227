"""The referral service's own secrets, beside the shared file cipher (``FileKeys``)."""

from nameko.extensions import DependencyProvider

from services.common.runtime.providers import settings_of

from .domain.retention import search_key
from .settings import SETTINGS


class ReferralSecrets(DependencyProvider):
    """Injects ``.intake_private_key`` (unseals submissions) and ``.search_key`` (the name
    digest, and the FHIR Task's patient pseudonym), from the service's settings (the private
    key is required there: the process does not start without a valid one)."""

    def setup(self):
        values = settings_of(self.container, "referral", SETTINGS)
        self.intake_private_key = values.intake_private_key
        self.search_key = search_key(values.search_key, values.intake_private_key)

    def get_dependency(self, worker_ctx):
        return self
