"""The hold warning: a provider is told, once, when a bed hold is about to expire and the person
has not arrived (``REFNET_HOLD_WARNING_MINUTES`` before)."""

import logging
from datetime import datetime

from sqlalchemy import and_, select, update
from services.common.db import WriteTransaction

from services.common.db import Database
from services.common.timeutil import aware, iso

from ..domain import moments
from ..tables import hold_watches
from .common import now_of
from .notifications import make_all

log = logging.getLogger(__name__)


def _due(s: WriteTransaction, now: datetime, limit: int, skip_locked: bool) -> list:
    w = hold_watches.c
    query = (select(w.reference, w.agency, w.expires_at)
             .where(and_(w.warned_at.is_(None), w.closed_at.is_(None), w.warn_at <= now,
                         w.expires_at > now))
             .order_by(w.warn_at, w.reference).limit(limit))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return s.execute(query).all()


def _claim(s: WriteTransaction, reference: str, now: datetime) -> bool:
    """Claim one watch's warning; False when another replica did, or it closed, meanwhile."""
    w = hold_watches.c
    return s.execute(update(hold_watches)
                     .where(and_(w.reference == reference, w.warned_at.is_(None),
                                 w.closed_at.is_(None)))
                     .values(warned_at=now)).rowcount == 1


def warn_expiring_holds(db: Database, values=None, *, clock=None, limit: int = 200) -> list[str]:
    """Make the ``hold_expiring`` notification of every hold due a warning, each once.

    Safe with any number of replicas: each watch is claimed by a conditional UPDATE
    (``warned_at IS NULL``) in the transaction that makes its notification; the loser of a race
    changes nothing (SQLite: BEGIN IMMEDIATE serialises writers; PostgreSQL: watches another
    replica holds are skipped, or seen claimed after the wait). Returns the references warned.
    """
    now = now_of(clock)
    warned = []
    with db.write() as s:
        for row in _due(s, now, limit, skip_locked=not db.sqlite):
            if not _claim(s, row.reference, now):
                continue
            expires_at = aware(row.expires_at)
            event_id = moments.internal_event_id("hold_expiring", row.reference, iso(expires_at))
            make_all(s, moments.hold_expiring(row.reference, row.agency), event_id=event_id,
                     now=now)
            warned.append(row.reference)
    for reference in warned:
        log.info("bed hold of %s ends soon: its provider is warned", reference)
    return warned
