"""Interpreters for a survivor who needs one (issue 21): the occasions a shelter plans one for,
the booking's statuses and which may follow which, and the language code. The shelter's
screening and rights briefing and the legal team's hearings share these rules; each service
raises its own errors from the problems named here. One definition, read by all."""

import re

# the first-week moments at the shelter an interpreter is planned for (care milestones' codes)
OCCASIONS = ("psychological_screening", "legal_rights_briefing")
STATUSES = ("requested", "booked", "done", "not_needed")
# a booking's next statuses (None: no booking yet). ``done`` is final; a booking called off
# (``not_needed``) may be asked for again; a booked interpreter who cannot come is asked again.
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"requested", "booked", "not_needed"}),
    "requested": frozenset({"booked", "not_needed"}),
    "booked": frozenset({"done", "requested", "not_needed"}),
    "not_needed": frozenset({"requested"}),
    "done": frozenset(),
}
LANGUAGE = re.compile(r"^[a-z]{2,3}$")  # ISO 639-1 or 639-3, as the submission records them
MAX_LANGUAGES = 5

assert set(TRANSITIONS) - {None} == set(STATUSES)


def language_problem(language) -> str | None:
    """Why ``language`` is no language code (a message for the field), or None."""
    if not isinstance(language, str) or not LANGUAGE.match(language):
        return "a language is an ISO 639 code of 2 or 3 lower-case letters, e.g. am, ar, ti"
    return None


def status_problem(status) -> str | None:
    """Why ``status`` is no booking status, or None."""
    if status not in STATUSES:
        return f"must be one of {', '.join(STATUSES)}"
    return None


def booking_problem(language, status) -> tuple[str, str] | None:
    """The first thing wrong with a booking's language and status, as (field, message)."""
    problem = language_problem(language)
    if problem:
        return "language", problem
    problem = status_problem(status)
    if problem:
        return "status", problem
    return None


def transition_problem(current: str | None, new: str) -> str | None:
    """Why a booking that is ``current`` may not become ``new`` (a conflict), or None."""
    if new not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "nothing (done is final)"
        return f"an interpreter booking that is {current or 'not recorded'} cannot become {new}; " \
               f"it may become: {allowed}"
    return None
