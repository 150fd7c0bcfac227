"""Opaque page cursors of keyset pagination (docs/decisions/0006): the last row's id, encoded so
a client treats it as a token, not a number to edit."""

import base64

from .errors import InvalidInput


def encode_cursor(row_id: int) -> str:
    """An opaque page cursor (the last row's id)."""
    return base64.urlsafe_b64encode(str(row_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The row id of a cursor ``encode_cursor`` gave out; ``InvalidInput`` for anything else."""
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except Exception:
        raise InvalidInput("not a cursor this service gave out", field="cursor") from None
