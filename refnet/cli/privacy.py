"""``refnet anonymise``: retention. Reads the referral service's database by URL, as
``refnet migrate`` does, so it works with the network stopped or running."""

from refnet import settings

from .keys import file_cipher


def cmd_anonymise(args) -> int:
    """Anonymise the referrals that ended more than ``--days`` (REFNET_RETENTION_DAYS) ago."""
    from services.referral import usecases
    from services.common.clock import process_clock
    values = settings.load()
    days = args.days if args.days is not None else values.retention_days
    with settings.service_database(values, "referral") as db:
        count = usecases.anonymise_closed(db, process_clock(values), file_cipher(values), days)
    print(f"referral: {count} referral(s) that ended more than {days:g} days ago anonymised")
    return 0


def add_commands(sub) -> None:
    """Register ``refnet anonymise``."""
    anon = sub.add_parser("anonymise", help="anonymise referrals that ended long enough ago")
    anon.add_argument("--days", type=float, default=None,
                      help="older than this many days (default REFNET_RETENTION_DAYS or 365)")
    anon.set_defaults(func=cmd_anonymise)
