"""``refnet facility``: the facilities of the network's shelter providers, as an administrator
(docs/decisions/0038). The same shelter-service calls as the API's ``/shelters/facilities``:

    refnet facility list
    refnet facility add --id F --name N --provider AGENCY [--manager USER]
                                                            a facility of that shelter provider
    refnet facility rename --id F --name N
    refnet facility manager --id F --manager USER           its manager (a user id, told of
                                                            overdue milestones; "" for none)
    refnet facility close --id F                            refused while anyone lives there or
                                                            is expected (beds occupied or held)

The calls go to the running network over the broker, signed with the gateway's
``REFNET_CALLER_SIGNING_KEY`` as the administrator ``refnet-cli`` (like ``refnet seed-demo``).
"""

import sys

from refnet import settings

OPERATOR = {"user": "refnet-cli", "role": "admin", "agency": "refnet-admin"}


def _call(method: str, **kwargs):
    from refnet.demo.seed import shelter_client
    values = settings.load()
    if not values.caller_signing_key:
        raise ValueError("REFNET_CALLER_SIGNING_KEY is not set; run `refnet init-secrets` first")
    client = shelter_client(values.amqp_uri, values.caller_signing_key)
    try:
        return client.call("shelter", method, caller=OPERATOR, **kwargs)
    finally:
        client.close()


def _line(f: dict) -> str:
    return f"{f['facility']}\t{f['provider']}\t{f['status']}\t{f.get('manager') or '-'}\t{f['name']}"


def cmd_facility(args) -> int:
    """List, add, rename, name the manager of, or close a facility."""
    try:
        if args.action == "list":
            for facility in _call("list_facilities"):
                print(_line(facility))
            return 0
        if not args.id:
            raise ValueError("give --id")
        if args.action == "add":
            if not args.name or not args.provider:
                raise ValueError("give --name and --provider")
            print(_line(_call("register_facility", facility=args.id, name=args.name,
                              provider=args.provider, manager=args.manager or None)))
        elif args.action == "rename":
            if not args.name:
                raise ValueError("give --name")
            print(_line(_call("rename_facility", facility=args.id, name=args.name)))
        elif args.action == "manager":
            if args.manager is None:
                raise ValueError("give --manager (\"\" for none)")
            print(_line(_call("set_facility_manager", facility=args.id,
                              manager=args.manager or None)))
        elif args.action == "close":
            print(_line(_call("close_facility", facility=args.id)))
    except Exception as exc:  # a refusal of the shelter service names its field; say it, exit 2
        detail = getattr(exc, "value", None) or str(exc)
        print(f"refnet facility {args.action}: {detail}", file=sys.stderr)
        return 2
    return 0


def add_commands(sub) -> None:
    """Register ``refnet facility``."""
    facility = sub.add_parser("facility", help="the shelter providers' facilities")
    facility.add_argument("action", choices=["list", "add", "rename", "manager", "close"])
    facility.add_argument("--id", help="the facility id: letters, digits and dashes")
    facility.add_argument("--name", help="its name (1 to 200 characters)")
    facility.add_argument("--provider", help="the shelter provider's agency id (add)")
    facility.add_argument("--manager", help="the facility manager's user id (add, manager)")
    facility.set_defaults(func=cmd_facility)
