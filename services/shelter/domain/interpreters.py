"""Interpreters at the shelter: the person's languages and the bookings of the plan's
first-week occasions. Plain rules over ``services.contracts.interpreters``; no I/O."""

from services.common.errors import Conflict, InvalidInput, NotFound
from services.contracts import interpreters as contract


def check_languages(languages) -> list[str]:
    """1 to 5 distinct ISO 639 codes, in the order given (the first is the one to book)."""
    if not isinstance(languages, list) or not 1 <= len(languages) <= contract.MAX_LANGUAGES:
        raise InvalidInput(f"give 1 to {contract.MAX_LANGUAGES} languages", field="languages")
    for i, language in enumerate(languages):
        problem = contract.language_problem(language)
        if problem:
            raise InvalidInput(problem, field=f"languages.{i}")
    if len(set(languages)) != len(languages):
        raise InvalidInput("a language is named once", field="languages")
    return list(languages)


def check_needed(needed) -> bool:
    """Whether an interpreter is needed: yes or no, nothing else."""
    if not isinstance(needed, bool):
        raise InvalidInput("true or false", field="interpreter_needed")
    return needed


def check_occasion(occasion: str) -> None:
    """An occasion the plan books interpreters for (an unknown one is no resource: 404)."""
    if occasion not in contract.OCCASIONS:
        raise NotFound(f"interpreters are booked for {', '.join(contract.OCCASIONS)}",
                       field="occasion")


def check_booking(language, status) -> None:
    """A booking's language code and status, before anything is read."""
    problem = contract.booking_problem(language, status)
    if problem:
        raise InvalidInput(problem[1], field=problem[0])


def check_transition(current: str | None, new: str) -> None:
    """The booking may move from ``current`` to ``new`` (409 naming ``status`` otherwise)."""
    problem = contract.transition_problem(current, new)
    if problem:
        raise Conflict(problem, field="status")


def planned(languages: list[str], needed: bool, bookings: dict[str, str]) -> dict[str, str]:
    """The bookings to request when staff record that an interpreter is needed: each occasion
    without a booking yet, in the person's first language. None when none is needed."""
    if not needed:
        return {}
    return {occasion: languages[0] for occasion in contract.OCCASIONS if occasion not in bookings}


def called_off(needed: bool, bookings: dict[str, str]) -> list[str]:
    """The occasions whose open booking (requested, booked) no longer is needed."""
    if needed:
        return []
    return [occasion for occasion, status in bookings.items() if status in ("requested", "booked")]


def split(languages: str | None) -> list[str]:
    """The stored comma-separated codes as a list."""
    return [code for code in (languages or "").split(",") if code]
