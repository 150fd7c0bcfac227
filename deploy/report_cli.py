"""``refnet report``: a period's summary from the API, as JSON, CSV or a PDF (issue 10).

    refnet report --from 2025-01-01 --to 2025-12-31 --audience public --pdf report.pdf
    refnet report --from ... --to ... --audience internal --csv report.csv
    refnet report --from ... --to ... --json report.json     (--json - prints it)

It asks ``GET /api/v1/reports/summary`` with a bearer token (``--token``, else
``REFNET_TOKEN``, else one issued for a demo shelter manager when the token secret is at hand:
shelter staff for the internal audience, an analyst for the public one). The PDF is made here,
from the API's JSON; matplotlib is imported only then.
"""

import json
import os
import sys

import requests


def _token(args) -> str | None:
    if args.token or os.environ.get("REFNET_TOKEN"):
        return args.token or os.environ["REFNET_TOKEN"]
    secret = os.environ.get("REFNET_TOKEN_SECRET")
    if not secret:
        return None
    from gateway.tokens import issue_token
    if args.audience == "internal":
        return issue_token(secret, user="manager.demo", role="shelter", agency="erbil-shelter", ttl=600)
    return issue_token(secret, user="analyst.demo", role="analyst", agency="refnet-analytics", ttl=600)


def cmd_report(args) -> int:
    """Fetch the summary from the API and write it as JSON, CSV and/or PDF."""
    from . import local
    local.load_env()
    token = _token(args)
    if not token:
        print("refnet report: give --token (or REFNET_TOKEN)", file=sys.stderr)
        return 2
    if not (args.pdf or args.csv or args.json):
        args.json = "-"
    url = (args.url or local.base_url()).rstrip("/") + "/api/v1/reports/summary"
    params = {"from": args.from_, "to": args.to, "audience": args.audience}
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


def add_commands(sub) -> None:
    """Register `refnet report` and `refnet demo-year`."""
    report = sub.add_parser("report", help="a period's figures (JSON, CSV or PDF) from the API")
    report.add_argument("--from", dest="from_", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--to", required=True, help="last day, YYYY-MM-DD (inclusive)")
    report.add_argument("--audience", choices=["internal", "public"], default="public")
    report.add_argument("--pdf", metavar="FILE")
    report.add_argument("--csv", metavar="FILE")
    report.add_argument("--json", metavar="FILE", help="FILE, or - for standard output")
    report.add_argument("--token", help="bearer token (default REFNET_TOKEN)")
    report.add_argument("--url", help="gateway URL (default http://127.0.0.1:REFNET_PORT)")
    report.set_defaults(func=cmd_report)
    demo = sub.add_parser("demo-year", help="drive the API through an invented first year "
                                             "(needs a network started with REFNET_DEMO_CLOCK_FILE)")
    demo.add_argument("--start", help="first day of the year (default: 365 days before today)")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--url", help="gateway URL (default http://127.0.0.1:REFNET_PORT)")
    from .demo_year import cmd_demo_year
    demo.set_defaults(func=cmd_demo_year)
