"""The secrets of a network: new ones, and the file ``refnet init-secrets`` keeps them in."""

import os
import secrets as stdlib_secrets
from pathlib import Path


# Secrets a file written before they existed gains at the next `refnet init-secrets`: a fresh
# one changes nothing already stored (the audit chain's older entries stay as they were sealed).
ADDED_LATER = ("REFNET_AUDIT_KEY",)


def new_secrets() -> dict:
    """Fresh token, reference, search and audit keys, a file key, the intake key pair and the
    caller signing pair."""
    from services.common.sealing import FileCipher, new_keypair
    from services.common.signed_caller import new_keypair as new_signing_pair
    private, public = new_keypair()
    signing, verify = new_signing_pair()
    return {
        "REFNET_TOKEN_SECRET": stdlib_secrets.token_urlsafe(48),
        "REFNET_REFERENCE_SECRET": stdlib_secrets.token_urlsafe(48),
        "REFNET_FILE_KEYS": FileCipher.new_key(),
        "REFNET_SEARCH_KEY": stdlib_secrets.token_urlsafe(48),
        "REFNET_AUDIT_KEY": stdlib_secrets.token_urlsafe(48),
        "REFNET_INTAKE_PRIVATE_KEY": private,
        "REFNET_INTAKE_PUBLIC_KEY": public,
        "REFNET_CALLER_SIGNING_KEY": signing,
        "REFNET_CALLER_VERIFY_KEY": verify,
    }


def write_secrets_file(path: Path) -> bool:
    """Write new secrets to ``path``, readable by its owner only; never overwrite (False when
    the file was there already)."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# refnet secrets for this machine: never commit, never share."]
    lines += [f"{k}={v}" for k, v in new_secrets().items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return True


def add_missing_secrets(path: Path) -> list[str]:
    """Append to an existing secrets file the ``ADDED_LATER`` secrets it lacks; their names."""
    text = path.read_text()
    present = {line.split("=", 1)[0].strip() for line in text.splitlines() if "=" in line}
    fresh = new_secrets()
    missing = [name for name in ADDED_LATER if name not in present]
    if missing:
        with path.open("a") as fh:
            fh.write(("" if text.endswith("\n") or not text else "\n")
                     + "".join(f"{name}={fresh[name]}\n" for name in missing))
    return missing
