"""The summary as CSV: one line per published value. Pure.

Columns: ``section, table, row, column, value``. A suppressed value is written as ``x`` (the
CTDC convention), so a spreadsheet never reads it as 0. Headline figures and measures come
first, then every table cell and total.
"""

import csv
import io

SUPPRESSED = "x"


def _value(v):
    return SUPPRESSED if v is None else v


def to_csv(summary: dict) -> str:
    """The summary as CSV text (a header line, then one line per value)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "table", "row", "column", "value"])
    period = summary["period"]
    w.writerow(["period", "", "", "from", period["from"]])
    w.writerow(["period", "", "", "to", period["to"]])
    w.writerow(["period", "", "", "audience", summary["audience"]])
    for key, value in summary["headline"].items():
        w.writerow(["headline", "", "", key, _value(value)])
    for m in summary["measures"]:
        for key in ("n", "value", "q1", "median", "q3"):
            if key in m:
                w.writerow(["measure", m["name"], m["unit"], key, _value(m[key])])
    for t in summary["tables"]:
        rows = t["rows"] if t["column_totals"] is not None else ["all"]
        for i, row in enumerate(rows):
            for j, column in enumerate(t["columns"]):
                w.writerow(["table", t["name"], row, column, _value(t["cells"][i][j])])
            if t["row_totals"] is not None:
                w.writerow(["table", t["name"], row, "total", _value(t["row_totals"][i])])
        if t["column_totals"] is not None:
            for j, column in enumerate(t["columns"]):
                w.writerow(["table", t["name"], "total", column, _value(t["column_totals"][j])])
        w.writerow(["table", t["name"], "total", "total", _value(t["total"])])
    return out.getvalue()
