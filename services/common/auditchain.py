"""The audit trail's chain: plain rules, no I/O.

Each entry stores the hash of the entry before it (``prev_hash``) and its own ``hash`` over its
fields and ``prev_hash``: an HMAC-SHA-256 with the audit key (``REFNET_AUDIT_KEY``, held by the
processes, never by a database), named in the entry by ``key_id`` (the key's fingerprint, not the
key). Entries written before the chain was keyed have no ``key_id`` and a plain SHA-256; they may
only come first, and the first keyed entry seals them: a chain must end keyed.

Editing an entry breaks its own hash; deleting one breaks the next entry's ``prev_hash`` (and
leaves a gap in the ids); rewriting entries and computing their hashes again needs the key.
Entries cut from the end leave no trace in the database: a checkpoint kept outside it (the last
head seen: id and hash) names them. ``verify`` lists every problem, each naming an entry.
"""

import hashlib
import hmac
import json
from datetime import timezone

GENESIS = "0" * 64
FIELDS = ("id", "at", "actor", "role", "agency", "action", "object", "outcome", "correlation_id")


def key_bytes(key: str | bytes) -> bytes:
    """The HMAC key as bytes (the setting's text, UTF-8)."""
    return key if isinstance(key, bytes) else key.encode()


def key_id(key: str | bytes) -> str:
    """The key's fingerprint stored in each entry (16 hex digits; reveals nothing of the key)."""
    return hmac.new(key_bytes(key), b"refnet audit key id", hashlib.sha256).hexdigest()[:16]


def _canonical(entry: dict, prev_hash: str) -> bytes:
    return json.dumps({k: _text(entry.get(k)) for k in FIELDS} | {"prev_hash": prev_hash},
                      sort_keys=True, separators=(",", ":")).encode()


def entry_hash(entry: dict, prev_hash: str, key: str | bytes | None = None) -> str:
    """HMAC-SHA-256 with ``key`` over the canonical JSON of the entry's fields and the previous
    hash; without a key, the plain SHA-256 of entries written before the chain was keyed."""
    if key is None:
        return hashlib.sha256(_canonical(entry, prev_hash)).hexdigest()
    return hmac.new(key_bytes(key), _canonical(entry, prev_hash), hashlib.sha256).hexdigest()


