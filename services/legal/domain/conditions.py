"""Visibility rules written once, as data. No I/O.

A rule is a tuple of conditions on the fields of a record (a hearing with its referral's
consent, a court case, an eligible referral); every condition must hold. ``holds`` checks a
rule in memory; services/legal/queries/filters.py turns the same rule into an SQL filter, so a
query and an in-memory check can never disagree. ``None`` in place of a rule means "nothing".
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Union

from services.common.timeutil import aware


@dataclass(frozen=True)
class Equals:
    """The field holds this known value (an unknown value, on either side, never matches)."""
    field: str
    value: object


@dataclass(frozen=True)
class IsTrue:
    """The field is true (unknown is not)."""
    field: str


@dataclass(frozen=True)
class NotFalse:
    """The field is not false: true, or unknown (a choice never recorded stands as given)."""
    field: str


@dataclass(frozen=True)
class NotEnded:
    """The field is an end time still ahead of ``now``, or unset (no end)."""
    field: str
    now: datetime


Condition = Union[Equals, IsTrue, NotFalse, NotEnded]
Rule = tuple[Condition, ...]


def condition_holds(condition: Condition, record: Mapping) -> bool:
    """Whether one condition holds for ``record`` (a missing field counts as unknown)."""
    value = record.get(condition.field)
    if isinstance(condition, Equals):
        return value is not None and condition.value is not None and value == condition.value
    if isinstance(condition, IsTrue):
        return value is True
    if isinstance(condition, NotFalse):
        return value is not False
    if isinstance(condition, NotEnded):
        return value is None or aware(value) > aware(condition.now)
    raise TypeError(f"not a condition: {condition!r}")


def holds(rule: Rule | None, record: Mapping) -> bool:
    """Whether every condition of ``rule`` holds for ``record``; never for no rule (``None``)."""
    return rule is not None and all(condition_holds(c, record) for c in rule)
