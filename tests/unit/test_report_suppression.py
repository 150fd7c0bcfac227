"""Suppression: primary and complementary, checked by the linear-programming audit
that solves, for each suppressed value, the range the published table allows."""

import random

import pytest

from gateway.reports.suppression import (THRESHOLD, merge_small, primary_only, suppress,
                                         suppress_together)
from tests.support.disclosure_audit import (calendar_sums, joint_pinned, pinned_cells,
                                           suppressed_ranges)

SEX_AGE = {"cells": [[54, 1], [13, 2]], "row_totals": [55, 15], "column_totals": [67, 3],
           "total": 70}


def _two_way(cells):
    return {"cells": cells, "row_totals": [sum(r) for r in cells],
            "column_totals": [sum(c) for c in zip(*cells)], "total": sum(map(sum, cells))}


def _published_counts(t):
    values = [v for row in t["cells"] for v in row] + [t["total"]]
    return values + (t.get("row_totals") or []) + (t.get("column_totals") or [])


def test_primary_only_is_caught_by_the_audit():
    # 1 girl and 2 boys hidden, but 55 - 54 gives the girl away: the audit must say so
    unsafe = primary_only(SEX_AGE)
    assert unsafe["cells"] == [[54, None], [13, None]]
    assert (0, 1) in pinned_cells(unsafe) and (1, 1) in pinned_cells(unsafe)


def test_complementary_suppression_leaves_every_hidden_value_a_range():
    safe = suppress(SEX_AGE)
    assert safe["cells"][0][1] is None and safe["cells"][1][1] is None
    assert safe["total"] == 70
    assert pinned_cells(safe) == []
    for low, high in suppressed_ranges(safe).values():
        assert high - low >= 1  # at least two whole numbers


def test_one_way_table_gets_a_complement():
    t = {"cells": [[22, 12, 3, 33]], "total": 70, "row_totals": None, "column_totals": None}
    safe = suppress(t)
    assert safe["cells"][0][2] is None
    assert sum(v is None for v in safe["cells"][0]) == 2  # 3 and the smallest other (12)
    assert safe["cells"][0][1] is None and pinned_cells(safe) == []
    assert pinned_cells(primary_only(t)) == [(0, 2)]


def test_zero_is_shown_and_large_counts_stay():
    t = _two_way([[0, 40], [25, 30]])
    assert suppress(t) == {**t, "suppressed": 0}


@pytest.mark.parametrize("seed", range(5))
def test_random_tables_never_leave_a_pinned_or_small_value(seed):
    rng = random.Random(seed)
    for _ in range(120):
        rows, cols = rng.randint(1, 5), rng.randint(2, 6)
        cells = [[rng.choice([0, 0, 1, 2, 3, 5, 8, 10, 11, 12, 20, 30, 55]) for _ in range(cols)]
                 for _ in range(rows)]
        if rows == 1 and rng.random() < 0.5:
            table = {"cells": cells, "total": sum(cells[0]), "row_totals": None, "column_totals": None}
        else:
            table = _two_way(cells)
        safe = suppress(table)
        assert not [v for v in _published_counts(safe) if v is not None and 0 < v < THRESHOLD]
        assert pinned_cells(safe) == [], (table, safe)


def test_small_categories_merge_into_other():
    counts = {"ET": 22, "BD": 12, "PH": 8, "SY": 7, "NP": 5, "ID": 1}
    assert merge_small(counts) == {"ET": 22, "BD": 12, "other": 21}
    assert merge_small({"ET": 30}) == {"ET": 30}
    assert list(merge_small({c: 11 + i for i, c in enumerate("ABCDEFG")})) == ["G", "F", "E", "D", "C", "other"]


def test_the_joint_audit_catches_a_leak_between_two_tables_each_safe_alone():
    # people served by sex and age band, suppressed safely on its own ...
    sex_age = suppress(SEX_AGE)
    assert pinned_cells(sex_age) == []
    # ... and admissions by population group (women = adult females), safe on its own too
    groups = suppress({"cells": [[54, 13, 3]], "total": 70, "row_totals": None, "column_totals": None})
    assert groups["cells"] == [[54, None, None]] and pinned_cells(groups) == []
    # together: 55 women and girls - 54 women = 1 girl
    links = [(("sex_age", (0, 0)), ("groups", (0, 0))),     # women
             (("sex_age", (2, 2)), ("groups", (0, 3)))]     # the grand total
    assert ("sex_age", (0, 1)) in joint_pinned({"sex_age": sex_age, "groups": groups}, links)
    # which is why the public summary has no admissions-by-group table
    assert joint_pinned({"sex_age": sex_age}) == []


