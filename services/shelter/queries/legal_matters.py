"""The legal and court cases the legal service announced for a referral (the legal hold)."""

from datetime import datetime

from sqlalchemy import and_, insert, select, update
from services.common.db import WriteTransaction

from ..domain import retention as rules
from ..tables import legal_matters


def record(s: WriteTransaction, reference: str, matter_id: str, kind: str, is_open: bool,
           at: datetime) -> None:
    """Record a matter opened, closed or reopened as the legal service announced it at ``at``
    (kept in ``updated_at``); events may arrive in any order, ``rules.matter_changes`` decides
    whether this one replaces what is known."""
    known = s.execute(select(legal_matters.c.open, legal_matters.c.updated_at)
                      .where(legal_matters.c.matter_id == matter_id).with_for_update()).first()
    if known is None:
        s.execute(insert(legal_matters).values(matter_id=matter_id, reference=reference, kind=kind,
                                               open=is_open, updated_at=at))
    elif rules.matter_changes(kind, known.open, known.updated_at, is_open, at):
        s.execute(update(legal_matters).where(and_(legal_matters.c.matter_id == matter_id,
                                                   legal_matters.c.open.is_(known.open)))
                  .values(open=is_open, updated_at=at))


def of_reference(s: WriteTransaction, reference: str) -> list[dict]:
    """Every matter of a referral, as the hold rule reads them."""
    return [dict(r._mapping) for r in s.execute(
        select(legal_matters.c.matter_id, legal_matters.c.open)
        .where(legal_matters.c.reference == reference))]
