"""Statistical disclosure control for published tables (docs/decisions/0024). Pure.

A table is a dict: ``cells`` (R rows x C columns of counts), ``total``, and for a two-way
table ``row_totals`` and ``column_totals`` (a one-way table has one row and only ``total``).
Published values are the cells and the totals; a suppressed one becomes ``None``.

1. Primary: every count from 1 to ``THRESHOLD - 1`` (1..10) is suppressed; 0 is shown.
2. Complementary: until nothing changes,
   * every line (a row with its total, a column with its total, the row of column totals with
     the grand total, the column of row totals with it) that has exactly one suppressed value
     gets a second one: the smallest positive value of the line, an inner cell before a total
     (a zero only when nothing positive is left);
   * (two-way tables) a suppressed value that is a bridge of the graph whose nodes are the
     lines and whose edges are the suppressed values could be worked out from the others, so
     one more value joining the two sides is suppressed.
   Each suppressed value then lies on a cycle of suppressed values; moving one unit around the
   cycle keeps every published total, so the table allows at least two values for it (the
   test suite checks this with linear programming, tests/support/disclosure_audit.py).

Categories are merged before suppressing (``merge_small``): categories under the threshold
go into "other", so fewer cells need suppressing.

Overlapping periods (``suppress_together``): a person can ask for a year, its quarters and its
months, and counts add up over time (a quarter's admissions are its months' admissions), so a
value hidden in one of them and shown in the others could be worked out by subtraction. Values
are named by label (``labels``); whatever adds up over time and is hidden in one period of a
year is hidden in all seventeen where it is not 0, and suppression runs again until nothing
changes. Then each
hidden value of a month lies on a cycle of its table whose values, not 0 there, are not 0 and
hidden in the quarter and year that contain it too: a unit moved around that cycle in all
three keeps every published figure of every period (tests/unit/test_report_suppression.py
audits the seventeen periods together with linear programming).
"""

import copy

THRESHOLD = 11  # CTDC publishes nothing under 11
OTHER = "other"


def is_primary(value) -> bool:
    """A count from 1 to THRESHOLD - 1: suppressed whatever else is published."""
    return value is not None and 0 < value < THRESHOLD


def merge_small(counts: dict[str, int], keep: int = 5, other: str = OTHER) -> dict[str, int]:
    """The categories with at least ``THRESHOLD`` counts (the ``keep`` largest), largest
    first, and everything else summed into ``other`` (present when it is not zero)."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    kept = [(k, v) for k, v in ranked if v >= THRESHOLD and k != other][:keep]
    rest = sum(v for k, v in counts.items() if k not in dict(kept))
    merged = dict(kept)
    if rest:
        merged[other] = rest
    return merged


def _grid(table: dict) -> tuple[list[list[int]], bool]:
    """The table as one grid: cells, a last column of row totals, a last row of column totals
    and the grand total (two-way); cells and the total as one line (one-way)."""
    cells = [list(row) for row in table["cells"]]
    if table.get("column_totals") is None:
        return [cells[0] + [table["total"]]], False
    grid = [row + [total] for row, total in zip(cells, table["row_totals"])]
    grid.append(list(table["column_totals"]) + [table["total"]])
    return grid, True


def _lines(rows: int, cols: int, two_way: bool) -> list[list[tuple[int, int]]]:
    if not two_way:
        return [[(0, j) for j in range(cols)]]
    return ([[(i, j) for j in range(cols)] for i in range(rows)]
            + [[(i, j) for i in range(rows)] for j in range(cols)])


def _pick(grid, candidates, inner) -> tuple[int, int] | None:
    """The candidate to suppress: positive before zero (a suppressed zero can only move up),
    inner cells before totals, smallest first."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (grid[c[0]][c[1]] == 0, not inner(c), grid[c[0]][c[1]], c))


def _bridge_fix(grid, hidden, inner) -> tuple[int, int] | None:
    """A cell to suppress so that a suppressed value that is a bridge lies on a cycle."""
    rows, cols = len(grid), len(grid[0])
    edges = sorted(hidden)
    for cut in edges:
        adjacency: dict[tuple[str, int], set] = {}
        for (i, j) in edges:
            if (i, j) != cut:
                adjacency.setdefault(("r", i), set()).add(("c", j))
                adjacency.setdefault(("c", j), set()).add(("r", i))
        seen, stack = {("r", cut[0])}, [("r", cut[0])]
        while stack:
            for nxt in adjacency.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        if ("c", cut[1]) in seen:
            continue  # on a cycle already
        side_a = seen  # the row end's side; everything else is the column end's side
        candidates = [(i, j) for i in range(rows) for j in range(cols) if (i, j) not in hidden
                      and ((("r", i) in side_a) != (("c", j) in side_a))]
        return _pick(grid, candidates, inner)
    return None


