"""Suppression: primary and complementary, checked by the linear-programming audit
that solves, for each suppressed value, the range the published table allows."""

import random

import pytest

from gateway.reports.suppression import THRESHOLD, merge_small, primary_only, suppress
from tests.support.disclosure_audit import joint_pinned, pinned_cells, suppressed_ranges

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