# --- overlapping calendar periods: a year, its quarters and its months asked for together ---------

QUARTERS = {q: [f"2025-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)] for q in range(1, 5)}


def _one_way(cells, columns):
    return {"cells": [list(cells)], "total": sum(cells), "rows": [], "columns": list(columns),
            "row_totals": None, "column_totals": None}


def _labelled(cells, rows, columns):
    return {**_two_way(cells), "rows": list(rows), "columns": list(columns)}


def _added(tables):
    """Tables of the same shape added value by value (a quarter from its months)."""
    first = tables[0]
    cells = [[sum(t["cells"][i][j] for t in tables) for j in range(len(first["cells"][0]))]
             for i in range(len(first["cells"]))]
    if first["column_totals"] is None:
        return _one_way(cells[0], first["columns"])
    return _labelled(cells, first["rows"], first["columns"])


def _calendar(months: dict) -> dict:
    """{period: table} for a year from its twelve months' exact tables (counts that add up
    over time, such as discharges by outcome)."""
    out = dict(months)
    for q, names in QUARTERS.items():
        out[f"2025-Q{q}"] = _added([months[m] for m in names])
    out["2025"] = _added([out[f"2025-Q{q}"] for q in range(1, 5)])
    return out


def _audit(published: dict) -> list:
    tables = {(period, "t"): t for period, t in published.items()}
    return joint_pinned(tables, sums=calendar_sums(tables))


OUTCOMES = ["repatriated", "reintegrated", "transferred"]


def test_each_period_suppressed_alone_is_given_away_by_its_quarter():
    # January hides 5 repatriated (and 12 reintegrated, its complement); February, March and
    # the first quarter publish every value: 16 - 11 - 0 = 5
    months = {f"2025-{m:02d}": _one_way([0, 0, 0], OUTCOMES) for m in range(1, 13)}
    months["2025-01"] = _one_way([5, 12, 20], OUTCOMES)
    months["2025-02"] = _one_way([11, 0, 30], OUTCOMES)
    exact = _calendar(months)
    alone = {period: suppress(t) for period, t in exact.items()}
    assert alone["2025-01"]["cells"] == [[None, None, 20]] and alone["2025-Q1"]["suppressed"] == 0
    assert pinned_cells(alone["2025-01"]) == []                # safe on its own ...
    assert (("2025-01", "t"), (0, 0)) in _audit(alone)         # ... not beside its quarter
    periods = list(exact)
    together = dict(zip(periods, (ts[0] for ts in suppress_together([[exact[p]] for p in periods]))))
    assert together["2025-Q1"]["cells"][0][:2] == [None, None]
    assert _audit(together) == []


@pytest.mark.parametrize("seed", range(3))
def test_a_year_its_quarters_and_months_together_pin_no_hidden_value(seed):
    rng = random.Random(seed)
    small = [0, 0, 0, 1, 2, 3, 4, 6, 9, 12, 15, 25]
    sources = ["directorate", "erbil", "other"]
    months = {f"2025-{m:02d}": (_labelled([[rng.choice(small) for _ in OUTCOMES] for _ in sources],
                                          sources, OUTCOMES),
                                _one_way([rng.choice(small) for _ in OUTCOMES], OUTCOMES))
              for m in range(1, 13)}
    exact = {name: _calendar({p: tables[k] for p, tables in months.items()})
             for k, name in enumerate(("two_way", "one_way"))}
    periods = list(exact["two_way"])
    alone = {name: {p: suppress(t) for p, t in by_period.items()} for name, by_period in exact.items()}
    together = suppress_together([[exact["two_way"][p], exact["one_way"][p]] for p in periods])
    for k, name in enumerate(("two_way", "one_way")):
        published = {p: tables[k] for p, tables in zip(periods, together)}
        assert _audit(published) == [], (seed, name)
        for t in published.values():
            assert not [v for v in _published_counts(t) if v is not None and 0 < v < THRESHOLD]
    # the same year suppressed period by period leaks somewhere (what the public got before)
    assert _audit(alone["two_way"]) or _audit(alone["one_way"]), seed