def labels(table: dict) -> dict[tuple[int, int], tuple[str, str]]:
    """Each published value's position in the grid, named (row, column) by label: a total is
    ``total``, the one row of a one-way table ``all``."""
    grid, two_way = _grid(table)
    rows = (list(table.get("rows") or range(len(grid) - 1)) + ["total"]) if two_way else ["all"]
    cols = list(table.get("columns") or range(len(grid[0]) - 1)) + ["total"]
    return {(i, j): (rows[i], cols[j]) for i in range(len(grid)) for j in range(len(grid[0]))}


def hidden_labels(table: dict) -> set[tuple[str, str]]:
    """The (row, column) labels of the values a suppressed table hides."""
    grid, _ = _grid(table)
    return {name for (i, j), name in labels(table).items() if grid[i][j] is None}


def suppress(table: dict, forced: frozenset | set = frozenset()) -> dict:
    """A copy of the table with primary and complementary suppression applied: suppressed
    values are ``None`` and ``suppressed`` counts them. ``forced``: labels (row, column) to hide
    as well unless they are 0, with their own complements (values another period hides)."""
    grid, two_way = _grid(table)
    rows, cols = len(grid), len(grid[0])

    def inner(c):
        return c[1] < cols - 1 and (not two_way or c[0] < rows - 1)

    hidden = {(i, j) for i in range(rows) for j in range(cols) if is_primary(grid[i][j])}
    if forced:  # a zero stays shown: it adds nothing to a quarter or a year
        hidden |= {(i, j) for (i, j), name in labels(table).items()
                   if name in forced and grid[i][j] != 0}
    changed = bool(hidden)
    while changed:
        changed = False
        for line in _lines(rows, cols, two_way):
            if sum(c in hidden for c in line) == 1:
                pick = _pick(grid, [c for c in line if c not in hidden], inner)
                if pick is not None:
                    hidden.add(pick)
                    changed = True
        if not changed and two_way:
            pick = _bridge_fix(grid, hidden, inner)
            if pick is not None:
                hidden.add(pick)
                changed = True
    return _published(table, grid, hidden, two_way)


def adds_up(kind: str):
    """Which values of a table add up over time (a quarter's is its months' added up), by
    ``kind``: ``all`` (events counted when they happened: discharges), ``row_totals`` (rows
    counted when they happened, columns as they stood at the period's end: referrals by source
    and outcome), ``total`` (the grand total only), ``none`` (people served in a period)."""
    return {"all": lambda name: True,
            "row_totals": lambda name: name[1] == "total",
            "total": lambda name: name == ("total", "total") or name == ("all", "total"),
            "none": lambda name: False}[kind]


def suppress_together(periods: list[list[dict]], over_time: list | None = None) -> list[list[dict]]:
    """Suppress the same tables of several overlapping periods (each a list of tables, in the
    same order, named alike) so that a value that adds up over time (``over_time``: per table,
    ``adds_up(kind)``; every value when not given) hidden in one period is hidden in all where
    it is not 0, until nothing changes. Values that do not add up (people served in a period)
    give no subtraction away and are suppressed period by period."""
    count = len(periods[0]) if periods else 0
    over_time = over_time or [adds_up("all")] * count
    forced: list[set] = [set() for _ in range(count)]
    while True:
        done = [[suppress(t, frozenset(forced[k])) for k, t in enumerate(tables)]
                for tables in periods]
        union = [forced[k].union(*({name for name in hidden_labels(tables[k]) if over_time[k](name)}
                                   for tables in done))
                 for k in range(count)]
        if union == forced:
            return done
        forced = union


def primary_only(table: dict) -> dict:
    """The table with primary suppression alone: unsafe, kept to show the audit catches it."""
    grid, two_way = _grid(table)
    hidden = {(i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if is_primary(v)}
    return _published(table, grid, hidden, two_way)


def _published(table: dict, grid, hidden, two_way: bool) -> dict:
    out = copy.deepcopy(table)
    shown = [[None if (i, j) in hidden else v for j, v in enumerate(row)] for i, row in enumerate(grid)]
    if two_way:
        out["cells"] = [row[:-1] for row in shown[:-1]]
        out["row_totals"] = [row[-1] for row in shown[:-1]]
        out["column_totals"] = shown[-1][:-1]
        out["total"] = shown[-1][-1]
    else:
        out["cells"] = [shown[0][:-1]]
        out["total"] = shown[0][-1]
    out["suppressed"] = len(hidden)
    return out
