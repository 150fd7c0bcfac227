"""Every variable the referral service process reads: its default and what it means.

Loaded once when the service module is imported (``services.referral.service``), so a missing
or malformed value (the file keys, the intake private key) stops the process there with the
variable's name.
"""

from services.common.settings import (Setting, Settings, intake_private_key, long_secret,
                                      service_settings)

SETTINGS = Settings(
    "referral",
    service_settings("referral"),
    Setting("REFNET_INTAKE_PRIVATE_KEY", None,
            "the gateway seals submissions with the public key; only the referral service holds "
            "the private one",
            intake_private_key, required=True, secret=True),
    Setting("REFNET_SEARCH_KEY", None,
            "HMAC key of the name digest used by `POST /referrals/search` and of the FHIR Task's "
            "patient pseudonym (derived from the intake private key when unset)", long_secret,
            secret=True),
    Setting("REFNET_SHELTER_AGENCY", "erbil-shelter",
            "the agency id the shelter service signs its receipts with"),
    Setting("REFNET_RETENTION_DAYS", "365",
            "referrals that ended (closed, declined, withdrawn, discharged) and unchanged this "
            "long are anonymised, unless a legal or court case of theirs is still open", float),
    Setting("REFNET_RETENTION_SWEEP_SECONDS", "3600",
            "how often the referral service runs the retention sweep", float),
    Setting("REFNET_STALE_REFERRAL_DAYS", "90",
            "a referral stuck before admission (submitted, received, screening, waitlisted, "
            "accepted, bed held) whose status has not moved this long is closed with a coded "
            "reason (`no_decision`, `no_bed`, `no_arrival`), then anonymised after "
            "`REFNET_RETENTION_DAYS`", float),
    Setting("REFNET_SETTLE_DAYS", "30",
            "a declined or withdrawn referral unchanged this long is closed "
            "(`declined_settled`, `withdrawn_settled`): every end of a referral reaches "
            "`closed`; then anonymised after `REFNET_RETENTION_DAYS`", float),
)
