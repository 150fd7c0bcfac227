"""The referral service's own secrets, beside the shared file cipher (``FileKeys``)."""

from nameko.extensions import DependencyProvider

from services.common.settings import Values

from .domain.retention import search_key


class ReferralSecrets(DependencyProvider):
    """Injects ``.intake_private_key`` (unseals submissions) and ``.search_key`` (the name
    digest, and the FHIR Task's patient pseudonym), from the nameko config
    (``INTAKE_PRIVATE_KEY``, ``SEARCH_KEY``) or the service's settings."""

    def __init__(self, values: Values):
        self.values = values

    def setup(self):
        config = self.container.config
        private = config.get("INTAKE_PRIVATE_KEY") or self.values.intake_private_key
        if not private:
            raise RuntimeError("REFNET_INTAKE_PRIVATE_KEY must be set "
                               "(`refnet init-secrets` writes it to var/refnet.env)")
        self.intake_private_key = private
        self.search_key = search_key(config.get("SEARCH_KEY") or self.values.search_key, private)

    def get_dependency(self, worker_ctx):
        return self
