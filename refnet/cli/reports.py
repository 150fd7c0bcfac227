"""``refnet report | backfill-report-codes``: a period's summary from the API, as JSON, CSV or a
PDF; and the statistical codes of referrals recorded before there were any.

    refnet report --period 2025 --audience public --pdf report.pdf     (or 2025-Q2, 2025-04)
    refnet report --from ... --to ... --audience internal --csv report.csv
    refnet report --from ... --to ... --json report.json     (--json - prints it)

The public audience gets whole calendar months, quarters or years only (the API answers 422
otherwise); a day range for it is refused here first, naming the option.

It asks ``GET /api/v1/reports/summary`` with a bearer token (``--token``, else
``REFNET_TOKEN``, else one issued for a demo shelter manager when the token secret is at hand:
shelter staff for the internal audience, an analyst for the public one). The PDF is made here,
from the API's JSON; matplotlib is imported only then.
"""

import json
import sys

import requests

from refnet import settings
from services.common.errors import InvalidInput
from services.common.period import check_calendar_period, parse_calendar, parse_period

from .keys import file_cipher


def _token(args, values) -> str | None:
    if args.token or values.token:
        return args.token or values.token
    secret = values.token_secret
    if not secret:
        return None
    from gateway.tokens import issue_token
    if args.audience == "internal":
        return issue_token(secret, user="manager.demo", role="shelter", agency="erbil-shelter", ttl=600)
    return issue_token(secret, user="analyst.demo", role="analyst", agency="refnet-analytics", ttl=600)


def _period_params(args) -> dict:
    """The query's period: ``period``, or ``from`` and ``to`` (whole calendar units for the
    public audience); ``InvalidInput`` naming the option otherwise."""
    if args.period:
        if args.from_ or args.to:
            raise InvalidInput("give --period, or --from and --to, not both", field="period")
        parse_calendar(args.period)
        return {"period": args.period}
    if not (args.from_ and args.to):
        raise InvalidInput("give --period, or --from and --to", field="from" if not args.from_ else "to")
    period = parse_period(args.from_, args.to)
    if args.audience == "public":
        check_calendar_period(period.first_day, period.last_day)
    return {"from": args.from_, "to": args.to}


def cmd_report(args) -> int:
    """Fetch the summary from the API and write it as JSON, CSV and/or PDF."""
    try:
        period = _period_params(args)
    except InvalidInput as exc:
        print(f"refnet report: --{exc.field}: {exc.detail}", file=sys.stderr)
        return 2
    values = settings.load()
    token = _token(args, values)
    if not token:
        print("refnet report: give --token (or REFNET_TOKEN)", file=sys.stderr)
        return 2
    if not (args.pdf or args.csv or args.json):
        args.json = "-"
    url = (args.url or settings.base_url(values)).rstrip("/") + "/api/v1/reports/summary"
    params = {**period, "audience": args.audience}
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.get(url, params=params, headers=headers, timeout=60)
    if response.status_code != 200:
        print(f"refnet report: {response.status_code} {response.text[:500]}", file=sys.stderr)
        return 1
    summary = response.json()
    if args.json:
        text = json.dumps(summary, indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    if args.csv:
        answer = requests.get(url, params={**params, "format": "csv"}, headers=headers, timeout=60)
        answer.raise_for_status()
        with open(args.csv, "w") as f:
            f.write(answer.text)
    if args.pdf:
        from gateway.reports.pdf import write_pdf
        try:
            manifest = write_pdf(summary, args.pdf)
        except ImportError:
            print("refnet report: the PDF needs matplotlib: pip install -c constraints.txt "
                  "'.[reports]' (make install does)", file=sys.stderr)
            return 2
        print(json.dumps({"pdf": args.pdf, **manifest}))
    return 0


def cmd_backfill_report_codes(_args) -> int:
    """Fill the statistical codes of referrals recorded before migration referral/0004."""
    from services.referral import usecases
    from services.common.clock import process_clock
    values = settings.load()
    with settings.service_database(values, "referral") as db:
        count = usecases.backfill_report_codes(db, process_clock(values), file_cipher(values))
    print(f"referral: statistical codes filled for {count} referral(s)")
    return 0


def add_commands(sub) -> None:
    """Register ``refnet report`` and ``refnet backfill-report-codes``."""
    report = sub.add_parser("report", help="a period's figures (JSON, CSV or PDF) from the API")
    report.add_argument("--period", help="a year (2025), a quarter (2025-Q2) or a month (2025-04)")
    report.add_argument("--from", dest="from_", help="first day, YYYY-MM-DD (public: the first "
                        "day of a month, quarter or year)")
    report.add_argument("--to", help="last day, YYYY-MM-DD (inclusive; public: the last day of "
                        "that month, quarter or year)")
    report.add_argument("--audience", choices=["internal", "public"], default="public")
    report.add_argument("--pdf", metavar="FILE")
    report.add_argument("--csv", metavar="FILE")
    report.add_argument("--json", metavar="FILE", help="FILE, or - for standard output")
    report.add_argument("--token", help="bearer token (default REFNET_TOKEN)")
    report.add_argument("--url", help="gateway URL (default http://127.0.0.1:REFNET_PORT)")
    report.set_defaults(func=cmd_report)
    sub.add_parser("backfill-report-codes",
                   help="fill the report codes of referrals recorded before they existed") \
        .set_defaults(func=cmd_backfill_report_codes)
