"""The notify service's use cases. Each reads or writes in one short transaction; time comes
from the injected clock, so tests drive it."""

from .delivery import list_failed, send_due
from .events import apply_event
from .holds import warn_expiring_holds
from .inbox import list_inbox, mark_read, unread_count
from .preferences import get_preferences, save_preferences

__all__ = ["apply_event", "get_preferences", "list_failed", "list_inbox", "mark_read",
           "save_preferences", "send_due", "unread_count", "warn_expiring_holds"]
