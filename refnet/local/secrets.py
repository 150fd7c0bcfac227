"""The secrets of a network: new ones, and the file ``refnet init-secrets`` keeps them in."""

import os
import secrets as stdlib_secrets
from pathlib import Path


def new_secrets() -> dict:
    """Fresh token, reference, search and audit keys, a file key, the intake key pair, the
    caller signing pair and a broker password for each process kind."""
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
        **{f"REFNET_BROKER_PASSWORD_{kind.upper()}": stdlib_secrets.token_urlsafe(24)
           for kind in ("gateway", "referral", "shelter", "legal", "notify")},
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


# secrets that only work together: added to an existing file only when all of them are missing
_PAIRS = (("REFNET_INTAKE_PRIVATE_KEY", "REFNET_INTAKE_PUBLIC_KEY"),
          ("REFNET_CALLER_SIGNING_KEY", "REFNET_CALLER_VERIFY_KEY"))


def add_missing_secrets(path: Path) -> list[str]:
    """Append to an existing secrets file the secrets it lacks (one written before a release
    added them), never changing a line it has; returns the names added. A key pair is added
    only whole: a file holding one half of a pair is left for its owner to mend."""
    present = {line.split("=", 1)[0].strip() for line in path.read_text().splitlines()
               if "=" in line and not line.lstrip().startswith("#")}
    fresh = new_secrets()
    half_pairs = {name for pair in _PAIRS if present & set(pair) for name in pair}
    missing = [name for name in fresh if name not in present and name not in half_pairs]
    if missing:
        text = path.read_text()
        with path.open("a") as fh:
            fh.write(("" if text.endswith("\n") or not text else "\n")
                     + "".join(f"{name}={fresh[name]}\n" for name in missing))
    return missing
