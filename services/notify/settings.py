"""Every variable the notify service's process reads, its default and its meaning: those of
every service (``services.common.settings.service_settings``: the broker, the file keys, the
clocks, metrics, ``NOTIFY_DATABASE_URL``), where its links point, when a hold is warned about,
how often it sends and retries, and the two outside channels: SMTP and an SMS webhook. An
outside channel without its address is off (the inbox is always on)."""

from services.common.settings import Setting, Settings, boolean, optional, service_settings


def _sms_format(text: str) -> str:
    if text not in ("json", "form"):
        raise ValueError("expected json or form")
    return text


SETTINGS = Settings(
    "notify",
    service_settings("notify"),
    Setting("REFNET_PUBLIC_URL", "http://127.0.0.1:8000",
            "the web address people open refnet at: a message's link starts with it"),
    Setting("REFNET_HOLD_WARNING_MINUTES", "60",
            "how long before a bed hold expires its provider is told the person has not "
            "arrived", float),
    Setting("REFNET_NOTIFY_SWEEP_SECONDS", "30",
            "how often each notify replica looks for holds about to expire", float),
    Setting("REFNET_NOTIFY_POLL_SECONDS", "2",
            "how often each notify replica sends the email and SMS that are due", float),
    Setting("REFNET_NOTIFY_MAX_ATTEMPTS", "8",
            "tries of one message before it is dead and the admins are told", int),
    Setting("REFNET_NOTIFY_BACKOFF_SECONDS", "15",
            "wait after a message's first failed try; doubled after each (at most one hour)",
            float),
    Setting("REFNET_SMTP_HOST", None, "the SMTP server email goes through (unset: no email)",
            optional),
    Setting("REFNET_SMTP_PORT", "587", "its port", int),
    Setting("REFNET_SMTP_STARTTLS", "yes", "upgrade the connection with STARTTLS (refuse a "
            "server that does not offer it)", boolean),
    Setting("REFNET_SMTP_CA_FILE", None, "a CA certificate file to trust for the SMTP server "
            "(unset: the system's)", optional),
    Setting("REFNET_SMTP_USERNAME", None, "the SMTP login (unset: none)", optional),
    Setting("REFNET_SMTP_PASSWORD", None, "its password", optional, secret=True),
    Setting("REFNET_SMTP_FROM", "refnet@localhost", "the sender address of refnet's email"),
    Setting("REFNET_SMS_WEBHOOK_URL", None, "the SMS provider's HTTP endpoint (unset: no SMS)",
            optional),
    Setting("REFNET_SMS_WEBHOOK_FORMAT", "json", "json or form: how the message is posted",
            _sms_format),
    Setting("REFNET_SMS_WEBHOOK_TOKEN", None, "sent as a bearer token to the SMS endpoint",
            optional, secret=True),
)
