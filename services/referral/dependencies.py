"""The referral service's own dependency providers: its secrets."""

import os

from nameko.extensions import DependencyProvider

from services.common.sealing import FileCipher

from .domain.retention import search_key


class ReferralSecrets(DependencyProvider):
    """Injects ``.cipher`` (personal data at rest), ``.intake_private_key`` (unseals
    submissions), both from the environment (``REFNET_FILE_KEYS``, ``REFNET_INTAKE_PRIVATE_KEY``)
    or nameko config (``FILE_KEYS``, ``INTAKE_PRIVATE_KEY``), and ``.search_key``
    (``REFNET_SEARCH_KEY``: the name digest, and the FHIR Task's patient pseudonym)."""

    def setup(self):
        config = self.container.config
        keys = config.get("FILE_KEYS") or os.environ.get("REFNET_FILE_KEYS")
        private = config.get("INTAKE_PRIVATE_KEY") or os.environ.get("REFNET_INTAKE_PRIVATE_KEY")
        if not keys or not private:
            raise RuntimeError("REFNET_FILE_KEYS and REFNET_INTAKE_PRIVATE_KEY must be set "
                               "(`refnet init-secrets` writes them to var/refnet.env)")
        self.cipher = FileCipher(keys)
        self.intake_private_key = private
        self.search_key = search_key(config.get("SEARCH_KEY") or os.environ.get("REFNET_SEARCH_KEY"),
                                     private)

    def get_dependency(self, worker_ctx):
        return self
