"""Documents on a legal case (issue 21): powers of attorney and court summonses, added, listed
and read by the legal team while the survivor's consent to legal help stands (as every part of
a legal case: ``domain/access.py``). Each call is audited by the entrypoint; the content never
leaves in an event or a log line."""

from services.common.attachments import AttachmentStore, answer_with_content, check_upload
from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict
from services.common.sealing import FileCipher

from ..domain import access
from ..queries.cases import case_row
from ..tables import ENCRYPTED, attachments
from .common import now_of

STORE = AttachmentStore(attachments, "case_id", ENCRYPTED)


def add_attachment(db: Database, caller: Caller, cipher: FileCipher, case_id: str, kind,
                   file_name, content, max_bytes: int, *, clock=None) -> dict:
    """Keep a power of attorney or a court summons on the case (checked by content and size
    first); an anonymised case takes none."""
    access.require_legal(caller)
    upload = check_upload("legal", kind, file_name, content, max_bytes)
    now = now_of(clock)
    with db.write() as s:
        case = case_row(s, caller, case_id, now)
        if case.anonymised_at is not None:
            raise Conflict(f"legal case {case_id} was anonymised: it takes no documents",
                           field="case_id")
        return STORE.add(s, cipher, case_id, upload, caller.user, now)


def list_attachments(db: Database, caller: Caller, case_id: str, *, clock=None) -> list[dict]:
    """The case's documents without their content."""
    access.require_legal(caller)
    with db.read() as s:
        case_row(s, caller, case_id, now_of(clock))
        return STORE.listing(s, case_id)


def read_attachment(db: Database, caller: Caller, cipher: FileCipher, case_id: str,
                    attachment_id, *, clock=None) -> dict:
    """One document with its content (base64 text)."""
    access.require_legal(caller)
    with db.read() as s:
        case_row(s, caller, case_id, now_of(clock))
        return answer_with_content(STORE.read(s, cipher, case_id, attachment_id))