def _text(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        if getattr(value, "tzinfo", None) is None:  # SQLite gives naive datetimes back (UTC)
            return value.isoformat() + "+00:00"
        return value.astimezone(timezone.utc).isoformat()
    return str(value)


def verify(entries: list[dict], key: str | bytes, checkpoint: dict | None = None) -> list[str]:
    """Problems found in entries ordered by id, each naming the entry; [] when intact.

    ``key`` is the audit key; ``checkpoint`` the last head recorded outside the database
    (``{"entry_id": N, "hash": H}``): entry N must still be there with hash H.
    """
    problems: list[str] = []
    expected_key_id = key_id(key)
    prev_hash, prev_id, keyed = GENESIS, None, False
    for entry in entries:
        if prev_id is not None and entry["id"] != prev_id + 1:
            problems.append(f"entries {prev_id + 1} to {entry['id'] - 1} deleted (gap after entry {prev_id})")
        elif prev_id is None and entry["id"] != 1:
            problems.append(f"entries 1 to {entry['id'] - 1} deleted (the trail starts at entry {entry['id']})")
        if entry["prev_hash"] != prev_hash:
            problems.append(f"entry {entry['id']}: previous hash does not match entry "
                            f"{prev_id if prev_id is not None else 'start'} (an entry before it was "
                            "edited or deleted)")
        entry_key_id = entry.get("key_id")
        if entry_key_id is None:
            if keyed:
                problems.append(f"entry {entry['id']} rewritten: unkeyed after keyed entries")
            elif entry_hash(entry, entry["prev_hash"]) != entry["hash"]:
                problems.append(f"entry {entry['id']} edited: its hash does not match its contents")
        elif entry_key_id != expected_key_id:
            keyed = True
            problems.append(f"entry {entry['id']} sealed with another key than REFNET_AUDIT_KEY "
                            "(rewritten, or the key changed)")
        else:
            keyed = True
            if entry_hash(entry, entry["prev_hash"], key) != entry["hash"]:
                problems.append(f"entry {entry['id']} edited: its hash does not match its contents")
        prev_hash, prev_id = entry["hash"], entry["id"]
    if entries and not keyed:
        problems.append(f"entries {entries[0]['id']} to {entries[-1]['id']} are not sealed with "
                        "REFNET_AUDIT_KEY: rewritten without the key, or all written before it "
                        "(the next audited call seals them)")
    if checkpoint:
        problems += _against_checkpoint(entries, checkpoint)
    return problems


def _against_checkpoint(entries: list[dict], checkpoint: dict) -> list[str]:
    """The checkpointed head must still be in the chain, unchanged."""
    at, seen = checkpoint["entry_id"], checkpoint.get("at", "an earlier verify")
    last = entries[-1]["id"] if entries else 0
    if last < at:
        first_cut = last + 1
        return [f"entries {first_cut} to {at} cut from the end (the checkpoint of {seen} "
                f"recorded entry {at} as the last; the trail ends at {last or 'nothing'})"]
    entry = next((e for e in entries if e["id"] == at), None)
    if entry is None:
        return [f"entry {at} (checkpointed at {seen}) is missing"]
    if not hmac.compare_digest(entry["hash"], checkpoint["hash"]):
        return [f"entry {at} rewritten: its hash is not the one checkpointed at {seen} "
                "(the chain up to it was replaced)"]
    return []


# --- checkpoints: the last intact head, kept outside the service's database ---------------------
# A checkpoint row is {"entry_id", "hash", "at", "mac"}: the MAC (with the audit key) binds the
# service's name, the head and the time it was recorded, so whoever keeps the rows (the gateway's
# database, which never holds the key) can neither forge nor edit one unseen.

def checkpoint_mac(key: str | bytes, service: str, entry_id: int, entry_hash: str, at: str) -> str:
    """The HMAC of one checkpoint row."""
    message = f"{service}\n{entry_id}\n{entry_hash}\n{at}".encode()
    return hmac.new(key_bytes(key), message, hashlib.sha256).hexdigest()


def trusted_checkpoint(rows: list[dict], service: str, key: str | bytes) -> tuple[dict | None, list[str]]:
    """The furthest of ``rows`` (oldest first, each with ``id``) whose MAC holds, and a problem per
    row whose MAC does not (forged or edited where the rows are kept)."""
    best, problems = None, []
    for row in rows:
        expected = checkpoint_mac(key, service, int(row["entry_id"]), str(row["hash"]), str(row["at"]))
        if not hmac.compare_digest(str(row.get("mac") or ""), expected):
            problems.append(f"checkpoint {row.get('id')} is not signed with REFNET_AUDIT_KEY (forged "
                            "or edited); not used")
        elif best is None or int(row["entry_id"]) >= best["entry_id"]:
            best = {"entry_id": int(row["entry_id"]), "hash": str(row["hash"]), "at": str(row["at"])}
    return best, problems


def signed_checkpoint(service: str, head: dict, key: str | bytes, at: str) -> dict:
    """The row recording ``head`` (``{"entry_id": N, "hash": H}``) as the service's checkpoint at
    ``at`` (ISO text, signed exactly as stored)."""
    return {"entry_id": head["entry_id"], "hash": head["hash"], "at": at,
            "mac": checkpoint_mac(key, service, head["entry_id"], head["hash"], at)}


def verify_with_checkpoints(entries: list[dict], key: str | bytes, service: str,
                            rows: list[dict], at: str) -> dict:
    """What ``refnet audit verify`` finds for one service: the chain checked against the last
    trusted checkpoint of ``rows``; when intact and its head moved on, the signed row to record
    (``new_checkpoint``), else None."""
    checkpoint, forged = trusted_checkpoint(rows, service, key)
    problems = forged + verify(entries, key, checkpoint)
    head = {"entry_id": entries[-1]["id"], "hash": entries[-1]["hash"]} if entries else None
    new = None
    if not problems and head and (checkpoint is None or checkpoint["entry_id"] != head["entry_id"]):
        new = signed_checkpoint(service, head, key, at)
    return {"service": service, "entries": len(entries), "intact": not problems,
            "problems": problems, "checkpoint": checkpoint, "new_checkpoint": new}
