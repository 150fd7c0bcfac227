"""A care plan with what its page shows beside it, in one call: the plan, its notes, and for
the plan's case manager and psychologist its screening result and its documents.

The page asked for these in four calls, each audited. Here each part is read by the same code
as its own use case, under the same rules (``plan_in``, ``notes_in``, ``screening_in``,
``attachments_in``), and reported as a read of its own (``reads``), so the trail holds the same
entries as the four calls left: a part the caller may not read is not read at all.
"""

from datetime import datetime

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.sealing import FileCipher

from ..domain import care as rules
from ..queries import care as queries
from .attachments import attachments_in
from .care_plans import notes_in, plan_in, screening_in

# the audit action of each part, the one its own call records (the service's ``@audited``)
PLAN_READ, NOTES_READ = "care_plan.read", "care_note.read"
SCREENING_READ, DOCUMENTS_LISTED = "screening.read", "attachment.list"


def plan_overview(db: Database, caller: Caller, cipher: FileCipher, plan_id: int, now: datetime,
                  reads: list[tuple[str, BaseException | None]]) -> dict:
    """The plan (``get_plan``), its notes, ``screening`` ({"shown", "result"}: shown to the
    case manager and psychologist, its result null until recorded) and ``documents``
    ({"listed", "items"}: listed for them; items null otherwise or once the record was
    anonymised). Appends to ``reads`` each part read, with the error it met (None: read); a
    plan or notes that cannot be read fail the whole call, after their entry. The parts are
    read in one transaction from the plan row read once, so every part's rule is decided on
    the same row (its case manager and psychologist)."""
    # a role refused before anything is read: the entrypoint audits it as the plan's read
    caller.require("shelter")
    part = PLAN_READ
    with db.read() as s:
        try:
            row = queries.plan(s, caller, plan_id)
            plan = plan_in(s, cipher, row, now)
            reads.append((PLAN_READ, None))
            part = NOTES_READ
            notes = notes_in(s, cipher, row)
            reads.append((NOTES_READ, None))
        except Exception as exc:
            reads.append((part, exc))
            raise
        answer = {"plan": plan, "notes": notes, "screening": {"shown": False, "result": None},
                  "documents": {"listed": False, "items": None}}
        if not rules.may_read_screening(caller.user, row.case_manager, row.psychologist):
            return answer
        try:
            answer["screening"] = {"shown": True, "result": screening_in(s, caller, cipher, row)}
            reads.append((SCREENING_READ, None))
        except NotFound as exc:  # none recorded yet: the section shows, empty
            answer["screening"]["shown"] = True
            reads.append((SCREENING_READ, exc))
        except Forbidden as exc:
            reads.append((SCREENING_READ, exc))
        try:
            answer["documents"] = {"listed": True, "items": attachments_in(s, caller, row)}
            reads.append((DOCUMENTS_LISTED, None))
        except (Forbidden, Conflict) as exc:
            reads.append((DOCUMENTS_LISTED, exc))
    return answer
