"""``refnet user``: people who sign in to the web pages (gateway/accounts.py).

    refnet user create --username U --role R --agency A [--password-file F]
    refnet user password --username U [--password-file F]   a new password; U's sessions end
                                                            (a disabled U stays disabled)
    refnet user disable --username U                        U can no longer sign in
    refnet user enable --username U                         U can sign in again
    refnet user list

The password is read from ``--password-file`` (``-`` for standard input), else from standard
input when it is not a terminal (its first line), else asked twice at the terminal. It is never
an argument: arguments show in ``ps`` and in shell history. The tables are the gateway's
(``REFNET_GATEWAY_DATABASE_URL``, ``var/gateway.db`` by default), so this works with the network
stopped or running. ``create`` takes only an agency the directory (the referral service's
database, read by URL) holds as active, of a kind the role fits.
"""

import getpass
import sys

from refnet import settings


def _password(args) -> str:
    source = getattr(args, "password_file", None)
    if source == "-" or (source is None and not sys.stdin.isatty()):
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if source:
        with open(source, encoding="utf-8") as fh:
            return fh.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _store():
    from gateway.accounts import AccountStore, throttle_secret_of
    values = settings.load()
    store = AccountStore(values.gateway_database_url)
    if values.token_secret:  # the gateway's key, so a new password ends the username's delays
        store.configure(throttle_secret=throttle_secret_of(values.token_secret))
    return store


def _malformed(agency: str) -> bool:
    """An agency id out of format: the store's own check refuses it, naming the rule."""
    from services.contracts.identities import AGENCY
    return not AGENCY.fullmatch(agency)


def cmd_user(args) -> int:
    """Create a person, change their password, disable them, or list everyone."""
    try:
        if args.action == "list":
            for user in _store().list_users():
                state = "disabled" if user.disabled else "active"
                print(f"{user.username}\t{user.role}\t{user.agency}\t{state}")
            return 0
        if not args.username:
            raise ValueError("give --username")
        if args.action == "create":
            if not args.role or not args.agency:
                raise ValueError("give --role and --agency")
            # the agency must be in the directory, active, of a kind the role fits
            from .agencies import identity_problem
            problem = identity_problem(settings.load(), args.role, args.agency)
            if problem and not _malformed(args.agency):
                raise ValueError(problem)
            store = _store()
            store.create_user(args.username, _password(args), args.role, args.agency)
            print(f"user {args.username.strip().lower()} created ({args.role}, {args.agency})")
        elif args.action == "password":
            store = _store()
            store.set_password(args.username, _password(args))
            disabled = store.get_user(args.username.strip().lower()).disabled
            print(f"password of {args.username} changed; their sessions ended"
                  + ("; the user is still disabled (refnet user enable)" if disabled else ""))
        elif args.action == "disable":
            _store().disable_user(args.username)
            print(f"user {args.username} disabled; their sessions ended")
        elif args.action == "enable":
            _store().enable_user(args.username)
            print(f"user {args.username} enabled")
    except ValueError as exc:
        print(f"refnet user {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def add_commands(sub) -> None:
    """Register ``refnet user``."""
    user = sub.add_parser("user", help="people who sign in to the web pages")
    user.add_argument("action", choices=["create", "password", "disable", "enable", "list"])
    user.add_argument("--username")
    user.add_argument("--role", help="police, shelter, legal, court, admin or analyst")
    user.add_argument("--agency", help="the agency id, as in a bearer token")
    user.add_argument("--password-file", help="read the password from this file ('-': stdin)")
    user.set_defaults(func=cmd_user)
