"""``refnet``: the command-line tool (tokens, secrets, migrations, broker set-up, the local network).

    refnet up | down | status          the whole network on this machine, in the background
    refnet issue-token --user U --role R --agency A [--ttl SECONDS]
    refnet init-secrets                write var/refnet.env (once; never overwrites)
    refnet migrate                     bring every service's database to the latest schema
    refnet broker-setup                declare exchanges and durable queues
    refnet seed-demo                   the demo facility, and a token for each demo user
    refnet dead-letters list           messages parked after repeated failures
    refnet dead-letters replay ID      send one back to the queue it failed in
    refnet audit verify [SERVICE...]   check every audit trail's hash chain; names what was edited
    refnet revoke-token JTI|TOKEN      refuse a token from the next request on (--user U: all of U's)
    refnet rotate-keys                 re-encrypt every file with the newest REFNET_FILE_KEYS key
    refnet anonymise [--days N]        anonymise referrals that ended more than N days ago
    refnet backfill-report-codes       fill the report codes of referrals recorded before them
    refnet report --from D --to D [--audience public|internal] [--pdf F] [--csv F] [--json F]
    refnet demo-year [--start D]       an invented first year through the API (demo clock)
    refnet user create --username U --role R --agency A [--password-file F]
                                       a person who signs in to the web pages (password asked,
                                       or read from stdin or the file); also password, disable, list
"""

import argparse
import warnings
import os
import sys

from . import local, privacy, report_cli
from . import local, privacy, users

warnings.filterwarnings("ignore", message=r"(?s).*(Eventlet is deprecated|pkg_resources)")


def _cmd_issue_token(args) -> int:
    from gateway.tokens import issue_token
    local.load_env()
    secret = os.environ.get("REFNET_TOKEN_SECRET")
    if not secret:
        print("REFNET_TOKEN_SECRET is not set; run `refnet init-secrets` first", file=sys.stderr)
        return 2
    try:
        print(issue_token(secret, user=args.user, role=args.role, agency=args.agency, ttl=args.ttl))
    except ValueError as exc:
        print(f"refnet issue-token: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_dead_letters(args) -> int:
    from services.common import dead_letters
    local.load_env()
    uri = os.environ["AMQP_URI"]
    if not local.check_broker(uri):
        return 1
    if args.action == "list":
        parked = dead_letters.list_dead_letters(uri)
        if not parked:
            print("no dead letters")
        for d in parked:
            print(f"{d.id}\t{d.type}\tqueue={d.queue}\treason={d.reason}\tdeaths={d.deaths}\tat={d.died_at}")
        return 0
    if not args.id:
        print("refnet dead-letters replay: give the message ID (see `refnet dead-letters list`)",
              file=sys.stderr)
        return 2
    replayed = dead_letters.replay(uri, args.id)
    if replayed is None:
        print(f"no dead letter with id {args.id}", file=sys.stderr)
        return 1
    print(f"replayed {replayed.id} ({replayed.type}) to {replayed.queue}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="refnet", description="refnet, the referral network")
    sub = parser.add_subparsers(dest="command", required=True)
    token = sub.add_parser("issue-token", help="print a bearer token and nothing else")
    token.add_argument("--user", required=True)
    token.add_argument("--role", required=True)
    token.add_argument("--agency", required=True)
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds (default 12 h)")
    token.set_defaults(func=_cmd_issue_token)
    dead = sub.add_parser("dead-letters", help="list or replay messages parked after repeated failures")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("id", nargs="?")
    dead.set_defaults(func=_cmd_dead_letters)
    privacy.add_commands(sub)
    report_cli.add_commands(sub)
    users.add_commands(sub)
    for name, func, help_text in (
        ("init-secrets", local.cmd_init_secrets, "write var/refnet.env if it does not exist"),
        ("migrate", local.cmd_migrate, "migrate every service database"),
        ("broker-setup", local.cmd_broker_setup, "declare the broker topology"),
        ("seed-demo", local.cmd_seed_demo, "seed the demo facility and print demo tokens"),
        ("up", local.cmd_up, "start the whole network in the background"),
        ("down", local.cmd_down, "stop every process `refnet up` started"),
        ("status", local.cmd_status, "say whether the network is running"),
    ):
        sub.add_parser(name, help=help_text).set_defaults(func=func)
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
