"""nameko entrypoints of the notify service: validate, delegate to the use cases, return."""

import logging

from nameko.timer import timer

from services.common.audit import audited
from services.common.runtime.consumers import consume_events
from services.common.runtime.entrypoints import rpc
from services.common.runtime.observability import Observability
from services.common.runtime.providers import FileKeys, Outbox, ServiceDatabase
from services.common.runtime import skeleton  # the module: `nameko run` takes every class here

from . import report, usecases
from .settings import SETTINGS
from .tables import audit_log, outbox as outbox_table

log = logging.getLogger(__name__)

VALUES = SETTINGS.load_at_start()  # once: a missing or bad value stops the process, naming it


class NotifyService(skeleton.ServiceSkeleton):
    """Notifications for a person or a duty desk: the inbox, email and SMS, and preferences."""

    name = "notify"
    audit_table = audit_log
    report_figures_of = staticmethod(report.report_figures)

    db = ServiceDatabase("notify")
    observability = Observability("notify", outbox_table)
    outbox = Outbox("notify", outbox_table)
    cipher = FileKeys()  # the keys of the sealed contact details (services.common.atrest)

    @consume_events("notify")
    def on_event(self, body):
        """Events of every service, each turned into its notifications once."""
        usecases.apply_event(self.db, body, VALUES, clock=self.clock)

    @timer(interval=VALUES.notify_sweep_seconds)
    def warn_expiring_holds(self):
        """Every replica ticks; each hold about to expire is warned about once."""
        try:
            usecases.warn_expiring_holds(self.db, VALUES, clock=self.clock)
        except Exception:  # the next tick retries; never let the timer die
            log.exception("hold warning sweep failed")

    @timer(interval=VALUES.notify_poll_seconds)
    def send_due(self):
        """Every replica ticks; each due email or SMS is claimed by one replica and sent."""
        try:
            usecases.send_due(self.db, VALUES, clock=self.clock)
        except Exception:  # the next tick retries; never let the timer die
            log.exception("delivery round failed")

    @rpc
    def list_inbox(self, caller, language=None, unread_only=False, cursor=None, limit=50):
        """The caller's notifications and their desk's, newest first, with the unread count."""
        return usecases.list_inbox(self.db, caller, language=language, unread_only=unread_only,
                                   cursor=cursor, limit=limit, values=VALUES, clock=self.clock)

    @rpc
    def unread_count(self, caller):
        """How many of the caller's notifications are unread (every page shows it)."""
        return usecases.unread_count(self.db, caller, clock=self.clock)

    @rpc
    def mark_read(self, caller, notification_id):
        """Mark one of the caller's notifications read."""
        return usecases.mark_read(self.db, caller, notification_id, clock=self.clock)

    @rpc
    def get_preferences(self, caller):
        """The caller's preferences (the defaults until they save some)."""
        return usecases.get_preferences(self.db, caller, clock=self.clock)

    @rpc
    @audited("preferences.save", "preferences")
    def save_preferences(self, caller, preferences):
        """Replace the caller's preferences; bad input changes nothing."""
        return usecases.save_preferences(self.db, caller, preferences, clock=self.clock)

    @rpc
    def list_failed(self, caller, limit=50):
        """Messages that could not be sent (administrators): ids, moments, channels, codes."""
        return usecases.list_failed(self.db, caller, limit=limit)
