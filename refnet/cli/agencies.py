"""``refnet agency list | add | update``: the agency directory (the referral service's,
docs/decisions/0037), and the check ``refnet issue-token`` and ``refnet user create`` make of
the agency they name.

    refnet agency list [--kind K] [--active | --inactive]
    refnet agency add ID --kind K --name-en N [--name-ar N] [--name-ckb N] [--region R]
                      [--services a,b] [--languages ar,ckb] [--routing-order N] [--inactive]
    refnet agency update ID [--name-en N] [--name-ar N] [--name-ckb N] [--region R]
                      [--services a,b] [--languages ar,ckb] [--routing-order N|none]
                      [--activate | --deactivate]

Reads and writes the referral service's database by URL (``REFERRAL_DATABASE_URL``), as
``refnet anonymise`` does, so it works with the network stopped or running; each registration
and change writes its ``referral.agency_changed`` event to the service's outbox in the same
transaction, which the running service publishes. Gateways see a change within seconds (their
copy of the directory is short-lived).
"""

import getpass
import sys

from refnet import settings
from services.contracts.vocabulary import AGENCY_KINDS, ROLES

CLI_AGENCY = "refnet-cli"


def _operator():
    from services.common.caller import Caller
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Caller(user=f"cli.{user}"[:100], role="admin", agency=CLI_AGENCY)


def identity_problem(values, role: str, agency: str) -> str | None:
    """Why a token or web user of ``role`` may not name ``agency`` (None when it may): the
    directory must hold it, active, of a kind the role fits (``ROLE_AGENCY_KINDS``)."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.referral.domain.directory import identity_problem as rule
    from services.referral.usecases.directory import find_agency
    if role not in ROLES:
        return None  # the role's own check names it
    try:
        with settings.service_database(values, "referral") as db, db.read() as conn:
            entry = find_agency(conn, agency)
    except SQLAlchemyError as exc:
        return (f"the agency directory cannot be read ({type(exc).__name__}); run `refnet "
                "migrate` and check REFERRAL_DATABASE_URL")
    problem = rule(role, entry)
    return f"agency {agency}: {problem}" if problem else None


def _names(args) -> dict:
    return {lang: value for lang, value in (("en", args.name_en), ("ar", args.name_ar),
                                            ("ckb", args.name_ckb)) if value is not None}


def _codes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [c.strip() for c in text.split(",") if c.strip()]


def _order(text: str | None):
    if text is None or text.lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError("--routing-order is a whole number, or none") from None


def _show(entry: dict) -> str:
    state = "active" if entry["active"] else "inactive"
    order = "" if entry.get("routing_order") is None else f"\torder {entry['routing_order']}"
    return (f"{entry['id']}\t{entry['kind']}\t{state}\t{entry.get('region') or '-'}\t"
            f"{entry['names'].get('en', '')}{order}")


def cmd_agency(args) -> int:
    """List, register or change agencies of the directory."""
    from services.common.clock import process_clock
    from services.common.errors import ServiceError
    from services.referral import usecases
    values = settings.load()
    try:
        with settings.service_database(values, "referral") as db:
            caller = _operator()
            if args.action == "list":
                active = True if args.active else False if args.inactive else None
                for entry in usecases.list_agencies(db, caller, kind=args.kind, active=active):
                    print(_show(entry))
                return 0
            if not args.id:
                raise ValueError("give the agency id")
            if args.action == "add":
                entry = usecases.register_agency(
                    db, process_clock(values), caller, args.id, args.kind, _names(args),
                    region=args.region, services=_codes(args.services) or [],
                    languages=_codes(args.languages) or [],
                    routing_order=_order(args.routing_order), active=not args.inactive)
                print(f"agency {entry['id']} registered ({entry['kind']})")
                return 0
            changes = {}
            if _names(args):
                changes["names"] = _names(args)
            for name in ("region", "services", "languages"):
                value = getattr(args, name)
                if value is not None:
                    changes[name] = value if name == "region" else _codes(value)
            if args.routing_order is not None:
                changes["routing_order"] = _order(args.routing_order)
            if args.activate or args.deactivate:
                changes["active"] = bool(args.activate)
            entry = usecases.update_agency(db, process_clock(values), caller, args.id, changes)
            print(_show(entry))
            return 0
    except ServiceError as exc:
        print(f"refnet agency {args.action}: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"refnet agency {args.action}: {exc}", file=sys.stderr)
        return 2


def add_commands(sub) -> None:
    """Register ``refnet agency``."""
    agency = sub.add_parser("agency", help="the agency directory: list, add, update")
    agency.add_argument("action", choices=["list", "add", "update"])
    agency.add_argument("id", nargs="?", help="the agency id (add, update)")
    agency.add_argument("--kind", help=", ".join(AGENCY_KINDS))
    agency.add_argument("--name-en")
    agency.add_argument("--name-ar")
    agency.add_argument("--name-ckb")
    agency.add_argument("--region")
    agency.add_argument("--services", help="comma-separated codes")
    agency.add_argument("--languages", help="comma-separated ISO 639 codes")
    agency.add_argument("--routing-order", help="a whole number, or none")
    state = agency.add_mutually_exclusive_group()
    state.add_argument("--active", action="store_true", help="list: active agencies only")
    state.add_argument("--inactive", action="store_true",
                       help="list: inactive agencies only; add: registered inactive")
    state.add_argument("--activate", action="store_true", help="update: make it active")
    state.add_argument("--deactivate", action="store_true",
                       help="update: make it inactive (its tokens and web users are refused)")
    agency.set_defaults(func=cmd_agency)
