"""Retention at the shelter: the free text of referrals whose stay ended long ago goes (case
notes, screening results and medical reports erased, goals and the decline and priority reasons
blanked), unless a legal hold stands. Codes, staff ids, dates and counts stay. A discharged stay whose follow-up
still runs is kept; one whose follow-up ended counts from that end. Each referral is claimed with
a guarded update (``anonymised_at`` still empty), so several replicas sweeping at once anonymise it
once, and each anonymisation is an audit entry."""

from datetime import datetime

from sqlalchemy import and_, delete, select, update

from services.common import audit
from services.common.db import Database
from services.common.timeutil import aware

from ..domain import retention as rules
from ..queries import follow_ups as follow_up_queries
from ..queries import legal_matters as legal_queries
from ..tables import (audit_log, care_notes, care_plans, case_data, incoming, interpreter_bookings,
                      placements, screenings)

from .attachments import STORE as ATTACHMENTS

BATCH = 200


def anonymise_ended(db: Database, agency: str, now: datetime, older_than_days: float) -> int:
    """Anonymise the records of referrals whose stay at the shelter ended more than
    ``older_than_days`` before ``now`` and that no legal or court case holds; returns how many.
    Each is audited under the provider of its placement (``agency`` for one never placed)."""
    cutoff = rules.cutoff(now, older_than_days)
    done, last = 0, ""
    while True:
        with db.write() as s:
            rows = s.execute(
                select(incoming.c.reference, incoming.c.status, incoming.c.decided_at,
                       incoming.c.received_at, placements.c.id.label("placement_id"),
                       placements.c.state, placements.c.updated_at, placements.c.provider)
                .select_from(incoming.outerjoin(placements,
                                                placements.c.reference == incoming.c.reference))
                .where(and_(incoming.c.anonymised_at.is_(None), incoming.c.reference > last))
                .order_by(incoming.c.reference).limit(BATCH)).all()
            if not rows:
                return done
            last = rows[-1].reference
            follow_up_ends = follow_up_queries.ended_at_of(
                s, [r.placement_id for r in rows if r.state == "discharged"])
            for r in rows:
                placement = None if r.placement_id is None else {"state": r.state,
                                                                 "updated_at": aware(r.updated_at)}
                follow_up = None
                if r.placement_id in follow_up_ends:
                    follow_up = {"ended_at": aware(follow_up_ends[r.placement_id])}
                end = rules.ended_at({"status": r.status, "decided_at": r.decided_at,
                                      "received_at": r.received_at}, placement, follow_up)
                if end is None or aware(end) >= cutoff:
                    continue
                if rules.legal_hold(legal_queries.of_reference(s, r.reference)):
                    continue
                if _anonymise(s, r.reference, r.placement_id, now):
                    audit.append(s, audit_log, actor="system:retention", role="system",
                                 agency=r.provider or agency, action="referral.anonymise",
                                 object=f"referral:{r.reference}", outcome="ok", now=now)
                    done += 1


def _anonymise(s, reference: str, placement_id: int | None, now: datetime) -> bool:
    claimed = s.execute(update(incoming).where(and_(incoming.c.reference == reference,
                                                    incoming.c.anonymised_at.is_(None)))
                        .values(decision_reason=None, anonymised_at=now)).rowcount
    if not claimed:
        return False  # another replica did it
    if placement_id is None:
        return True
    s.execute(update(placements).where(placements.c.id == placement_id)
              .values(priority_reason=None))
    plan_ids = select(care_plans.c.id).where(care_plans.c.admission_id == placement_id)
    s.execute(delete(care_notes).where(care_notes.c.plan_id.in_(plan_ids)))
    s.execute(delete(screenings).where(screenings.c.plan_id.in_(plan_ids)))
    s.execute(delete(interpreter_bookings).where(interpreter_bookings.c.plan_id.in_(plan_ids)))
    s.execute(delete(case_data).where(case_data.c.plan_id.in_(plan_ids)))
    ATTACHMENTS.erase(s, plan_ids)  # the medical reports
    s.execute(update(care_plans).where(care_plans.c.admission_id == placement_id)
              .values(goals=None, languages=None, interpreter_needed=None))
    return True
