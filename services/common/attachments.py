"""Attachments kept by a service on its own records (issue 21; docs/decisions/0056): the table
every owning service declares, the check of an upload, and storing, listing and reading one.

The content is a Fernet token under the file keys (a ``LargeBinary`` column the service declares
in ``ENCRYPTED``, so key rotation re-encrypts it); the file name is ``Sealed`` text. Neither is
ever filtered on, put in an event or named in a message. Who may add, list and read is the
owning service's rule: these functions take a record the service has already checked.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Table,
                        delete, insert, select)

from services.contracts import attachments as rules

from .atrest import AtRest, Sealed
from .errors import InvalidInput, NotFound
from .timeutil import iso

# what a listing shows of an attachment: everything but the content
LISTED = ("id", "kind", "media_type", "size", "file_name", "uploaded_by", "uploaded_at")


def attachment_table(metadata, owner: str, owner_type, owner_key: str) -> Table:
    """The ``attachments`` table of a service: each row one file on the record ``owner``
    (a column referencing ``owner_key``, e.g. ``referrals.id``)."""
    return Table(
        "attachments", metadata,
        Column("id", String(32), primary_key=True),        # 32 hex digits, not guessable
        Column(owner, owner_type, ForeignKey(owner_key), nullable=False),
        Column("kind", String(30), nullable=False),        # contracts.attachments.KINDS
        Column("media_type", String(30), nullable=False),  # found by content
        Column("size", Integer, nullable=False),           # bytes, before encryption
        Column("file_name", Sealed, nullable=False),       # encrypted text
        Column("content", LargeBinary, nullable=False),    # encrypted (Fernet token)
        Column("uploaded_by", String(100), nullable=False),
        Column("uploaded_at", DateTime(timezone=True), nullable=False),
        Index(f"ix_attachments_{owner}", owner),
    )


@dataclass(frozen=True)
class Upload:
    """An upload that passed ``check_upload``: kind, file name, bytes and media type."""
    kind: str
    file_name: str
    data: bytes
    media_type: str


def check_upload(service: str, kind, file_name, content, max_bytes: int) -> Upload:
    """The upload as the service will store it, or ``InvalidInput`` naming ``kind``,
    ``file_name`` or ``file`` (``content`` is the RPC's base64 text); nothing is stored yet."""
    problem = rules.kind_problem(kind, service)
    if problem:
        raise InvalidInput(problem, field="kind")
    name = rules.clean_name(file_name)
    if name is None:
        raise InvalidInput("a file needs a name", field="file_name")
    data = rules.decode(content)
    if data is None:
        raise InvalidInput("the file's content must be base64 text", field="file")
    problem = rules.content_problem(data, max_bytes)
    if problem:
        raise InvalidInput(problem, field="file")
    return Upload(kind, name, data, rules.media_type_of(data))


def check_id(attachment_id) -> str:
    """``attachment_id`` when it is one, else ``NotFound`` (a malformed id finds nothing)."""
    if rules.id_problem(attachment_id):
        raise NotFound("no such attachment", field="attachment_id")
    return attachment_id


def view(row: Mapping) -> dict:
    """What a caller sees of an attachment, from its row's columns (never its content)."""
    return {"attachment_id": row["id"], **{c: row[c] for c in LISTED[1:-1]},
            "uploaded_at": iso(row["uploaded_at"])}


class AttachmentStore:
    """One service's attachments: its table, the owner column's name, and its declaration of
    encrypted columns (``AtRest``) that seals and opens the content."""

    def __init__(self, table: Table, owner: str, encrypted: AtRest):
        self.table, self.owner, self.encrypted = table, table.c[owner], encrypted

    def add(self, s, cipher, owner_value, upload: Upload, by: str, now: datetime) -> dict:
        """Store ``upload`` on the record ``owner_value`` (in the caller's transaction)."""
        row = {"id": uuid.uuid4().hex, "kind": upload.kind, "media_type": upload.media_type,
               "size": len(upload.data), "file_name": upload.file_name,
               "uploaded_by": by[:100], "uploaded_at": now}
        sealed = self.encrypted.seal(cipher, self.table.c.content, upload.data)
        s.execute(insert(self.table).values({**row, self.owner.name: owner_value,
                                             "content": sealed}))
        return view(row)

    def listing(self, s, owner_value) -> list[dict]:
        """The record's attachments, oldest first, without their content."""
        t = self.table
        rows = s.execute(select(*(t.c[c] for c in LISTED)).where(self.owner == owner_value)
                         .order_by(t.c.uploaded_at, t.c.id)).all()
        return [view(r._mapping) for r in rows]

    def read(self, s, cipher, owner_value, attachment_id: str) -> dict:
        """One attachment of the record with its ``content`` (bytes), or ``NotFound``."""
        t = self.table
        row = s.execute(select(t).where(t.c.id == check_id(attachment_id),
                                        self.owner == owner_value)).first()
        if row is None:
            raise NotFound("no such attachment", field="attachment_id")
        return {**view(row._mapping), "content": self.encrypted.open(cipher, t.c.content, row.content)}

    def erase(self, s, owner_values) -> int:
        """Delete every attachment of the records ``owner_values`` (a list or a select):
        retention; returns how many rows went."""
        return s.execute(delete(self.table).where(self.owner.in_(owner_values))).rowcount


def answer_with_content(found: dict) -> dict:
    """A read attachment as the RPC answers it: the content as base64 text."""
    return {**found, "content": rules.encode(found["content"])}

