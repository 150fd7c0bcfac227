"""The legal and court cases the legal service announced for a referral (the legal hold)."""

from datetime import datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from ..tables import legal_matters


def record(s: Session, reference: str, matter_id: str, kind: str, is_open: bool,
           now: datetime) -> None:
    """Record a matter opened or closed; a closed one stays closed (events may arrive in any
    order, and closed is final for legal and court cases alike)."""
    known = s.execute(select(legal_matters.c.open).where(legal_matters.c.matter_id == matter_id)
                      .with_for_update()).first()
    if known is None:
        s.execute(insert(legal_matters).values(matter_id=matter_id, reference=reference, kind=kind,
                                               open=is_open, updated_at=now))
    elif known.open and not is_open:
        s.execute(update(legal_matters).where(and_(legal_matters.c.matter_id == matter_id,
                                                   legal_matters.c.open.is_(True)))
                  .values(open=False, updated_at=now))


def of_reference(s: Session, reference: str) -> list[dict]:
    """Every matter of a referral, as the hold rule reads them."""
    return [dict(r._mapping) for r in s.execute(
        select(legal_matters.c.matter_id, legal_matters.c.open)
        .where(legal_matters.c.reference == reference))]
