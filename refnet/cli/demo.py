"""``refnet seed-demo | demo-year``: the invented demo data (refnet.demo)."""

import sys
from datetime import date, timedelta

from refnet import settings
from refnet.demo import data, seed

from . import failure


def seed_demo(values) -> dict:
    """Seed the demo data if the network is empty (refnet.demo.seed), issue the demo users'
    tokens, and read back what the network holds: what :func:`show` prints."""
    from gateway.accounts import AccountStore
    folder = settings.var()
    client = seed.shelter_client(values.amqp_uri, values.caller_signing_key)
    try:
        # the directory first: every demo user's agency must be in it for their tokens to work
        seed.seed_agencies(client)
        empty = seed.is_empty(client)
        # the people first: should the facility fail, the next `make up` still sees an empty
        # network and completes what is missing
        people = seed.seed_web_users(AccountStore(values.gateway_database_url),
                                     folder / "demo-web-users.json", create=empty)
        if empty:
            seed.seed_facility(client)
        beds = seed.beds_by_facility(client)
    finally:
        client.close()
    tokens = seed.issue_tokens(values.token_secret, folder / "demo-tokens.json")
    return {"seeded": empty, "beds": beds, "tokens": tokens, "people": people}


def show(values, seeded: dict) -> None:
    """Where to go: the URL, the facilities' beds, the demo tokens and people."""
    url = settings.base_url(values)
    print(f"\nrefnet is up: {url}")
    print(f"  API document: {url}/api/v1/openapi.json     readiness: {url}/readyz")
    print("  demo data seeded into this empty network:" if seeded["seeded"] else
          "  the network holds data already: nothing seeded, every figure kept as stored:")
    for facility, groups in seeded["beds"].items():
        print(f"    facility '{facility}': {sum(groups.values())} beds "
              f"({', '.join(f'{g} {n}' for g, n in groups.items())})")
    print("\nDemo users (invented) and their bearer tokens, valid 12 hours (also in var/demo-tokens.json):")
    for user in data.USERS:
        print(f"  {user['role']:8} {user['user']:14} {user['agency']:22} {seeded['tokens'][user['user']]}")
    if seeded["people"]:
        print(f"\nWeb pages: {url}/ (sign in; English, Arabic or Kurdish). Demo people, invented "
              "passwords (also in var/demo-web-users.json):")
    for person in seeded["people"]:
        print(f"  web {person['role']:8} {person['username']:14} "
              f"{person['password'] or '(' + person['state'] + ')'}")
    print(f"\nNotifications: {url}/inbox (every page's header shows the unread count), each "
          f"person's channels at {url}/inbox/preferences; email and SMS are off until "
          "REFNET_SMTP_HOST or REFNET_SMS_WEBHOOK_URL is set (README.md, Configuration).")
    police = seeded["tokens"]["officer.demo"]
    print("\nTry it:\n"
          f"  curl -s {url}/api/v1/shelters/availability -H 'Authorization: Bearer {police[:12]}...'\n"
          "  (see README.md, 'A first referral', for the whole walk-through)\n"
          "`make down` stops the network.")


def cmd_seed_demo(_args=None) -> int:
    """Seed the demo data into an empty network (a network with a facility is left as it is),
    print each demo user's token and the web pages' demo people."""
    values = settings.load()
    if not values.caller_signing_key:
        print("refnet seed-demo: REFNET_CALLER_SIGNING_KEY is not set; run `refnet init-secrets` "
              "first", file=sys.stderr)
        return 2
    try:
        with failure.step("seeding the demo data", "check that the network runs (`refnet status`; "
                          "`make up` starts it), then try again"):
            seeded = seed_demo(values)
    except failure.StepFailed as failed:
        print(f"refnet seed-demo: {failed}", file=sys.stderr)
        return 1
    show(values, seeded)
    return 0


def cmd_demo_year(args) -> int:
    """Drive the API through an invented first year; needs the token secret and the demo clock."""
    import requests

    from refnet.demo import year, year_plan
    values = settings.load()
    if not values.token_secret:
        print("refnet demo-year: REFNET_TOKEN_SECRET is not set", file=sys.stderr)
        return 2
    if not values.demo_clock_file:
        print("refnet demo-year: the network must run on a demo clock: start it with "
              "REFNET_DEMO_CLOCK_FILE=var/demo-clock (e.g. `REFNET_DEMO_CLOCK_FILE=$PWD/var/demo-clock "
              "make up`), on a fresh network", file=sys.stderr)
        return 2
    if not values.caller_signing_key:
        print("refnet demo-year: REFNET_CALLER_SIGNING_KEY is not set; run `refnet init-secrets` "
              "first", file=sys.stderr)
        return 2
    first_day = (date.fromisoformat(args.start) if args.start
                 else date.today() - timedelta(days=year_plan.YEAR_DAYS))
    if first_day + timedelta(days=year_plan.YEAR_DAYS) > date.today():
        print("refnet demo-year: the year must end before today", file=sys.stderr)
        return 2
    try:
        # every agency the year's tokens name must be in the directory (the referral sources,
        # the shelter, the legal aid, the administrator): registered as `make up` does
        client = seed.shelter_client(values.amqp_uri, values.caller_signing_key)
        try:
            seed.seed_agencies(client)
        finally:
            client.close()
        year.run(args.url or settings.base_url(values), values.token_secret, values.demo_clock_file,
                 first_day, seed=args.seed)
    except (year.DemoError, requests.RequestException) as exc:
        print(f"refnet demo-year: {exc}", file=sys.stderr)
        return 1
    return 0


def add_commands(sub) -> None:
    """Register ``refnet seed-demo`` and ``refnet demo-year``."""
    sub.add_parser("seed-demo", help="seed the demo data into an empty network and print demo tokens") \
        .set_defaults(func=cmd_seed_demo)
    demo = sub.add_parser("demo-year", help="drive the API through an invented first year "
                                             "(needs a network started with REFNET_DEMO_CLOCK_FILE)")
    demo.add_argument("--start", help="first day of the year (default: 365 days before today)")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--url", help="gateway URL (default http://127.0.0.1:REFNET_PORT)")
    demo.set_defaults(func=cmd_demo_year)
