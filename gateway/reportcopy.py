"""The figures behind public reports, kept for a few minutes in each gateway worker.

A public report is suppressed together with every calendar period that overlaps it: the year,
its four quarters and its twelve months (gateway/reports/suppression.py), so one request asks
each of the referral, shelter and legal services for 17 periods' figures: 51 RPCs one after
the other, 0.8 s on a quiet machine (the realistic day, bench/README.md). The copy keeps those
51 answers as one snapshot, so the periods of a year stay consistent with each other (a
suppression computed over figures of different moments could leave a hidden value derivable),
for ``max_age`` seconds (``REFNET_REPORT_MAX_AGE``; 0 turns it off).

A copy belongs to one scope: the services answer shelter staff with their own provider's
figures and analysts with the network's, so the key is the caller's role and agency with the
periods. Only the public audience is kept: internal (exact) figures are read afresh each time.
The copy holds counts, never a person's data; at most ``entries`` snapshots are kept.
"""

import threading
import time
from typing import Callable


class ReportCopy:
    """One worker's snapshots of report figures, by scope and periods."""

    def __init__(self, max_age: float, entries: int = 32, clock: Callable[[], float] = time.monotonic):
        self.max_age = max_age
        self.entries = entries
        self.clock = clock
        self._lock = threading.Lock()
        self._kept: dict[tuple, tuple[float, object]] = {}

    def get(self, key: tuple, fetch: Callable[[], object]):
        """The snapshot of ``key`` when younger than ``max_age``, else ``fetch()`` (kept)."""
        if self.max_age <= 0:
            return fetch()
        now = self.clock()
        kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self.max_age:
            return kept[1]
        value = fetch()
        with self._lock:
            self._kept[key] = (self.clock(), value)
            while len(self._kept) > self.entries:  # the oldest snapshot goes first
                del self._kept[min(self._kept, key=lambda k: self._kept[k][0])]
        return value
