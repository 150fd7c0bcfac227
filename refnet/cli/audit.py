"""``refnet audit verify | dead-letters``: the audit trails' keyed chains and their
checkpoints, and the messages parked after repeated failures. Each reads what it checks
directly (a service's database and the gateway's by URL, the broker), so it works with the
network stopped or running. Run ``refnet audit verify`` on a schedule: each run records the
heads it found intact, and entries cut after the last run's head go unseen until then."""

import sys

from refnet import settings
from refnet.local.broker import check_broker


def verify_services(values, services) -> tuple[list[str], bool]:
    """Check each service's chain with the audit key against its last checkpoint (kept in the
    gateway's database, ``refnet.auditcheckpoints``), then record each intact head as the new
    checkpoint. Returns the lines to print and whether every chain was intact."""
    from sqlalchemy import MetaData

    from refnet.auditcheckpoints import CheckpointStore
    from gateway.auditcheckpoints import now_text
    from services.common import audit, auditchain
    from services.common.audit import audit_table
    key = values.audit_key
    table = audit_table(MetaData())
    store = CheckpointStore(values.gateway_database_url)
    lines, intact = [], True
    try:
        for service in services:
            with settings.service_database(values, service) as db, db.read() as c:
                entries = audit.read_all(c, table)
            found = auditchain.verify_with_checkpoints(entries, key, service, store.rows(service),
                                                       now_text())
            intact = intact and found["intact"]
            lines += describe(found)
            if found["new_checkpoint"]:
                store.insert(service, found["new_checkpoint"])
    finally:
        store.close()
    return lines, intact


def describe(found: dict) -> list[str]:
    """The lines ``refnet audit verify`` prints for one service's result."""
    service = found["service"]
    if not found["intact"]:
        return [f"{service}: {problem}" for problem in found["problems"]]
    checkpoint = found["checkpoint"]
    against = (f"; checkpoint of entry {checkpoint['entry_id']} ({checkpoint['at']}) holds"
               if checkpoint else "; no checkpoint before this one")
    return [f"{service}: {found['entries']} audit entries, chain intact{against}"]


def cmd_audit_verify(args) -> int:
    """Check every service's keyed chain and its last checkpoint: name each entry edited,
    deleted, rewritten or cut from the end; record each intact head as the next checkpoint."""
    values = settings.load()
    if not values.audit_key:
        print("audit verify: REFNET_AUDIT_KEY is not set (the key the services seal their "
              "trails with)", file=sys.stderr)
        return 2
    lines, intact = verify_services(values, args.services or settings.SERVICES)
    print("\n".join(lines))
    if not intact:
        print("audit verify: FAILED (the audit trail was edited, rewritten, or entries were "
              "deleted or cut from the end)", file=sys.stderr)
    return 0 if intact else 1


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
    audit = sub.add_parser("audit", help="verify the audit trail of every service and record "
                           "its head as a checkpoint")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("services", nargs="*", help="referral, shelter, legal, notify (default: all)")
    audit.set_defaults(func=cmd_audit_verify)
    dead = sub.add_parser("dead-letters", help="list or replay messages parked after repeated failures")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("id", nargs="?")
    dead.set_defaults(func=cmd_dead_letters)
