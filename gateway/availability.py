"""Bed availability served from a short-lived copy in each gateway worker (decision 0026).

Availability is counts per facility and group, the same for every role and nobody's data, and
it is the page every officer refreshes. Asking the shelter service each time costs a broker
round trip (about 6 ms of CPU across gateway, broker and service, bench/README.md); a copy in
the worker costs a read of its generation (gateway/generations.py). The copy is dropped:

* after ``max_age`` seconds (``REFNET_AVAILABILITY_MAX_AGE``, default 1 s; 0 turns it off), which
  bounds how stale a change made inside the shelter service can be (a hold that expired, a
  withdrawal's released hold);
* at once, in every worker of every gateway sharing the gateway database, after any request
  through the gateway that changes beds (endpoints marked ``changes_beds``): those bump a
  generation number the gateways share (gateway/generations.py), and each read compares it
  with its copy's.

A bed is never promised by this figure: the shelter's decision takes the hold, in its own
transaction, against its own counts (decision 0008).
"""

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Callable

from .kept import KeptAnswer

log = logging.getLogger(__name__)
NAME = "availability"


class AvailabilityCache:
    """One worker's copy of the availability list, with the time it was read."""

    def __init__(self, max_age: float, generation, clock: Callable[[], float] = time.monotonic):
        self.max_age = max_age
        self.generation = generation
        self.clock = clock
        self._lock = threading.Lock()
        # read at, generation, and the API's answer (encoded once per copy, not per request)
        self._copy: tuple[float, int, KeptAnswer] | None = None

    def get(self, fetch: Callable[[], list]) -> tuple[list, str]:
        """The facilities and when they were read (ISO 8601, UTC); ``fetch`` asks the service."""
        answer = self.answer(fetch)
        return answer["facilities"], answer["as_of"]

    def answer(self, fetch: Callable[[], list]) -> KeptAnswer:
        """The API's answer, ``{"facilities": ..., "as_of": ...}``: the copy itself, the same
        object as long as the copy lasts, so its JSON is written once per copy."""
        if self.max_age <= 0:
            return KeptAnswer(facilities=fetch(), as_of=_now())
        generation = self.generation.current()
        if (copy := self._fresh(generation)) is not None:
            return copy
        with self._lock:  # one worker thread asks the service; the others wait for its answer
            if (copy := self._fresh(generation)) is not None:
                return copy
            read_at, rows = self.clock(), fetch()
            answer = KeptAnswer(facilities=rows, as_of=_now())
            self._copy = (read_at, generation, answer)
            return answer

    def _fresh(self, generation: int) -> KeptAnswer | None:
        copy = self._copy
        if copy is not None and copy[1] == generation and self.clock() - copy[0] < self.max_age:
            return copy[2]
        return None

    def invalidate(self) -> None:
        """Beds changed through this gateway: every worker reads afresh on its next request.

        Called after the service committed the change, so a failure here must not turn that
        success into an error for the person: the other workers' copies then age out within
        ``max_age`` instead."""
        self._copy = None
        if self.max_age > 0:
            try:
                self.generation.bump()
            except Exception as exc:  # noqa: BLE001 - logged; the copies expire by themselves
                log.warning("availability: other workers not told of a bed change (%s); their "
                            "copies expire within %.1f s", type(exc).__name__, self.max_age)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
