"""Routing a referral among the network's shelter providers (docs/decisions/0039). No I/O.

Exactly one provider holds a referral at a time. A referral addressed to a provider is held by
it; a referral to the network is offered to the best candidate:

* a *candidate* is an active shelter provider that was never offered this referral (a provider
  is offered a referral at most once);
* a candidate *fits* when (1) one of its facilities has beds of the referral's population group,
  (2) it offers every service the referral needs (``needs`` codes among its ``services``) and
  (3) it speaks one of the languages the survivor must be served in (any, when none is asked);
* candidates are ranked: fitting with enough beds free in one facility first, then fitting
  without free beds (it may waitlist), then partial fits by how many of the three tests they
  pass; within a rank, in the admin's routing order (providers without an order after every
  ordered one), then by agency id. So when nobody fits, the next best by order is offered.

The holder may accept, decline (a referral to the network is offered to the next candidate,
why ``declined``; an addressed one ends, ``declined_to_network``) or refer it on to a named
provider (why ``referred_on``); unanswered past its due time it is offered to the
next candidate (why ``escalated``). With no candidate left a decline ends the referral and it
is flagged to the admins (``shelter.referral_unplaced``); an escalation with no candidate left
flags it and leaves it with its holder, who may still answer.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common.errors import InvalidInput
from services.contracts.vocabulary import REFER_ON_REASONS

ESCALATING_URGENCIES = ("urgent", "emergency")  # answered within the urgent time, else routine
REFER_ON = "refer_on"


@dataclass(frozen=True)
class Provider:
    """A shelter provider as routing sees it: the directory's data and its facilities' beds."""
    agency: str
    active: bool = True
    services: tuple = ()
    spoken_languages: tuple = ()
    routing_order: int | None = None
    # population group -> the most beds free in one of its facilities (a group it has beds of)
    free_by_group: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Need:
    """What a referral asks of a provider."""
    population_group: str
    beds_needed: int
    needs: tuple = ()
    service_languages: tuple = ()


@dataclass(frozen=True)
class Timing:
    """How long a holder has to answer before the sweep escalates, and the network's default
    provider (``REFNET_SHELTER_AGENCY``: it holds what no known provider can)."""
    default_agency: str = "erbil-shelter"
    urgent: timedelta = timedelta(minutes=60)
    routine: timedelta = timedelta(minutes=240)

    def due(self, offered_at: datetime, urgency: str) -> datetime:
        return answer_due(offered_at, urgency, self.urgent, self.routine)


def tests_passed(provider: Provider, need: Need) -> tuple[bool, bool, bool, bool]:
    """(has the group, offers the services, speaks a language, has enough beds free)."""
    has_group = need.population_group in provider.free_by_group
    offers = set(need.needs) <= set(provider.services)
    speaks = not need.service_languages or bool(
        set(need.service_languages) & set(provider.spoken_languages))
    free = provider.free_by_group.get(need.population_group, 0) >= need.beds_needed
    return has_group, offers, speaks, free


def fits(provider: Provider, need: Need) -> bool:
    """The provider has the group, the services and a language (beds free or not)."""
    return all(tests_passed(provider, need)[:3])


def rank(provider: Provider, need: Need) -> tuple:
    """Sort key: the lower, the sooner the provider is offered the referral."""
    has_group, offers, speaks, free = tests_passed(provider, need)
    if has_group and offers and speaks:
        tier = 0 if free else 1
    else:
        tier = 2 + (3 - (has_group + offers + speaks))
    order = provider.routing_order
    return (tier, order is None, order if order is not None else 0, provider.agency)


def candidates(providers: list[Provider], need: Need, offered: set[str]) -> list[Provider]:
    """The active providers never offered this referral, best first."""
    return sorted((p for p in providers if p.active and p.agency not in offered),
                  key=lambda p: rank(p, need))


def next_provider(providers: list[Provider], need: Need, offered: set[str]) -> str | None:
    """The agency to offer the referral to next, or None when no provider is left."""
    ranked = candidates(providers, need, offered)
    return ranked[0].agency if ranked else None


def first_holder(requested: str | None, providers: list[Provider], need: Need,
                 default: str) -> tuple[str, str]:
    """Who holds a referral just submitted, and why: the provider it was addressed to
    (``addressed``), else the best candidate (``routed``); with no active provider known, the
    network's default provider (``REFNET_SHELTER_AGENCY``, the one provider there was)."""
    if requested:
        return requested, "addressed"
    return next_provider(providers, need, set()) or default, "routed"


def answer_due(offered_at: datetime, urgency: str, urgent: timedelta,
               routine: timedelta) -> datetime:
    """When the holder's answer is due: ``urgent`` for urgent and emergency referrals."""
    return offered_at + (urgent if urgency in ESCALATING_URGENCIES else routine)


def check_refer_on(to, reason, holder: str, provider: Provider | None,
                   offered: set[str] = frozenset()) -> None:
    """A holder refers a referral on to another active shelter provider never offered it
    before, with a code of ``REFER_ON_REASONS``. ``provider`` is ``to`` in the shelter's copy of
    the providers (None: unknown or not a shelter provider)."""
    if reason not in REFER_ON_REASONS:
        raise InvalidInput(f"must be one of {', '.join(REFER_ON_REASONS)}", field="reason")
    if not isinstance(to, str) or not to:
        raise InvalidInput("name the provider to refer the referral on to", field="to")
    if to == holder:
        raise InvalidInput("a provider cannot refer a referral on to itself", field="to")
    if provider is None:
        raise InvalidInput(f"{to} is not a shelter provider of the network", field="to")
    if not provider.active:
        raise InvalidInput(f"{to} is not active", field="to")
    if to in offered:
        raise InvalidInput(f"{to} was offered this referral before", field="to")


def declined_to_network(offer_reasons) -> bool:
    """Whether a decline passes the referral on to the next provider: only a referral to the
    network. One the police addressed to a provider ends with that provider's decline (the
    police see it and may address it again); it is not flagged to the admins either. Escalation
    is not a decline: an unanswered addressed referral still moves on, as time matters more
    than the address. ``offer_reasons``: the ``why`` of each offer of the referral so far."""
    return "addressed" not in set(offer_reasons)

