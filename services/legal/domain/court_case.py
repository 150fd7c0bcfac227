"""The court-case status machine and the rules of a court case's data. No I/O.

``investigation -> filed -> trial -> verdict (convicted | acquitted | dismissed) -> appeal ->
closed``. A case may be closed without trial while under investigation or once filed (charges
dropped), an appeal ends in a new verdict or closes the case, and a closed case is final.
Every refusal is an ``IllegalTransition`` (409) that names both statuses.
"""

import re

from services.common.errors import IllegalTransition, InvalidInput
from services.contracts.vocabulary import (CHARGE_STATUTES, COURT_CASE_STATUSES, STANDINGS,
                                           VERDICTS)

TRANSITIONS: dict[str, frozenset[str]] = {
    "investigation": frozenset({"filed", "closed"}),
    "filed": frozenset({"trial", "closed"}),
    "trial": frozenset({"verdict"}),
    "verdict": frozenset({"appeal", "closed"}),
    "appeal": frozenset({"verdict", "closed"}),
    "closed": frozenset(),
}
INITIAL = frozenset({"investigation", "filed"})
COURT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
CASE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/ .-]{0,63}$")

assert set(TRANSITIONS) == set(COURT_CASE_STATUSES)


def can_move(current: str, new: str) -> bool:
    """Whether the status machine allows ``current`` -> ``new``."""
    return new in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, new: str, verdict: str | None) -> None:
    """Refuse an unknown status (422), an illegal move (409), a verdict status without a verdict
    or a verdict on any other status (422)."""
    if new not in TRANSITIONS:
        raise InvalidInput(f"unknown court-case status {new}", field="status")
    if not can_move(current, new):
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (closed is final)"
        raise IllegalTransition(f"a court case in {current} cannot move to {new}; "
                                f"from {current} it may move to: {allowed}", field="status")
    check_verdict(new, verdict)


def check_verdict(status: str, verdict: str | None) -> None:
    """A known verdict goes with the verdict status, and with no other."""
    if status == "verdict":
        if verdict not in VERDICTS:
            raise InvalidInput(f"a verdict is one of {', '.join(VERDICTS)}", field="verdict")
    elif verdict is not None:
        raise InvalidInput("a verdict is given only with status verdict", field="verdict")


def check_initial(status: str) -> None:
    """A court case is recorded under investigation or once filed."""
    if status not in INITIAL:
        raise InvalidInput(f"a court case starts in {' or '.join(sorted(INITIAL))}", field="status")


def check_court_id(court: str, field: str = "court") -> str:
    """A court id (the court's agency): lower-case letters, digits and dashes."""
    if not isinstance(court, str) or not COURT_ID.match(court):
        raise InvalidInput("a court id is lower-case letters, digits and dashes", field=field)
    return court


def check_case_number(number: str) -> str:
    """The court's own case number: letters, digits, spaces and / . -"""
    if not isinstance(number, str) or not CASE_NUMBER.match(number):
        raise InvalidInput("1 to 64 letters, digits, spaces and / . -", field="case_number")
    return number


def normalise_charges(charges: list) -> list[dict]:
    """Charges as [{"statute": "law-6-2018" | "other", "description": "..."}]; an ``other``
    statute needs its description (the statute as free text)."""
    if not isinstance(charges, list) or not 1 <= len(charges) <= 20:
        raise InvalidInput("give 1 to 20 charges", field="charges")
    out = []
    for i, charge in enumerate(charges):
        statute = (charge or {}).get("statute")
        description = ((charge or {}).get("description") or "").strip() or None
        if statute not in CHARGE_STATUTES:
            raise InvalidInput(f"statute is one of {', '.join(CHARGE_STATUTES)}",
                               field=f"charges.{i}.statute")
        if statute == "other" and not description:
            raise InvalidInput("name the statute of an other charge", field=f"charges.{i}.description")
        if description is not None and len(description) > 300:
            raise InvalidInput("at most 300 characters", field=f"charges.{i}.description")
        out.append({"statute": statute, "description": description})
    return out


def check_standing(standing: str) -> str:
    """The survivor's standing in the case (victim, witness, ...)."""
    if standing not in STANDINGS:
        raise InvalidInput(f"standing is one of {', '.join(STANDINGS)}", field="standing")
    return standing


def accepts_hearings(status: str) -> bool:
    """Hearings are set for a case before a court; not for a closed one."""
    return status != "closed"
