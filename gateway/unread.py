"""Each person's unread count as the pages' header shows it, kept a few seconds per worker.

Every page's header shows how many notifications are unread (a badge linking to ``/inbox``).
Asking the notify service on every page would add a call to each one; the count is kept per
person for ``max_age`` seconds, and an answer that did not come (the service slow or down) is
kept as well, so a page waits for it at most once in that time. Marking a notification read
drops the person's count on this worker, so their next page shows the new one.
"""

import threading
import time
from typing import Callable

UNKNOWN = None  # the service did not answer: the page shows no count


class UnreadCounts:
    """``get(key, fetch)``: the count kept for ``key`` (a person: user, role, agency) if younger
    than ``max_age`` seconds, else ``fetch()`` (an int, or ``UNKNOWN``), kept. At most
    ``max_entries`` are kept; the oldest go first."""

    def __init__(self, max_age: float = 10.0, *, max_entries: int = 10_000,
                 now: Callable[[], float] = time.monotonic):
        self.max_age, self.max_entries, self._now = max_age, max_entries, now
        self._kept: dict[tuple, tuple[float, int | None]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, fetch: Callable[[], int | None]) -> int | None:
        now = self._now()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self.max_age:
            return kept[1]
        count = fetch()
        with self._lock:
            self._kept.pop(key, None)
            self._kept[key] = (now, count)
            while len(self._kept) > self.max_entries:  # dicts keep insertion order: oldest first
                self._kept.pop(next(iter(self._kept)))
        return count

    def put(self, key: tuple, count: int) -> None:
        """Keep a count learnt otherwise (the inbox page's own answer carries it)."""
        with self._lock:
            self._kept.pop(key, None)
            self._kept[key] = (self._now(), count)

    def forget(self, user: str) -> None:
        """Drop every count kept for ``user`` (they marked something read)."""
        with self._lock:
            for key in [k for k in self._kept if k[0] == user]:
                del self._kept[key]
