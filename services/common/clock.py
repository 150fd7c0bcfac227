"""The clock a service's timers and time-dependent reads use: the system clock, plus, for
tests only, an offset read from a file at every call.

``REFNET_TEST_CLOCK_OFFSET_FILE`` names a file holding a number of seconds added to the system
clock, so an end-to-end test moves a service's clock forward while its processes run (the legal
service's reminders, the shelter's first-week milestones). Unset, or an unreadable file, means
no offset. Never set it in production.
"""

import os
from datetime import datetime, timedelta, timezone

OFFSET_FILE = "REFNET_TEST_CLOCK_OFFSET_FILE"


def clock_offset(environ=os.environ) -> timedelta:
    path = environ.get(OFFSET_FILE)
    if not path:
        return timedelta(0)
    try:
        with open(path) as f:
            return timedelta(seconds=float(f.read().strip() or 0))
    except (OSError, ValueError):
        return timedelta(0)


def now(environ=os.environ) -> datetime:
    return datetime.now(timezone.utc) + clock_offset(environ)
