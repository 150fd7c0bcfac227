"""The disclosure audit of a published table (tests only; scipy is a test extra).

For each suppressed value, minimise and maximise it with ``scipy.optimize.linprog`` subject to
what the table publishes: every suppressed value is a non-negative number, each row adds up to
its total, each column to its total, and the totals to the grand total. The constraint matrix
of a table with margins is totally unimodular, so the optimal vertices are whole numbers: the
range found is the range of counts the table allows. A range of one value is a disclosure.
``joint_ranges`` solves several tables together, with the values they share linked, and with
values that add up to another (``sums``: a quarter's count is its months' counts added up).
``calendar_sums`` writes those sums for the tables of a year, its quarters and its months: what
a person who asks for all seventeen calendar periods knows.
"""

import numpy as np
from scipy.optimize import linprog


def _grid(table):
    if table.get("column_totals") is None:
        return [list(table["cells"][0]) + [table["total"]]], False
    grid = [list(r) + [t] for r, t in zip(table["cells"], table["row_totals"])]
    grid.append(list(table["column_totals"]) + [table["total"]])
    return grid, True


def _equations(rows, cols, two_way):
    """Each equation as a list of (cell, coefficient): the inner cells of a line minus its total."""
    if not two_way:
        return [[((0, j), 1) for j in range(cols - 1)] + [((0, cols - 1), -1)]]
    eqs = []
    for i in range(rows):
        eqs.append([((i, j), 1) for j in range(cols - 1)] + [((i, cols - 1), -1)])
    for j in range(cols):
        eqs.append([((i, j), 1) for i in range(rows - 1)] + [((rows - 1, j), -1)])
    return eqs


def suppressed_ranges(table) -> dict[tuple[int, int], tuple[float, float]]:
    """Per table (see ``joint_ranges`` for several tables that share values)."""
    return {cell: r for (_, cell), r in joint_ranges({"t": table}).items()}


def joint_ranges(tables: dict, links=(), sums=()) -> dict:
    """``{(table name, (row, column)): (min, max)}`` of every suppressed value of several
    published tables, solved together: ``links`` are pairs ``((name, cell), (name, cell))`` of
    values that count the same people (a grand total repeated, women in two tables), so a
    value published in one table fills in the other's; ``sums`` are pairs ``((name, cell),
    [(name, cell), ...])`` of a value and the values that add up to it."""
    grids = {name: _grid(t) for name, t in tables.items()}
    unknown = [(name, (i, j)) for name, (grid, _) in grids.items()
               for i in range(len(grid)) for j in range(len(grid[0])) if grid[i][j] is None]
    if not unknown:
        return {}
    index = {key: k for k, key in enumerate(unknown)}
    rows_eq = []
    for name, (grid, two_way) in grids.items():
        for eq in _equations(len(grid), len(grid[0]), two_way):
            rows_eq.append([((name, cell), k) for cell, k in eq])
    for a, b in links:
        rows_eq.append([(a, 1), (b, -1)])
    for whole, parts in sums:
        rows_eq.append([(whole, 1)] + [(part, -1) for part in parts])
    a_eq, b_eq = [], []
    for eq in rows_eq:
        coefficients, constant = np.zeros(len(unknown)), 0.0
        for (name, cell), k in eq:
            if (name, cell) in index:
                coefficients[index[(name, cell)]] += k
            else:
                constant += k * grids[name][0][cell[0]][cell[1]]
        if coefficients.any():
            a_eq.append(coefficients)
            b_eq.append(-constant)
    ranges = {}
    for key, k in index.items():
        objective = np.zeros(len(unknown))
        objective[k] = 1
        found = []
        for sign in (1, -1):
            result = linprog(sign * objective, A_eq=np.array(a_eq) if a_eq else None,
                             b_eq=np.array(b_eq) if b_eq else None,
                             bounds=[(0, None)] * len(unknown), method="highs")
            if result.status == 3:      # unbounded: no total limits it
                found.append(float("inf") if sign == -1 else 0.0)
            else:
                assert result.status == 0, result.message
                found.append(sign * result.fun)
        ranges[key] = (found[0], found[1])
    return ranges


def joint_pinned(tables: dict, links=(), sums=()) -> list:
    """The suppressed values that the tables together pin to one value."""
    return [key for key, (low, high) in joint_ranges(tables, links, sums).items()
            if high - low < 0.5]


def _named(table) -> dict:
    """Each grid position of a published table by its (row, column) labels."""
    grid, two_way = _grid(table)
    rows = (list(table.get("rows") or []) + ["total"]) if two_way else ["all"]
    cols = list(table.get("columns") or []) + ["total"]
    return {(rows[i], cols[j]): (i, j) for i in range(len(grid)) for j in range(len(grid[0]))}


def calendar_sums(tables: dict) -> list:
    """The sums a year's calendar periods obey, for tables of counts that add up over time
    (admissions, discharges: an event counted in the period it happened). ``tables`` is keyed
    ``(period, name)`` with period ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``: each quarter is its
    three months, the year its four quarters, value by value (matched by row and column
    label; a label a part lacks counts 0 there)."""
    years = {p for p, _ in tables if len(p) == 4}
    out = []
    for (period, name), table in tables.items():
        if period in years:
            parts = [f"{period}-Q{q}" for q in range(1, 5)]
        elif "-Q" in period:
            q = int(period[-1])
            parts = [f"{period[:4]}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
        else:
            continue
        part_cells = [((p, name), _named(tables[(p, name)])) for p in parts if (p, name) in tables]
        for label, cell in _named(table).items():
            out.append((((period, name), cell),
                        [(key, named[label]) for key, named in part_cells if label in named]))
    return out


def pinned_cells(table) -> list[tuple[int, int]]:
    """The suppressed values the published table pins to one value."""
    return [cell for cell, (low, high) in suppressed_ranges(table).items() if high - low < 0.5]
