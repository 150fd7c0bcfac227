"""The survivors' consents to share with a provider, as the referral service announced them."""

from datetime import datetime

from sqlalchemy import and_, insert, select, update
from services.common.db import WriteTransaction

from services.common.timeutil import aware

from ..tables import provider_consents as consents


def record(s: WriteTransaction, reference: str, agency: str, granted: bool, until, changed_at) -> None:
    """Keep a consent change unless a later one is kept already (events may come out of
    order)."""
    changed_at = _when(changed_at)
    row = of(s, reference, agency)
    values = dict(granted=bool(granted), until=_when(until) if until else None,
                  changed_at=changed_at)
    if row is None:
        s.execute(insert(consents).values(reference=reference, agency=agency, **values))
    elif aware(row.changed_at) <= changed_at:
        s.execute(update(consents).where(and_(consents.c.reference == reference,
                                              consents.c.agency == agency)).values(**values))


def of(s: WriteTransaction, reference: str, agency: str):
    """The consent kept for a referral and a provider, or None."""
    return s.execute(select(consents).where(and_(consents.c.reference == reference,
                                                 consents.c.agency == agency))).first()


def _when(value) -> datetime:
    return aware(datetime.fromisoformat(value) if isinstance(value, str) else value)
