"""The summary as CSV: one line per published value. Pure.

Columns: ``section, table, row, column, value``. A suppressed value is written as ``x`` (the
CTDC convention), so a spreadsheet never reads it as 0. Headline figures and measures come
first, then every table cell and total.

A text cell that begins with ``= + - @``, a tab or a carriage return is written with a leading
``'``: a spreadsheet would otherwise run it as a formula (CSV injection, OWASP). Numbers are
written as they are, so a negative figure stays a number. Lines end in CRLF (RFC 4180): a
carriage return inside a cell is then quoted and never splits a line.
"""

import csv
import io

SUPPRESSED = "x"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """A text cell a spreadsheet reads as text, never as a formula; anything else unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _value(v):
    return SUPPRESSED if v is None else v


class _SafeWriter:
    """``csv.writer`` whose every cell goes through ``neutralise``."""

    def __init__(self, out):
        self._w = csv.writer(out)  # lines end in CRLF (RFC 4180), so a cell's CR is quoted

    def writerow(self, row):
        self._w.writerow([neutralise(cell) for cell in row])


def to_csv(summary: dict) -> str:
    """The summary as CSV text (a header line, then one line per value)."""
    out = io.StringIO()
    w = _SafeWriter(out)
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
