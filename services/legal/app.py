"""The legal service's use cases (first cut: eligibility for representation)."""

from sqlalchemy import insert, select, update

from services.common.caller import Caller
from services.common.db import Database
from services.common.messaging import first_time
from services.common.timeutil import iso, utcnow
from services.contracts.envelope import UnknownEvent, parse_event

from .domain.eligibility import eligible_on_acceptance
from .tables import eligible, processed_events


def apply_event(db: Database, body: dict) -> bool:
    """Record eligibility on ``referral.accepted`` (with legal consent), once per event."""
    try:
        envelope, payload = parse_event(body)
    except UnknownEvent:
        return False
    if envelope["type"] not in ("referral.accepted", "referral.withdrawn"):
        return False
    with db.write() as s:
        if not first_time(s, processed_events, envelope):
            return False
        ref = payload["reference"]
        known = s.execute(select(eligible.c.reference).where(eligible.c.reference == ref)).first()
        if envelope["type"] == "referral.accepted":
            if eligible_on_acceptance(payload["legal_consent"]) and not known:
                s.execute(insert(eligible).values(reference=ref, status="eligible",
                                                  eligible_since=payload["decided_at"],
                                                  updated_at=utcnow()))
        elif known:
            s.execute(update(eligible).where(eligible.c.reference == ref)
                      .values(status="withdrawn", updated_at=utcnow()))
    return True


def list_eligible(db: Database, caller: Caller) -> list[dict]:
    caller.require("legal")
    with db.read() as s:
        rows = s.execute(select(eligible).where(eligible.c.status == "eligible")
                         .order_by(eligible.c.eligible_since).limit(500)).all()
    return [{"reference": r.reference, "status": r.status, "eligible_since": iso(r.eligible_since)}
            for r in rows]
