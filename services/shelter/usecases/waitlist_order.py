"""The waitlist: accepted referrals no bed was free for, in the order beds are offered."""

from datetime import datetime

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import NotFound
from services.contracts.references import is_reference
from services.contracts.vocabulary import POPULATION_GROUPS

from ..domain import beds as bed_rules
from ..domain import placement as rules
from ..domain.visibility import provider_scope
from ..queries import placements as queries
from .common import at


def waitlist(db: Database, caller: Caller, population_group: str | None = None) -> list[dict]:
    """The caller's provider's waitlist in the order beds are offered (per group), with each
    entry's position."""
    caller.require("shelter")
    if population_group is not None:
        bed_rules.check_group(population_group)
    with db.read() as s:
        rows = {r.reference: r for r in queries.waitlisted(s, population_group,
                                                            provider_scope(caller))}
    out = []
    for group in POPULATION_GROUPS:
        entries = [queries.entry(r) for r in rows.values() if r.population_group == group]
        for position, entry in enumerate(rules.ordered(entries), start=1):
            out.append(queries.waitlist_view(rows[entry.reference], group, position))
    return out


def reorder_waitlist(db: Database, caller: Caller, reference: str, priority: int, reason: str, *,
                     now: datetime | None = None) -> dict:
    """Move a waitlisted referral up (priority > 0) or down (< 0), with a recorded reason."""
    caller.require("shelter")
    rules.check_priority(priority, reason)
    if not is_reference(reference):
        raise NotFound("no such waitlisted referral", field="reference")
    with db.write() as s:
        if not queries.prioritise(s, reference, priority, reason, caller.user, at(now),
                                  provider_scope(caller)):
            raise NotFound(f"{reference} is not on the waitlist", field="reference")
    return next(e for e in waitlist(db, caller) if e["reference"] == reference)
