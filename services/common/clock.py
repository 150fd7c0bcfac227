"""The one clock of a process, injected wherever "now" matters.

``SystemClock`` is the computer's clock in UTC. ``OffsetClock`` adds the seconds written in each
of its files, read at every call, so a running network's time can be moved without a restart:
the demo clock (``REFNET_DEMO_CLOCK_FILE``, set only for a network started for ``refnet
demo-year``, docs/decisions/0023) and the test offset (``REFNET_TEST_CLOCK_OFFSET_FILE``, set only
by end-to-end tests that move a service's timers forward). ``FixedClock`` stands still until told
otherwise, for unit tests. ``process_clock`` builds the clock a process runs on from its settings.

Use cases and domain rules take a clock (or a ``now`` value) as a parameter; nothing reads the
time at module level.
"""

from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping


class Clock:
    """Something that tells the time: ``now()`` is an aware UTC datetime."""

    def now(self) -> datetime:
        raise NotImplementedError

    def today(self) -> date:
        """Today's date in UTC."""
        return self.now().date()


class SystemClock(Clock):
    """The computer's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def read_offset(path: str | None) -> timedelta:
    """The seconds written in ``path`` (zero when unset, unreadable or empty)."""
    if not path:
        return timedelta(0)
    try:
        with open(path) as f:
            return timedelta(seconds=float(f.read().strip() or 0))
    except (OSError, ValueError):
        return timedelta(0)


class OffsetClock(Clock):
    """The system clock moved by the seconds in each file, read at every call."""

    def __init__(self, *files: str | None):
        self.files = tuple(f for f in files if f)

    def offset(self) -> timedelta:
        """The sum of every file's offset now."""
        return sum((read_offset(f) for f in self.files), timedelta(0))

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset()


class FixedClock(Clock):
    """A clock that only moves when told: for tests."""

    def __init__(self, at: datetime | None = None):
        self.at = at or datetime(2026, 1, 1, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        """Stop the clock at ``at``."""
        self.at = at

    def advance(self, **delta: float) -> None:
        """Move the clock on by a ``timedelta(**delta)``."""
        self.at = self.at + timedelta(**delta)


def process_clock(values: Mapping[str, Any]) -> Clock:
    """The clock of a process, from its loaded settings: the system clock, moved by the demo
    clock and the test offset files when either is set."""
    files = [values.get(name) for name in ("REFNET_DEMO_CLOCK_FILE", "REFNET_TEST_CLOCK_OFFSET_FILE")]
    return OffsetClock(*files) if any(files) else SystemClock()
