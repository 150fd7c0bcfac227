"""The clock the reminder timer reads, and the reminder settings. No I/O but the environment
and one optional file.

Production: ``now`` is the system clock, the lead is 72 hours
(``REFNET_REMINDER_LEAD_SECONDS``), the timer looks every 30 s
(``REFNET_REMINDER_POLL_SECONDS``).

Tests only: ``REFNET_TEST_CLOCK_OFFSET_FILE`` names a file holding a number of seconds added
to the system clock, read at every tick, so an end-to-end test moves the legal service's
reminder clock forward while the processes run. The file is read by services/common/clock.py,
which the shelter's first-week milestones use too. Unset, or an unreadable file, means no
offset.
"""

import os
from datetime import datetime, timedelta, timezone

from services.common.clock import clock_offset  # noqa: F401 - re-exported for callers and tests

from .hearings import DEFAULT_REMINDER_LEAD


def reminder_lead(environ=os.environ) -> timedelta:
    raw = environ.get("REFNET_REMINDER_LEAD_SECONDS")
    return timedelta(seconds=float(raw)) if raw else DEFAULT_REMINDER_LEAD


def reminder_poll_seconds(environ=os.environ) -> float:
    return float(environ.get("REFNET_REMINDER_POLL_SECONDS") or 30.0)


def reminder_now(environ=os.environ) -> datetime:
    return datetime.now(timezone.utc) + clock_offset(environ)
