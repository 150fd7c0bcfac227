"""The CSV report never hands a spreadsheet a formula: text cells that begin with = + - @, a tab
or a carriage return are written with a leading quote (gateway/reports/csv_export.py)."""

import csv
import io

import pytest

from gateway.reports.csv_export import to_csv

DANGEROUS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


def _summary(label: str) -> dict:
    return {"period": {"from": "2026-01-01", "to": "2026-01-31"}, "audience": "public",
            "headline": {label: 3}, "measures": [{"name": label, "unit": label, "n": 4}],
            "tables": [{"name": label, "columns": [label], "cells": [[-5]], "row_totals": [-5],
                        "column_totals": [-5], "total": -5, "rows": [label]}]}


@pytest.mark.parametrize("label", DANGEROUS)
def test_a_text_cell_that_starts_a_formula_is_written_as_text(label):
    rows = list(csv.reader(io.StringIO(to_csv(_summary(label)), newline="")))
    cells = [cell for row in rows for cell in row]
    assert label not in cells
    assert "'" + label in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]


def test_numbers_stay_numbers():
    rows = list(csv.reader(io.StringIO(to_csv(_summary("referrals")))))
    assert ["table", "referrals", "referrals", "referrals", "-5"] in rows
    assert ["headline", "", "", "referrals", "3"] in rows
