"""Per-user rate limit: a token bucket per user in each gunicorn worker (no shared state).

``REFNET_RATE_LIMIT_PER_MINUTE`` (default 600) requests per user per minute, with bursts up to
the same number, per worker: with W workers a user gets at most W times that. Over the limit
the request is answered ``429`` with ``Retry-After``. A shared limit (Redis, or the gateway's
database) would be exact across workers and hosts, at a round trip per request.
"""

import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed; else the seconds until the next request would be."""
        if self.capacity <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > 100_000:  # forget idle users rather than grow forever
                    self._buckets.clear()
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
