"""``refnet audit verify | dead-letters``: the audit trails' hash chains, and the messages
parked after repeated failures. Each reads what it checks directly (a service's database by URL,
the broker), so it works with the network stopped or running."""

import sys

from refnet import settings
from refnet.local.broker import check_broker


def cmd_audit_verify(args) -> int:
    """Recompute every service's hash chain; name each entry that was edited or deleted."""
    from sqlalchemy import MetaData

    from services.common import audit, auditchain
    from services.common.audit import audit_table
    values = settings.load()
    table = audit_table(MetaData())
    failed = False
    for service in args.services or settings.SERVICES:
        with settings.service_database(values, service) as db, db.read() as c:
            entries = audit.read_all(c, table)
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


def cmd_dead_letters(args) -> int:
    """List the parked messages, or send one back to the queue it failed in."""
    from services.common import dead_letters
    uri = settings.load().amqp_uri
    if not check_broker(uri):
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


def add_commands(sub) -> None:
    """Register ``refnet audit`` and ``refnet dead-letters``."""
    audit = sub.add_parser("audit", help="verify the audit trail of every service")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("services", nargs="*", help="referral, shelter, legal (default: all)")
    audit.set_defaults(func=cmd_audit_verify)
    dead = sub.add_parser("dead-letters", help="list or replay messages parked after repeated failures")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("id", nargs="?")
    dead.set_defaults(func=cmd_dead_letters)
