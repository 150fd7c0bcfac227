"""Attachments (issue 21): the documents each service keeps on its own records, what a file may
be, and how its bytes travel over RPC. The gateway checks an upload with these rules before any
call, and the owning service checks it again before it stores anything. No I/O.

A file's type is decided by its content (the first bytes), never by its name or the type the
client claims: a PNG named ``scan.pdf`` is a PNG, a text file named ``scan.pdf`` is refused.
Messages never repeat a file's name or content: a name may be a person's.
"""

import base64
import binascii
import re
import unicodedata

# kind -> the service that owns the record it is attached to
KINDS: dict[str, str] = {
    "identity_scan": "referral",      # on a referral: the survivor's identity document
    "medical_report": "shelter",      # on a care plan
    "power_of_attorney": "legal",     # on a legal case
    "court_summons": "legal",         # on a legal case
}
# media type -> how its content begins
SIGNATURES: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
MEDIA_TYPES = tuple(SIGNATURES)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 200
ID = re.compile(r"^[0-9a-f]{32}$")


def kinds_of(service: str) -> tuple[str, ...]:
    """The kinds a service keeps, in a stable order."""
    return tuple(kind for kind, owner in KINDS.items() if owner == service)


def kind_problem(kind, service: str) -> str | None:
    """Why ``kind`` is not a kind of attachment ``service`` keeps (a message for ``kind``)."""
    allowed = kinds_of(service)
    if kind not in allowed:
        return f"must be one of {', '.join(allowed)}"
    return None


def media_type_of(data: bytes) -> str | None:
    """The media type the content is (PDF, JPEG or PNG), or None."""
    for media_type, signature in SIGNATURES.items():
        if data.startswith(signature):
            return media_type
    return None


def content_problem(data, max_bytes: int) -> str | None:
    """Why ``data`` may not be stored (a message for ``file``), or None."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        return "the file is empty"
    if len(data) > max_bytes:
        return f"the file is larger than {max_bytes} bytes"
    if media_type_of(bytes(data)) is None:
        return "the file is not a PDF, JPEG or PNG (its content was checked, not its name)"
    return None


def clean_name(name) -> str | None:
    """The file name as kept: its last path segment, control characters removed, at most
    ``MAX_NAME`` characters; None when nothing is left."""
    if not isinstance(name, str):
        return None
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:MAX_NAME] or None


def id_problem(attachment_id) -> str | None:
    """Why ``attachment_id`` is no attachment id (32 lower-case hex digits), or None."""
    if not isinstance(attachment_id, str) or not ID.match(attachment_id):
        return "an attachment id is 32 lower-case hexadecimal digits"
    return None


def encode(data: bytes) -> str:
    """Bytes as they travel in an RPC's JSON: base64 text."""
    return base64.b64encode(data).decode("ascii")


def decode(text) -> bytes | None:
    """The bytes of ``encode``'s text; None when it is not such text."""
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
