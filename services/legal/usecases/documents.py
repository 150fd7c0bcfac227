"""Identity and travel document requests of a legal case (legal team only); each status change
is announced without the authority's name."""

from sqlalchemy import insert, update

from services.common.caller import Caller
from services.common.db import Database
from services.common.inputs import parse_date
from services.contracts.vocabulary import DOCUMENT_KINDS, DOCUMENT_STATUSES

from ..domain import access
from ..domain.documents import check_document_move
from ..domain.inputs import check_code, check_text
from ..queries.cases import case_row, part_row
from ..queries.documents import document_view
from ..queries.filters import row_by_id
from ..tables import documents
from .common import emit, new_id, now_of


def request_document(db: Database, caller: Caller, case_id: str, kind: str, authority: str,
                     requested_on: str | None = None, correlation_id: str | None = None, *,
                     clock=None) -> dict:
    """The legal team starts a document request (on ``requested_on``, by default today)."""
    access.require_legal(caller)
    check_code(kind, DOCUMENT_KINDS, "kind")
    check_text(authority, 200, "authority")
    now = now_of(clock)
    day = parse_date(requested_on, "requested_on") if requested_on else now.date()
    with db.write() as s:
        case = case_row(s, caller, case_id, now)
        document_id = new_id()
        s.execute(insert(documents).values(id=document_id, case_id=case_id, kind=kind,
                                           authority=authority, status="requested",
                                           requested_on=day, updated_at=now))
        emit(s, now, "legal.document_status_changed", {
            "reference": case.reference, "document_id": document_id, "kind": kind,
            "status": "requested", "changed_at": now}, correlation_id)
        row = row_by_id(s, documents, document_id)
    return document_view(row)


def change_document_status(db: Database, caller: Caller, document_id: str, status: str,
                           on: str | None = None, correlation_id: str | None = None, *,
                           clock=None) -> dict:
    """Move a document request on (``domain.documents``), dated ``on`` (by default today)."""
    access.require_legal(caller)
    check_code(status, DOCUMENT_STATUSES, "status")
    now = now_of(clock)
    day = parse_date(on, "on") if on else now.date()
    with db.write() as s:
        row = part_row(s, caller, documents, document_id, now, "no document request",
                       "document_id")
        check_document_move(row.status, status)
        s.execute(update(documents).where(documents.c.id == document_id)
                  .values(status=status, updated_at=now, **{f"{status}_on": day}))
        emit(s, now, "legal.document_status_changed", {
            "reference": row.reference, "document_id": document_id, "kind": row.kind,
            "status": status, "changed_at": now}, correlation_id)
        row = row_by_id(s, documents, document_id)
    return document_view(row)
