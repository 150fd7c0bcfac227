"""Every variable the legal service's process reads, its default and its meaning: those of
every service (``services.common.settings.service_settings``: the broker, the file keys, the
clocks, metrics, ``LEGAL_DATABASE_URL``) and the hearing reminders' own two."""

from services.common.settings import Setting, Settings, service_settings

from .domain.hearings import DEFAULT_REMINDER_LEAD

SETTINGS = Settings(
    "legal",
    service_settings("legal"),
    Setting("REFNET_REMINDER_LEAD_SECONDS", f"{DEFAULT_REMINDER_LEAD.total_seconds():.0f}",
            "how long before a hearing the survivor must attend the reminder goes out",
            float),
    Setting("REFNET_REMINDER_POLL_SECONDS", "30",
            "how often each legal replica looks for due reminders", float),
)
