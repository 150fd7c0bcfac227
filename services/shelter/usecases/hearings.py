"""Residents' hearings and court accompaniment: what the legal service told the shelter."""

from datetime import datetime

from services.common.caller import Caller
from services.common.db import Database

from ..domain import accompaniment as rules
from ..domain.visibility import provider_scope
from ..queries import hearings as queries
from .common import at


def list_hearings(db: Database, caller: Caller, upcoming_only: bool = True, *,
                  now: datetime | None = None) -> list[dict]:
    """Residents' hearings for shelter staff (their own provider's residents), soonest first, with any accompaniment task."""
    caller.require("shelter")
    with db.read() as s:
        rows = queries.listed(s, upcoming_from=at(now) if upcoming_only else None,
                              provider=provider_scope(caller))
    return [rules.hearing_view(r) for r in rows]
