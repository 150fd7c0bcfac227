"""Documents on a care plan (issue 21): medical reports. Any staff of the plan's provider adds
one (a report arrives from a clinic at the front desk); only the plan's case manager and its
psychologist list and read them, as for the screening result (need to know, per resident).
Each call is audited by the entrypoint; the content never leaves in an event or a log line."""

from datetime import datetime

from services.common.attachments import AttachmentStore, answer_with_content, check_upload
from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Forbidden
from services.common.sealing import FileCipher

from ..domain import care as rules
from ..queries import care as queries
from ..tables import ENCRYPTED, attachments

STORE = AttachmentStore(attachments, "plan_id", ENCRYPTED)


def _readable_plan(s, caller: Caller, plan_id: int):
    return _may_read(caller, queries.plan(s, caller, plan_id))


def _may_read(caller: Caller, plan):
    """The plan row, if the caller is its case manager or psychologist (else Forbidden)."""
    if not rules.may_read_screening(caller.user, plan.case_manager, plan.psychologist):
        raise Forbidden("only the plan's case manager and psychologist read its medical reports",
                        field="plan")
    return plan


def add_attachment(db: Database, caller: Caller, cipher: FileCipher, plan_id: int, kind,
                   file_name, content, max_bytes: int, now: datetime) -> dict:
    """Keep a medical report on the plan (checked by content and size first)."""
    caller.require("shelter")
    upload = check_upload("shelter", kind, file_name, content, max_bytes)
    with db.write() as s:
        queries.plan(s, caller, plan_id)
        return STORE.add(s, cipher, plan_id, upload, caller.user, now)


def list_attachments(db: Database, caller: Caller, plan_id: int) -> list[dict]:
    """The plan's documents without content (case manager and psychologist)."""
    caller.require("shelter")
    with db.read() as s:
        return attachments_in(s, caller, queries.plan(s, caller, plan_id))


def attachments_in(s, caller: Caller, plan) -> list[dict]:
    """``list_attachments``'s answer and refusals, in ``s``, for a plan row the caller may read."""
    return STORE.listing(s, _may_read(caller, plan).id)


def read_attachment(db: Database, caller: Caller, cipher: FileCipher, plan_id: int,
                    attachment_id) -> dict:
    """One document with its content (base64 text), for the case manager and psychologist."""
    caller.require("shelter")
    with db.read() as s:
        _readable_plan(s, caller, plan_id)
        return answer_with_content(STORE.read(s, cipher, plan_id, attachment_id))
