"""The agency directory as the gateway sees it: a short-lived copy of the referral service's
directory in each worker (docs/decisions/0037). Other code calls ``agency(id)``.

* The copy is the whole directory (``list_agencies``: tens of agencies, no personal data), read
  at most every ``max_age`` seconds; an id missing from the copy reads it afresh (an agency
  registered a moment ago through another worker or `refnet agency add`).
* A change made through this worker drops the copy at once (``invalidate``); another worker's
  copy follows within ``max_age``.
* When the referral service does not answer, the last copy stands (and is asked again only
  after ``max_age``, so no request waits out an RPC timeout per call): police intake keeps
  working during a referral-service outage, as the durable intake promises. What the gateway
  cannot tell (no copy yet, or an id the last copy lacks) is ``UNSURE``: the identity check
  then lets the request through (the token or web user named an active agency when it was
  issued, which ``refnet issue-token`` and ``refnet user create`` check), and a referral's
  ``addressed_to`` is checked again by the referral service when it takes the submission.

Each request's identity is checked here (``identity_problem``): a token or web session whose
agency the directory does not hold, or holds as inactive, is refused with ``401``.
"""

import logging
import threading
import time
from typing import Callable

from services.contracts.vocabulary import AGENCY_NAME_LANGUAGES, PROVIDER_KIND

from .errors import ApiProblem, InputError

log = logging.getLogger(__name__)

MAX_AGE = 5.0          # seconds a worker's copy is used before it is read again
# an id missing from the copy reads the directory again (only a signed token of an agency the
# directory never held, or one registered a moment ago elsewhere, misses: both rare)
MISSING_RECHECK = 0.0
# who the gateway is when it reads the directory for itself (every role may list agencies)
GATEWAY_CALLER = {"user": "refnet-gateway", "role": "analyst", "agency": "refnet-gateway"}
UNSURE = object()      # the directory cannot be read and the last copy does not say


class Directory:
    """One worker's copy of the directory. ``fetch()`` returns the list of agencies."""

    def __init__(self, fetch: Callable[[], list], max_age: float = MAX_AGE,
                 clock: Callable[[], float] = time.monotonic):
        self.fetch, self.max_age, self.clock = fetch, max_age, clock
        self._lock = threading.Lock()
        self._copy: dict[str, dict] | None = None
        self._read_at = float("-inf")
        self._stale = False  # the last read failed: the copy is the last known one

    def lookup(self, agency_id: str):
        """The agency's entry, None when the directory does not hold it, or ``UNSURE`` when the
        referral service does not answer and the last copy does not hold it."""
        copy = self._current(agency_id)
        if copy is None:
            return UNSURE
        entry = copy.get(agency_id)
        if entry is None and self._stale:
            return UNSURE
        return entry

    def agency(self, agency_id: str) -> dict | None:
        """The agency's entry (fresh, or the last known when the referral service does not
        answer), or None."""
        entry = self.lookup(agency_id)
        return None if entry is UNSURE else entry

    def agencies(self) -> list[dict]:
        """Every agency of the copy (fresh or last known), by id."""
        copy = self._current(None) or {}
        return [copy[k] for k in sorted(copy)]

    def invalidate(self) -> None:
        """A change went through this worker: the next lookup reads the directory."""
        self._read_at = float("-inf")

    def _current(self, agency_id: str | None) -> dict | None:
        if self._usable(agency_id):
            return self._copy
        with self._lock:  # one thread reads; the others wait for its copy
            if self._usable(agency_id):
                return self._copy
            try:
                rows = self.fetch()
                self._copy = {row["id"]: row for row in rows or () if isinstance(row, dict)}
                self._stale = False
            except Exception as exc:  # noqa: BLE001 - the last copy stands; said once per read
                self._stale = True
                log.warning("directory: the referral service did not answer (%s); using the "
                            "last known directory for %.0f s", type(exc).__name__, self.max_age)
            self._read_at = self.clock()
            return self._copy

    def _usable(self, agency_id: str | None) -> bool:
        age = self.clock() - self._read_at
        if self._copy is None and not self._stale or age >= self.max_age:
            return False
        if agency_id is not None and self._copy is not None and agency_id not in self._copy \
                and not self._stale and age >= MISSING_RECHECK:
            return False
        return True


def name_in(entry: dict | None, language: str, fallback: str) -> str:
    """The agency's name in ``language``, else English, else ``fallback`` (its id)."""
    names = (entry or {}).get("names") or {}
    return names.get(language) or names.get("en") or fallback


def request_language() -> str:
    """The language of the request's answers: the web page's, else the best of
    ``Accept-Language`` among the directory's name languages, else English."""
    from flask import g, has_request_context, request
    if not has_request_context():
        return "en"
    if g.get("web_page"):  # a page: the language the person chose
        from .web.core import current_language
        if current_language() in AGENCY_NAME_LANGUAGES:
            return current_language()
    return request.accept_languages.best_match(list(AGENCY_NAME_LANGUAGES), default="en") or "en"


def identity_problem(directory, identity) -> ApiProblem | None:
    """Why a request's token or web session may not act (its agency unknown to the directory,
    or inactive), or None."""
    entry = directory.lookup(identity.agency)
    if entry is UNSURE:
        return None
    if entry is None:
        return ApiProblem(401, "agency-unknown", "Unauthenticated",
                          "The agency this identity names is not in the agency directory.",
                          field="Authorization")
    if not entry.get("active"):
        return ApiProblem(401, "agency-inactive", "Unauthenticated",
                          "The agency this identity names is inactive.", field="Authorization")
    return None


def kind_problem(directory, agency_id: str, kinds: tuple[str, ...]):
    """Why ``agency_id`` is not an active agency of one of ``kinds``: a message, None when it
    is, or ``UNSURE`` when the referral service does not answer and the last copy lacks it."""
    entry = directory.lookup(agency_id)
    if entry is UNSURE:
        return UNSURE
    if entry is None:
        return "No such agency."
    if not entry.get("active"):
        return "The agency is inactive."
    if entry.get("kind") not in kinds:
        if len(kinds) == 1:
            return f"The agency is not a {kinds[0]}."
        return f"The agency's kind is not one of {', '.join(kinds)}."
    return None


def addressee_problem(directory, agency_id: str) -> str | None:
    """Why a referral may not be addressed to ``agency_id`` (None when it may, or when the
    directory cannot be read: the referral service checks again at intake)."""
    problem = kind_problem(directory, agency_id, (PROVIDER_KIND,))
    return None if problem is UNSURE else problem


def require_kind(directory, agency_id: str, kinds: tuple[str, ...], field: str) -> None:
    """Refuse, before any service is called, an agency named in ``field`` that the directory
    does not hold, holds as inactive, or holds with a kind not in ``kinds`` (422 naming the
    field). No service checks it again, so when the directory cannot be read the request is
    refused as unavailable (503) rather than let through."""
    problem = kind_problem(directory, agency_id, kinds)
    if problem is UNSURE:
        raise ApiProblem(503, "service-unavailable", "A service is not running",
                         "The agency directory cannot be read now; try again shortly.",
                         field=field)
    if problem:
        raise InputError(problem, field, [{"field": field, "message": problem}])
