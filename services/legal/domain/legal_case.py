"""A legal case's ends: closed and reopened with a coded reason, its lawyer reassigned with a
coded reason, and what each change writes into its history. Plain rules, no I/O
(docs/decisions/0050).

* A case is ``open`` or ``closed``. Closing needs a closure reason
  (``LEGAL_CLOSURE_REASONS``) and every court case of it closed (``retention.check_close``);
  closing a closed case is refused (``409``, ``status``).
* Only a closed case is reopened, with a reopening reason (``LEGAL_REOPEN_REASONS``), and not
  once retention anonymised its free text: what the case was built on is gone (``409``,
  ``status``). Reopened, it is open again: ``closed_at`` and the closure reason are cleared
  (the history keeps them) and the legal hold stands again.
* The lawyer of an open case is reassigned to another staff id with a reason
  (``LAWYER_CHANGE_REASONS``); the same lawyer is refused (``409``, ``lawyer``), and so is a
  closed case (``409``, ``status``): reopen it first.
* Every change is a history row: who (user id and role), when, from, to, reason code. No note.
"""

import re

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import (LAWYER_CHANGE_REASONS, LEGAL_CLOSURE_REASONS,
                                           LEGAL_REOPEN_REASONS)

STAFF_ID = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")  # as the events' StaffId: never a name


def check_reason(code, codes, field: str = "reason_code") -> str:
    """One of ``codes`` (422 naming ``field`` otherwise)."""
    if not isinstance(code, str) or code not in codes:
        raise InvalidInput(f"{field} is one of {', '.join(codes)}", field=field)
    return code


def check_closure_reason(code) -> str:
    """Why a legal case is closed: one of ``LEGAL_CLOSURE_REASONS``."""
    return check_reason(code, LEGAL_CLOSURE_REASONS)


def check_reopen(status: str, anonymised: bool, reason_code) -> str:
    """A reopening: a known reason, a closed case, and one retention has not anonymised."""
    check_reason(reason_code, LEGAL_REOPEN_REASONS)
    if status != "closed":
        raise Conflict("only a closed legal case is reopened; this one is open", field="status")
    if anonymised:
        raise Conflict("retention anonymised this legal case; it cannot be reopened (open "
                       "a new one)", field="status")
    return reason_code


def check_staff_id(value, field: str = "lawyer") -> str:
    """A staff user id (letters, digits and . _ @ -), never a name."""
    if not isinstance(value, str) or not STAFF_ID.match(value):
        raise InvalidInput("a staff user id: 1 to 100 letters, digits and . _ @ -", field=field)
    return value


def check_reassign(status: str, current: str, new, reason_code) -> str:
    """A reassignment: a known reason, a staff id other than the current lawyer's, an open
    case. Returns the new lawyer."""
    check_reason(reason_code, LAWYER_CHANGE_REASONS)
    check_staff_id(new)
    if status != "open":
        raise Conflict("the legal case is closed; reopen it before reassigning it",
                       field="status")
    if new == current:
        raise Conflict("that lawyer is already assigned to this legal case", field="lawyer")
    return new


def status_change(case_id: str, from_status: str | None, to_status: str, reason_code, at,
                  by_user: str, by_role: str) -> dict:
    """The history row of a status change (``from_status`` None: the opening)."""
    return {"case_id": case_id, "from_status": from_status, "to_status": to_status,
            "reason_code": reason_code, "at": at, "by_user": by_user, "by_role": by_role}


def lawyer_change(case_id: str, from_lawyer: str | None, to_lawyer: str, reason_code, at,
                  by_user: str) -> dict:
    """The history row of a lawyer assigned (``from_lawyer`` None: at the opening)."""
    return {"case_id": case_id, "from_lawyer": from_lawyer, "to_lawyer": to_lawyer,
            "reason_code": reason_code, "at": at, "by_user": by_user}
