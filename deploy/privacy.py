"""``refnet`` commands of the privacy issue: audit verification, token revocation, key rotation
and retention. Each reads a service's database by URL (``<SERVICE>_DATABASE_URL``), as
``refnet migrate`` does, so it works with the network stopped or running."""

import os
import sys

from . import local


def _url(service: str) -> str:
    return os.environ[f"{service.upper()}_DATABASE_URL"]


def cmd_audit_verify(args) -> int:
    """Recompute every service's hash chain; name each entry that was edited or deleted."""
    from services.common import audit, auditchain
    from services.common.db import Database
    from services.common.audit import audit_table
    from sqlalchemy import MetaData
    local.load_env()
    table = audit_table(MetaData())
    failed = False
    for service in args.services or local.SERVICES:
        db = Database(_url(service))
        try:
            with db.read() as c:
                entries = audit.read_all(c, table)
        finally:
            db.dispose()
        problems = auditchain.verify(entries)
        if problems:
            failed = True
            for problem in problems:
                print(f"{service}: {problem}")
        else:
            print(f"{service}: {len(entries)} audit entries, chain intact")
    if failed:
        print("audit verify: FAILED (the audit trail was edited or entries were deleted)",
              file=sys.stderr)
    return 1 if failed else 0


def cmd_revoke_token(args) -> int:
    from gateway.revocation import RevocationStore
    from gateway.tokens import token_id
    local.load_env()
    store = RevocationStore()
    if args.user:
        store.revoke_user(args.user)
        print(f"revoked every token of user {args.user} issued until now")
        return 0
    if not args.jti:
        print("refnet revoke-token: give a JTI (or a whole token), or --user USER", file=sys.stderr)
        return 2
    jti = token_id(args.jti) if args.jti.count(".") == 2 else args.jti
    if not jti:
        print("refnet revoke-token: that token has no jti", file=sys.stderr)
        return 2
    store.revoke_token(jti)
    print(f"revoked token {jti}")
    return 0


def _cipher():
    from services.common.sealing import FileCipher
    keys = os.environ.get("REFNET_FILE_KEYS")
    if not keys:
        raise SystemExit("REFNET_FILE_KEYS is not set")
    return FileCipher(keys)


def cmd_rotate_keys(_args) -> int:
    """Re-encrypt every referral file and legal note with the newest key of REFNET_FILE_KEYS."""
    from services.common.db import Database
    from services.legal import app as legal_app
    from services.referral import app
    local.load_env()
    cipher = _cipher()
    db = Database(_url("referral"))
    try:
        count = app.rotate_keys(db, cipher)
    finally:
        db.dispose()
    print(f"referral: {count} file(s) re-encrypted with the newest key")
    db = Database(_url("legal"))
    try:
        notes = legal_app.rotate_notes(db, cipher)
    finally:
        db.dispose()
    print(f"legal: {notes} note(s) re-encrypted with the newest key; older keys can now be "
          "removed from REFNET_FILE_KEYS")
    return 0


def cmd_backfill_report_codes(_args) -> int:
    """Fill the statistical codes of referrals recorded before migration referral/0004."""
    from services.common.db import Database
    from services.referral import report
    local.load_env()
    db = Database(_url("referral"))
    try:
        count = report.backfill_report_codes(db, _cipher())
    finally:
        db.dispose()
    print(f"referral: statistical codes filled for {count} referral(s)")
    return 0


def cmd_anonymise(args) -> int:
    from services.common.db import Database
    from services.referral import app
    local.load_env()
    days = args.days if args.days is not None else float(os.environ.get("REFNET_RETENTION_DAYS", "365"))
    db = Database(_url("referral"))
    try:
        count = app.anonymise_closed(db, _cipher(), days)
    finally:
        db.dispose()
    print(f"referral: {count} referral(s) that ended more than {days:g} days ago anonymised")
    return 0


def add_commands(sub) -> None:
    audit = sub.add_parser("audit", help="verify the audit trail of every service")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("services", nargs="*", help="referral, shelter, legal (default: all)")
    audit.set_defaults(func=cmd_audit_verify)
    revoke = sub.add_parser("revoke-token", help="revoke a token by JTI (or the token), or a user's tokens")
    revoke.add_argument("jti", nargs="?")
    revoke.add_argument("--user")
    revoke.set_defaults(func=cmd_revoke_token)
    sub.add_parser("rotate-keys", help="re-encrypt every file with the newest REFNET_FILE_KEYS key") \
        .set_defaults(func=cmd_rotate_keys)
    sub.add_parser("backfill-report-codes",
                   help="fill the report codes of referrals recorded before they existed") \
        .set_defaults(func=cmd_backfill_report_codes)
    anon = sub.add_parser("anonymise", help="anonymise referrals that ended long enough ago")
    anon.add_argument("--days", type=float, default=None,
                      help="older than this many days (default REFNET_RETENTION_DAYS or 365)")
    anon.set_defaults(func=cmd_anonymise)
