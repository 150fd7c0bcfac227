"""``refnet``: the command-line tool, one module per subject.

    network   refnet up | down | status          the whole network on this machine, in the background
              refnet supervise                   the same in the foreground (systemd's ExecStart)
              refnet migrate                     bring every service's database to the latest schema
              refnet broker-setup                declare exchanges and durable queues
    check     refnet check-settings KIND         a process kind's settings, checked as it starts (exit 2
                                                 and one line naming a missing or malformed one)
              refnet entrypoint COMMAND...       the image's entrypoint: check-settings, then exec COMMAND
    keys      refnet init-secrets                write var/refnet.env (once; never overwrites, adds what it lacks)
              refnet issue-token --user U --role R --agency A [--ttl SECONDS]
                                                 a token, recorded (never the token) in the gateway's database
              refnet issued-tokens [--all]       that record: jti, user, role, agency, issued, expires, by
              refnet revoke-token JTI|TOKEN      refuse a token from the next request on (--user U: all of U's)
              refnet rotate-keys                 re-encrypt every encrypted column with the newest key
    users     refnet user create --username U --role R --agency A [--password-file F]
                                                 a person who signs in to the web pages (password asked,
                                                 or read from stdin or the file); also password, disable,
                                                 enable, list
    agencies  refnet agency list [--kind K]      the agency directory (the referral service's database)
              refnet agency add ID --kind K --name-en N [--name-ar N] [--name-ckb N] [--region R]
                  [--services a,b] [--languages ar,ckb] [--routing-order N] [--inactive]
              refnet agency update ID [...] [--activate|--deactivate]
                                                 a token or web user names an active agency its role fits
    audit     refnet audit verify [SERVICE...]   check every audit trail's hash chain; names what was edited
              refnet dead-letters list           messages parked after repeated failures
              refnet dead-letters replay ID      send one back to the queue it failed in
    reports   refnet report --from D --to D [--audience public|internal] [--pdf F] [--csv F] [--json F]
              refnet backfill-report-codes       fill the report codes of referrals recorded before them
    privacy   refnet anonymise [--days N]        anonymise referrals that ended more than N days ago
    facilities refnet facility list | add --id F --name N --provider A | rename --id F --name N
              | close --id F                     the shelter providers' facilities (as an administrator)
    demo      refnet seed-demo                   the demo facility, and a token for each demo user
              refnet demo-year [--start D]       an invented first year through the API (demo clock)

Every variable the commands read is in ``refnet.settings``.
"""

import argparse
import sys
import warnings

from services.common.settings import SettingsError

from . import agencies, audit, check, demo, facilities, keys, network, privacy, reports, users

warnings.filterwarnings("ignore", message=r"(?s).*(Eventlet is deprecated|pkg_resources)")

SUBJECTS = (network, check, keys, users, agencies, audit, reports, privacy, facilities, demo)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the command, return its exit code."""
    parser = argparse.ArgumentParser(prog="refnet", description="refnet, the referral network")
    sub = parser.add_subparsers(dest="command", required=True)
    for subject in SUBJECTS:
        subject.add_commands(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except SettingsError as exc:  # a variable with a value it cannot take: say which, stop
        raise SystemExit(f"refnet: {exc}") from None


if __name__ == "__main__":
    sys.exit(main())
