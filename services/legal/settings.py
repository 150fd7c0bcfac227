"""Every variable the legal service's process reads, its default and its meaning: those of
every service (``services.common.settings.service_settings``: the broker, the file keys, the
clocks, metrics, ``LEGAL_DATABASE_URL``), the hearing reminders' own two and retention's two."""

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
    Setting("REFNET_LEGAL_RETENTION_DAYS", "365",
            "this long after the legal team closed a legal case, its legal notes are erased and "
            "its other free text (counselling topics, charge descriptions, hearing purposes and "
            "notes, authorities, employers, dispute outcomes) anonymised", float),
    Setting("REFNET_LEGAL_RETENTION_SWEEP_SECONDS", "3600",
            "how often every legal replica runs its retention sweep (each case is anonymised "
            "once)", float),
)
