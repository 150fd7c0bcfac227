"""The clock a service's timers and time-dependent reads use: the system clock, plus, for
tests only, an offset read from a file at every call.

``REFNET_TEST_CLOCK_OFFSET_FILE`` names a file holding a number of seconds added to the system
clock, so an end-to-end test moves a service's clock forward while its processes run (the legal
service's reminders, the shelter's first-week milestones). Unset, or an unreadable file, means
no offset. Never set it in production.

``REFNET_DEMO_CLOCK_FILE`` (docs/decisions/0023) is the demo network's clock: seconds added to
*every* time the network records (``services.common.timeutil.utcnow``: the gateway's submission
time, decisions, admissions, discharges, court cases, audit entries) as well as to this clock.
``refnet demo-year`` moves it through a past year while it drives the API, so a year of activity
carries real dates of that year. Only a network started for the demo sets it; never production.
"""

import os
from datetime import datetime, timedelta, timezone

OFFSET_FILE = "REFNET_TEST_CLOCK_OFFSET_FILE"
DEMO_CLOCK_FILE = "REFNET_DEMO_CLOCK_FILE"


def _read_offset(path: str | None) -> timedelta:
    if not path:
        return timedelta(0)
    try:
        with open(path) as f:
            return timedelta(seconds=float(f.read().strip() or 0))
    except (OSError, ValueError):
        return timedelta(0)


def demo_offset(environ=os.environ) -> timedelta:
    """The demo clock's offset (zero unless ``REFNET_DEMO_CLOCK_FILE`` names a readable file)."""
    return _read_offset(environ.get(DEMO_CLOCK_FILE))


def clock_offset(environ=os.environ) -> timedelta:
    """The test offset plus the demo offset."""
    return _read_offset(environ.get(OFFSET_FILE)) + demo_offset(environ)


def now(environ=os.environ) -> datetime:
    return datetime.now(timezone.utc) + clock_offset(environ)


class Clock:
    """Something that tells the time: ``now()`` is an aware UTC datetime."""

    def now(self) -> datetime:
        raise NotImplementedError


class DemoClock(Clock):
    """The system clock moved by the demo clock (what ``timeutil.utcnow`` tells)."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + demo_offset()


class SystemClock(Clock):
    """The computer's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)
