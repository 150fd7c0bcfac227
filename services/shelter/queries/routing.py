"""Routing's storage: the shelter's copy of the providers, the offers of each referral, and
who holds an incoming referral (docs/decisions/0039)."""

import json
from datetime import datetime

from sqlalchemy import and_, bindparam, func, select, update

from services.common.db import WriteTransaction, insert_into

from ..domain import routing as rules
from ..domain.intake import UNDECIDED
from ..tables import beds, facilities, incoming, providers, referral_offers
from .beds import free


# built once: routing runs them for every referral received
_PROVIDERS = select(providers)
_FREE_BY_PROVIDER = (select(beds.c.population_group, facilities.c.provider,
                            func.max(free()).label("free"))
                     .select_from(beds.join(facilities, facilities.c.id == beds.c.facility_id))
                     .where(and_(beds.c.capacity > 0, facilities.c.closed_at.is_(None)))
                     .group_by(beds.c.population_group, facilities.c.provider))
_HOLD = (update(incoming).where(incoming.c.reference == bindparam("b_ref"))
         .values(held_by=bindparam("b_holder"), offered_at=bindparam("b_now"),
                 answer_due_at=bindparam("b_due")))


def provider_rows(s: WriteTransaction) -> list:
    """Every provider of the shelter's copy."""
    return s.execute(_PROVIDERS).all()


def free_by_provider(s: WriteTransaction, default: str) -> dict[str, dict[str, int]]:
    """provider -> population group -> the most beds free in one of its open facilities."""
    rows = s.execute(_FREE_BY_PROVIDER).all()
    found: dict[str, dict[str, int]] = {}
    for r in rows:
        group = found.setdefault(r.provider or default, {})
        group[r.population_group] = max(group.get(r.population_group, 0), r.free or 0, 0)
    return found


def routing_providers(s: WriteTransaction, default: str) -> list[rules.Provider]:
    """The providers as routing sees them, with their facilities' free beds."""
    free_beds = free_by_provider(s, default)
    return [rules.Provider(agency=r.agency, active=r.active,
                           services=tuple(json.loads(r.services or "[]")),
                           spoken_languages=tuple(json.loads(r.spoken_languages or "[]")),
                           routing_order=r.routing_order,
                           free_by_group=free_beds.get(r.agency, {}))
            for r in provider_rows(s)]


def provider(s: WriteTransaction, agency: str) -> rules.Provider | None:
    """One provider of the copy (without beds), or None."""
    r = s.execute(select(providers).where(providers.c.agency == agency)).first()
    if r is None:
        return None
    return rules.Provider(agency=r.agency, active=r.active, routing_order=r.routing_order)


def record_provider(s: WriteTransaction, p: dict, now: datetime) -> None:
    """Keep the copy of one agency of the directory: a shelter provider is stored (inserted
    or updated), any other kind removed (an agency whose kind changed is no provider)."""
    if p["kind"] != "shelter_provider":
        s.execute(providers.delete().where(providers.c.agency == p["agency"]))
        return
    values = {"active": p["active"], "region": p.get("region") or "",
              "services": json.dumps(list(p.get("services") or [])),
              "spoken_languages": json.dumps(list(p.get("spoken_languages") or [])),
              "routing_order": p.get("routing_order"), "updated_at": now}
    if s.execute(update(providers).where(providers.c.agency == p["agency"])
                 .values(**values)).rowcount == 0:
        s.execute(insert_into(providers), {"agency": p["agency"], **values})


def offered_to(s: WriteTransaction, reference: str) -> set[str]:
    """Every provider a referral was offered to."""
    return set(s.execute(select(referral_offers.c.agency)
                         .where(referral_offers.c.reference == reference)).scalars().all())


def offer_reasons(s: WriteTransaction, reference: str) -> list[str]:
    """Why the referral was offered, offer by offer (``addressed``, ``routed``...)."""
    return list(s.execute(select(referral_offers.c.why)
                          .where(referral_offers.c.reference == reference)
                          .order_by(referral_offers.c.id)).scalars().all())


def add_offer(s: WriteTransaction, reference: str, agency: str, why: str, now: datetime) -> None:
    """Record an offer (the unique key refuses a second offer to the same provider)."""
    s.execute(insert_into(referral_offers), {"reference": reference, "agency": agency, "why": why,
                                             "offered_at": now})


def end_offer(s: WriteTransaction, reference: str, agency: str, **values) -> None:
    """How the offer to ``agency`` ended: answered_at, declined_at, referred_on_at or
    escalated_at, with a reason code."""
    s.execute(update(referral_offers).where(and_(referral_offers.c.reference == reference,
                                                 referral_offers.c.agency == agency))
              .values(**values))


def hold(s: WriteTransaction, reference: str, holder: str, now: datetime, due: datetime) -> None:
    """A referral just recorded gets its first holder."""
    s.execute(_HOLD, {"b_ref": reference, "b_holder": holder, "b_now": now, "b_due": due})


def pass_on(s: WriteTransaction, reference: str, holder: str, to: str, now: datetime,
            due: datetime | None, *, due_before: datetime | None = None) -> bool:
    """Move a referral still ``received`` and held by ``holder`` to ``to``: a guarded UPDATE
    whose row count says whether this call made the move (``due_before``: only when its answer
    was due by then, the escalation sweep's claim, and still received, not screening). A flag to the admins ends: it has a holder
    again, whose answer is due in turn."""
    # the escalation sweep passes on only what is still received: a holder that started
    # screening has answered
    statuses = UNDECIDED if due_before is None else ("received",)
    condition = [incoming.c.reference == reference, incoming.c.status.in_(statuses),
                 incoming.c.held_by == holder]
    if due_before is not None:
        condition.append(incoming.c.answer_due_at <= due_before)
    # a referral the previous holder was screening reaches the next one received: its
    # screening was the previous holder's
    return s.execute(update(incoming).where(and_(*condition))
                     .values(held_by=to, offered_at=now, answer_due_at=due, status="received",
                             unplaced_at=None)).rowcount == 1


def flag_unplaced(s: WriteTransaction, reference: str, now: datetime, *,
                  holder: str | None = None) -> bool:
    """Flag a referral to the admins once (guarded: not flagged before; ``holder``: still held
    by it and received, the escalation sweep's claim)."""
    condition = [incoming.c.reference == reference, incoming.c.unplaced_at.is_(None)]
    if holder is not None:
        condition += [incoming.c.held_by == holder, incoming.c.status == "received"]
    return s.execute(update(incoming).where(and_(*condition))
                     .values(unplaced_at=now)).rowcount == 1


def overdue(s: WriteTransaction, now: datetime, limit: int) -> list:
    """Received referrals whose answer is due, not flagged unplaced, oldest due first."""
    return s.execute(select(incoming).where(and_(
        incoming.c.status == "received", incoming.c.answer_due_at <= now,
        incoming.c.unplaced_at.is_(None))).order_by(incoming.c.answer_due_at)
        .limit(limit)).all()
