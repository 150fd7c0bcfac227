"""Who holds a referral (docs/decisions/0039): the first holder of a submitted referral, a
decline or a refer-on passing it to another provider, the escalation sweep, and the flag to the
admins when no provider is left. Every change of holder is one guarded UPDATE (status received
and the holder it was read with) in the transaction of its offer record and its outbox event."""

import json
import logging
from datetime import datetime

from services.common.db import WriteTransaction

from services.common.db import Database
from services.common.errors import Conflict

from ..domain import routing as rules
from ..domain.routing import Timing
from ..queries import routing as queries
from .common import at, emit

log = logging.getLogger(__name__)


def need_of(row) -> rules.Need:
    """What an incoming referral row asks of a provider."""
    return rules.Need(population_group=row.population_group, beds_needed=row.beds_needed,
                      needs=tuple(json.loads(row.needs or "[]")),
                      service_languages=tuple(json.loads(row.service_languages or "[]")))


def first_offer(s: WriteTransaction, row, requested: str | None, timing: Timing, now: datetime
                ) -> tuple[str, str, datetime]:
    """Give a referral just recorded its first holder: (holder, why, answer due). The caller
    announces it with ``announce_first`` after the receipt."""
    providers = queries.routing_providers(s, timing.default_agency)
    holder, why = rules.first_holder(requested, providers, need_of(row), timing.default_agency)
    due = timing.due(now, row.urgency)
    queries.hold(s, row.reference, holder, now, due)
    queries.add_offer(s, row.reference, holder, why, now)
    return holder, why, due


def announce_first(s: WriteTransaction, reference: str, offer: tuple[str, str, datetime], now: datetime,
                   correlation_id=None) -> None:
    """``shelter.referral_offered`` of a referral's first holder."""
    holder, why, due = offer
    _announce(s, reference, holder, None, why, None, now, due, correlation_id)


def _announce(s: WriteTransaction, reference: str, agency: str, previous: str | None, why: str,
              reason_code: str | None, now: datetime, due: datetime | None,
              correlation_id=None) -> None:
    emit(s, now, "shelter.referral_offered", {
        "reference": reference, "agency": agency, "previous_agency": previous, "why": why,
        "reason_code": reason_code, "offered_at": now, "answer_due_at": due}, correlation_id)


def _flag(s: WriteTransaction, reference: str, previous: str | None, now: datetime,
          correlation_id=None) -> None:
    emit(s, now, "shelter.referral_unplaced", {
        "reference": reference, "previous_agency": previous, "reason": "no_provider_left",
        "flagged_at": now}, correlation_id)
    log.warning("referral %s: no provider left; flagged to the admins", reference)


def flag(s: WriteTransaction, reference: str, previous: str | None, now: datetime,
         correlation_id=None) -> None:
    """Flag a referral no provider is left for to the admins, once."""
    if queries.flag_unplaced(s, reference, now):
        _flag(s, reference, previous, now, correlation_id)


def pass_on_after_decline(s: WriteTransaction, row, holder: str, reason_code: str, timing: Timing,
                          now: datetime, correlation_id=None) -> str | None:
    """The holder declined: offer a referral to the network to the next candidate (why
    ``declined``) and return it, or None when no provider is left or the police addressed the
    referral to the holder (the caller then records the decline)."""
    queries.end_offer(s, row.reference, holder, declined_at=now, reason_code=reason_code)
    if not rules.declined_to_network(queries.offer_reasons(s, row.reference)):
        return None
    offered = queries.offered_to(s, row.reference)
    to = rules.next_provider(queries.routing_providers(s, timing.default_agency),
                             need_of(row), offered)
    if to is None:
        return None
    _move(s, row, holder, to, "declined", reason_code, timing, now, correlation_id)
    return to


def refer_on(s: WriteTransaction, row, holder: str, to, reason, timing: Timing, now: datetime,
             correlation_id=None) -> str:
    """The holder refers the referral on to ``to`` (checked: an active provider other than
    itself, never offered it); ``InvalidInput`` naming ``to`` or ``reason`` otherwise."""
    offered = queries.offered_to(s, row.reference)
    rules.check_refer_on(to, reason, holder, queries.provider(s, to) if isinstance(to, str)
                         else None, offered)
    queries.end_offer(s, row.reference, holder, referred_on_at=now, reason_code=reason)
    _move(s, row, holder, to, "referred_on", reason, timing, now, correlation_id)
    return to


def _move(s: WriteTransaction, row, holder: str, to: str, why: str, reason_code: str | None,
          timing: Timing, now: datetime, correlation_id=None) -> None:
    due = timing.due(now, row.urgency)
    if not queries.pass_on(s, row.reference, holder, to, now, due):
        raise Conflict("the referral was decided or passed on meanwhile", field="reference")
    queries.add_offer(s, row.reference, to, why, now)
    _announce(s, row.reference, to, holder, why, reason_code, now, due, correlation_id)


def escalate(db: Database, timing: Timing, *, now: datetime | None = None,
             limit: int = 100) -> list[str]:
    """Offer every referral whose answer is overdue to the next candidate (why
    ``escalated``), or flag it to the admins when none is left (it stays with its holder, who
    may still answer). Safe with any number of replicas: each step is claimed by a guarded
    UPDATE (still received, still held by the holder read, still overdue; or not yet flagged)
    whose row count is checked, in its own short transaction. Returns the references this call
    escalated or flagged."""
    now = at(now)
    with db.read() as s:
        due = queries.overdue(s, now, limit)
    done = []
    for row in due:
        with db.write() as s:
            offered = queries.offered_to(s, row.reference)
            to = rules.next_provider(queries.routing_providers(s, timing.default_agency),
                                     need_of(row), offered)
            if to is None:
                if not queries.flag_unplaced(s, row.reference, now, holder=row.held_by):
                    continue
                _flag(s, row.reference, row.held_by, now)
            else:
                if not queries.pass_on(s, row.reference, row.held_by, to, now,
                                       timing.due(now, row.urgency), due_before=now):
                    continue  # another replica escalated it, or the holder answered meanwhile
                queries.end_offer(s, row.reference, row.held_by, escalated_at=now)
                queries.add_offer(s, row.reference, to, "escalated", now)
                _announce(s, row.reference, to, row.held_by, "escalated", None, now,
                          timing.due(now, row.urgency))
                log.info("referral %s escalated from %s to %s", row.reference, row.held_by, to)
        done.append(row.reference)
    return done
