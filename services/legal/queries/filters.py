"""A domain visibility rule (services/legal/domain/conditions.py) as an SQL filter.

The rule is the same object an in-memory check evaluates, so the two agree by construction.
"""

from typing import Mapping

from sqlalchemy import Table, and_, false, or_, select, true
from services.common.db import WriteTransaction
from sqlalchemy.sql.elements import ColumnElement

from ..domain.conditions import Condition, Equals, IsTrue, NotEnded, NotFalse, Rule

MAX_ROWS = 500  # the longest list one read returns


def condition_clause(condition: Condition, column) -> ColumnElement:
    """One condition on ``column``, with the meaning ``conditions.condition_holds`` gives it."""
    if isinstance(condition, Equals):
        return false() if condition.value is None else column == condition.value
    if isinstance(condition, IsTrue):
        return column.is_(True)
    if isinstance(condition, NotFalse):
        return or_(column.is_(None), column.is_(True))
    if isinstance(condition, NotEnded):
        return or_(column.is_(None), column > condition.now)
    raise TypeError(f"not a condition: {condition!r}")


def rule_clause(rule: Rule | None, columns: Mapping[str, object]) -> ColumnElement:
    """Every condition of ``rule`` on the columns named by its fields; nothing for ``None``."""
    if rule is None:
        return false()
    if not rule:
        return true()
    return and_(*(condition_clause(c, columns[c.field]) for c in rule))


def row_by_id(s: WriteTransaction, table: Table, object_id: str):
    """One row of ``table`` by its ``id`` (None if there is none)."""
    return s.execute(select(table).where(table.c.id == object_id)).first()
