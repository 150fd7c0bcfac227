"""``refnet init-secrets | issue-token | issued-tokens | revoke-token | rotate-keys``: secrets,
tokens and keys."""

import sys

from refnet import settings
from refnet.local.secrets import add_missing_secrets, write_secrets_file

from . import agencies


def cmd_init_secrets(_args=None) -> int:
    """Write var/refnet.env with fresh secrets if it does not exist; never overwrite a secret
    in it, but add those it lacks (a file from before a release added them)."""
    path = settings.env_file()
    if not write_secrets_file(path):
        added = add_missing_secrets(path)
        print(f"{path} exists; added {', '.join(added)}" if added else
              f"{path} exists; left as it is")
        return 0
    print(f"wrote {path}")
    return 0


def cmd_issue_token(args) -> int:
    """Print a bearer token and nothing else, once its record (not the token) is stored in the
    gateway's database; a lifetime over ``REFNET_TOKEN_MAX_HOURS`` is refused, and so is an
    agency the directory does not hold as active and of a kind the role fits."""
    import jwt

    from gateway.issued_tokens import IssuedTokens
    from gateway.tokens import issue_token
    values = settings.load()
    if not values.token_secret:
        print("REFNET_TOKEN_SECRET is not set; run `refnet init-secrets` first", file=sys.stderr)
        return 2
    longest = int(values.token_max_hours * 3600)
    try:
        if not 0 < args.ttl <= longest:
            raise ValueError(f"--ttl must be 1 to {longest} seconds (REFNET_TOKEN_MAX_HOURS)")
        token = issue_token(values.token_secret, user=args.user, role=args.role,
                            agency=args.agency, ttl=args.ttl)
        # the agency must be in the directory, active, of a kind the role fits
        problem = agencies.identity_problem(values, args.role, args.agency)
        if problem:
            raise ValueError(problem)
    except ValueError as exc:
        print(f"refnet issue-token: {exc}", file=sys.stderr)
        return 2
    claims = jwt.decode(token, options={"verify_signature": False})
    IssuedTokens(values.gateway_database_url).record(
        jti=claims["jti"], user=claims["sub"], role=claims["role"], agency=claims["agency"],
        issued_at=claims["iat"], expires_at=claims["exp"], issued_by=_operator())
    print(token)
    return 0


def _operator() -> str:
    """The operating-system account running the command (who issued a token)."""
    import getpass
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def cmd_issued_tokens(args) -> int:
    """The record of issued tokens, one line each: jti, user, role, agency, issued, expires, by."""
    from datetime import datetime, timezone

    from gateway.issued_tokens import IssuedTokens

    def when(seconds):
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")
    rows = IssuedTokens(settings.load().gateway_database_url).list(live_only=not args.all)
    for row in rows:
        print("\t".join([row["jti"], row["user"], row["role"], row["agency"],
                         when(row["issued_at"]), when(row["expires_at"]), row["issued_by"]]))
    return 0


def cmd_revoke_token(args) -> int:
    """Refuse a token (by its JTI, or the whole token) or every token of a user from now on."""
    from gateway.revocation import RevocationStore
    from gateway.tokens import token_id
    values = settings.load()
    store = RevocationStore(values.gateway_database_url)
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


def file_cipher(values):
    """The file cipher of ``REFNET_FILE_KEYS``; stops the command when the keys are not set."""
    from services.common.sealing import FileCipher
    if not values.file_keys:
        raise SystemExit("REFNET_FILE_KEYS is not set")
    return FileCipher(values.file_keys)


def cmd_rotate_keys(_args) -> int:
    """Re-encrypt every encrypted column of every service (each service's ``tables.ENCRYPTED``)
    with the newest key of REFNET_FILE_KEYS, through each service's own database."""
    import importlib

    from services.common.clock import process_clock
    values = settings.load()
    cipher = file_cipher(values)
    for service in settings.SERVICES:
        tables = importlib.import_module(f"services.{service}.tables")
        with settings.service_database(values, service) as db:
            counts = tables.ENCRYPTED.rotate(db, cipher, audit_log=tables.audit_log, agency=service,
                                             now=process_clock(values).now())
        done = ", ".join(f"{label} {count}" for label, count in counts.items())
        print(f"{service}: re-encrypted with the newest key: {done}")
    print("every encrypted column is under the newest key; older keys can now be removed from "
          "REFNET_FILE_KEYS")
    return 0


def add_commands(sub) -> None:
    """Register the commands of secrets, tokens and keys."""
    sub.add_parser("init-secrets", help="write var/refnet.env if it does not exist") \
        .set_defaults(func=cmd_init_secrets)
    token = sub.add_parser("issue-token", help="print a bearer token and nothing else")
    token.add_argument("--user", required=True)
    token.add_argument("--role", required=True)
    token.add_argument("--agency", required=True)
    token.add_argument("--ttl", type=int, default=12 * 3600,
                       help="seconds (default 12 h; at most REFNET_TOKEN_MAX_HOURS)")
    token.set_defaults(func=cmd_issue_token)
    issued = sub.add_parser("issued-tokens", help="the record of issued tokens not yet expired")
    issued.add_argument("--all", action="store_true", help="expired ones too")
    issued.set_defaults(func=cmd_issued_tokens)
    revoke = sub.add_parser("revoke-token", help="revoke a token by JTI (or the token), or a user's tokens")
    revoke.add_argument("jti", nargs="?")
    revoke.add_argument("--user")
    revoke.set_defaults(func=cmd_revoke_token)
    sub.add_parser("rotate-keys", help="re-encrypt every encrypted column with the newest REFNET_FILE_KEYS key") \
        .set_defaults(func=cmd_rotate_keys)
