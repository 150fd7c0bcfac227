"""The audit trail's hash chain: plain rules, no I/O.

Each entry stores the hash of the entry before it (``prev_hash``) and its own ``hash`` over its
fields and ``prev_hash``. Editing an entry breaks its own hash; deleting one breaks the next
entry's ``prev_hash`` (and leaves a gap in the ids). ``verify`` names the first entry that fails.
"""

import hashlib
import json

GENESIS = "0" * 64
FIELDS = ("id", "at", "actor", "role", "agency", "action", "object", "outcome", "correlation_id")


def entry_hash(entry: dict, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of the entry's fields and the previous hash."""
    canonical = json.dumps({k: _text(entry.get(k)) for k in FIELDS} | {"prev_hash": prev_hash},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _text(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        if getattr(value, "tzinfo", None) is None:  # SQLite gives naive datetimes back (UTC)
            return value.isoformat() + "+00:00"
        from datetime import timezone
        return value.astimezone(timezone.utc).isoformat()
    return str(value)


def verify(entries: list[dict]) -> list[str]:
    """Problems found in entries ordered by id, each naming the entry; [] when intact."""
    problems: list[str] = []
    prev_hash, prev_id = GENESIS, None
    for entry in entries:
        if prev_id is not None and entry["id"] != prev_id + 1:
            problems.append(f"entries {prev_id + 1} to {entry['id'] - 1} deleted (gap after entry {prev_id})")
        if entry["prev_hash"] != prev_hash:
            problems.append(f"entry {entry['id']}: previous hash does not match entry "
                            f"{prev_id if prev_id is not None else 'start'} (an entry before it was "
                            "edited or deleted)")
        if entry_hash(entry, entry["prev_hash"]) != entry["hash"]:
            problems.append(f"entry {entry['id']} edited: its hash does not match its contents")
        prev_hash, prev_id = entry["hash"], entry["id"]
    return problems
