"""Quartiles of day-durations: what a service sends for a period instead of the durations.

Pure: no I/O, no framework. The owning service computes the quartiles over its own rows, so
only ``n`` and three numbers cross the broker, never one person's durations.
"""

from datetime import datetime


def quantile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation between closest ranks (Hyndman and
    Fan type 7, numpy's default) of an ascending, non-empty list."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def quartiles(values) -> dict:
    """``{"n", "q1", "median", "q3"}`` of the values (rounded to 0.1); None for an empty list."""
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return {"n": 0, "q1": None, "median": None, "q3": None}
    return {"n": len(ordered), **{name: round(quantile(ordered, q), 1)
                                  for name, q in (("q1", 0.25), ("median", 0.5), ("q3", 0.75))}}


def days_between(start: datetime, end: datetime) -> float:
    """Whole and fractional days from start to end (both aware, or both naive UTC)."""
    return (end - start).total_seconds() / 86400.0
