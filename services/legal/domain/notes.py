"""Legal notes at rest. No I/O.

A note is narrative about a survivor's case: it is stored encrypted with the file keys
(``REFNET_FILE_KEYS``, the same keys as the referral file) and shown to the legal team only,
never in an event or a log. A note written before notes were encrypted, or by a process without
keys (a bare test), is stored as given and read back as it is.
"""

NOTE_PREFIX = "fernet:"


def seal_note(cipher, text: str) -> str:
    """The note as stored: encrypted under ``cipher`` (one with ``encrypt``), or as given without."""
    return text if cipher is None else NOTE_PREFIX + cipher.encrypt(text.encode()).decode()


def open_note(cipher, stored: str) -> str:
    """The note's text; an encrypted note needs the cipher."""
    if not stored.startswith(NOTE_PREFIX):
        return stored
    if cipher is None:
        raise RuntimeError("legal notes are encrypted: REFNET_FILE_KEYS is needed")
    return cipher.decrypt(stored[len(NOTE_PREFIX):].encode()).decode()
