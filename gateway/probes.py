"""What the gateway asks the broker for its probes, remembered for a second per worker.

``/readyz`` (broker, each service's ping) and ``/metrics`` (messages parked in the dead-letter
queue) both need the broker; opening a connection at every hit let anyone on the public port
make the gateway open broker connections as fast as they could send requests. Each answer is
kept ``MAX_AGE`` seconds in the worker; concurrent hits wait for the one probe running rather
than starting their own."""

import threading
import time

MAX_AGE = 1.0


class Remembered:
    """``get()`` gives ``probe()``'s answer, asked again only once ``max_age`` has passed."""

    def __init__(self, probe, max_age: float = MAX_AGE, clock=time.monotonic):
        self._probe, self._max_age, self._clock = probe, max_age, clock
        self._lock = threading.Lock()
        self._answer, self._at = None, None

    def get(self):
        with self._lock:
            now = self._clock()
            if self._at is None or now - self._at >= self._max_age:
                self._answer, self._at = self._probe(), now
            return self._answer
