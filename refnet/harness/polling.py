"""Waiting for an asynchronous outcome with a deadline (never a timed assertion)."""

import time


def poll(probe, what: str, timeout: float = 30.0):
    """Call ``probe`` until it returns something truthy; return it, or fail naming ``what``."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}; last seen: {last!r}")
