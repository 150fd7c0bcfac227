"""Documents on a referral (issue 21): the survivor's identity scans, added by the referring
police or by the staff who read the file, listed and read by those staff only; each call is
audited by the entrypoint. The content never leaves in an event or a log line."""

from sqlalchemy import select

from services.common.attachments import AttachmentStore, answer_with_content, check_upload
from services.common.caller import Caller
from services.common.clock import Clock
from services.common.db import Database
from services.common.sealing import FileCipher

from ..domain import referral as rules
from ..queries import file_consents_of, row_dict
from ..tables import ENCRYPTED, attachments, referrals
from .steps import check_reference

STORE = AttachmentStore(attachments, "referral_id", ENCRYPTED)


def _referral(s, reference: str) -> dict | None:
    row = row_dict(s.execute(select(referrals).where(referrals.c.reference == reference)).first())
    if row is not None:
        row["file_consents"] = file_consents_of(s, row["id"])
    return row


def add_attachment(db: Database, clock: Clock, cipher: FileCipher, caller: Caller, reference: str,
                   kind, file_name, content, max_bytes: int,
                   default_holder: str | None = None) -> dict:
    """Keep an identity scan on the referral (checked by content and size first)."""
    check_reference(reference)
    upload = check_upload("referral", kind, file_name, content, max_bytes)
    now = clock.now()
    with db.write() as s:
        referral = rules.require_attachment_access(caller, _referral(s, reference), reference,
                                                   reading=False, now=now,
                                                   default_holder=default_holder)
        return STORE.add(s, cipher, referral["id"], upload, caller.user, now)


def list_attachments(db: Database, clock: Clock, caller: Caller, reference: str,
                     default_holder: str | None = None) -> list[dict]:
    """The referral's documents, without their content."""
    check_reference(reference)
    with db.read() as s:
        referral = rules.require_attachment_access(caller, _referral(s, reference), reference,
                                                   reading=True, now=clock.now(),
                                                   default_holder=default_holder)
        return STORE.listing(s, referral["id"])


def read_attachment(db: Database, clock: Clock, cipher: FileCipher, caller: Caller,
                    reference: str, attachment_id, default_holder: str | None = None) -> dict:
    """One document with its content (base64 text)."""
    check_reference(reference)
    with db.read() as s:
        referral = rules.require_attachment_access(caller, _referral(s, reference), reference,
                                                   reading=True, now=clock.now(),
                                                   default_holder=default_holder)
        return answer_with_content(STORE.read(s, cipher, referral["id"], attachment_id))
