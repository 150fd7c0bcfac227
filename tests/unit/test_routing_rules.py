"""Routing rules (services/shelter/domain/routing.py): who is offered a referral next, when its
answer is due, and what a refer-on may name. No I/O."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import InvalidInput
from services.shelter.domain import routing as rules
from services.shelter.domain.routing import Need, Provider, Timing

NEED = Need(population_group="women", beds_needed=2, needs=("shelter", "legal"),
            service_languages=("ar",))
FULL = dict(services=("shelter", "legal", "medical"), spoken_languages=("ar", "ku"))


def test_a_fitting_provider_with_beds_free_comes_first_then_the_routing_order():
    providers = [
        Provider("no-beds", routing_order=1, free_by_group={"women": 0}, **FULL),
        Provider("beds", routing_order=3, free_by_group={"women": 2}, **FULL),
        Provider("beds-too", routing_order=2, free_by_group={"women": 5}, **FULL),
        Provider("unordered", routing_order=None, free_by_group={"women": 9}, **FULL),
    ]
    assert [p.agency for p in rules.candidates(providers, NEED, set())] == [
        "beds-too", "beds", "unordered", "no-beds"]


def test_partial_fits_come_after_every_fit_by_tests_passed_then_order():
    providers = [
        Provider("wrong-group", routing_order=1, free_by_group={"men": 4}, **FULL),
        Provider("no-language", routing_order=2, free_by_group={"women": 4},
                 services=FULL["services"], spoken_languages=("en",)),
        Provider("nothing", routing_order=0),
        Provider("fits", routing_order=9, free_by_group={"women": 0}, **FULL),
    ]
    assert [p.agency for p in rules.candidates(providers, NEED, set())] == [
        "fits", "wrong-group", "no-language", "nothing"]
    assert rules.fits(providers[3], NEED) and not rules.fits(providers[1], NEED)


def test_inactive_and_already_offered_providers_are_never_offered():
    providers = [Provider("a", routing_order=1, free_by_group={"women": 3}, **FULL),
                 Provider("b", routing_order=2, active=False, free_by_group={"women": 3}, **FULL),
                 Provider("c", routing_order=3, **FULL)]
    assert rules.next_provider(providers, NEED, set()) == "a"
    assert rules.next_provider(providers, NEED, {"a"}) == "c"
    assert rules.next_provider(providers, NEED, {"a", "c"}) is None


def test_no_language_asked_fits_any_speaker():
    need = Need("women", 1, ("shelter",), ())
    assert rules.fits(Provider("x", services=("shelter",), free_by_group={"women": 0}), need)


def test_first_holder_addressed_routed_or_the_default_provider():
    providers = [Provider("a", routing_order=1, free_by_group={"women": 3}, **FULL)]
    assert rules.first_holder("b", providers, NEED, "default") == ("b", "addressed")
    assert rules.first_holder(None, providers, NEED, "default") == ("a", "routed")
    assert rules.first_holder(None, [], NEED, "default") == ("default", "routed")


def test_answer_due_urgent_and_emergency_sooner_than_routine():
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    timing = Timing("d", urgent=timedelta(minutes=60), routine=timedelta(minutes=240))
    assert timing.due(t0, "emergency") == timing.due(t0, "urgent") == t0 + timedelta(hours=1)
    assert timing.due(t0, "routine") == t0 + timedelta(hours=4)


@pytest.mark.parametrize("to, reason, provider, offered, field", [
    ("b", "nonsense", Provider("b"), set(), "reason"),
    ("", "language", None, set(), "to"),
    ("a", "language", Provider("a"), set(), "to"),            # itself
    ("police", "language", None, set(), "to"),                # unknown or no provider
    ("b", "language", Provider("b", active=False), set(), "to"),
    ("b", "language", Provider("b"), {"b"}, "to"),            # offered before
])
def test_a_refer_on_names_another_active_provider_with_a_code(to, reason, provider, offered,
                                                               field):
    with pytest.raises(InvalidInput) as info:
        rules.check_refer_on(to, reason, "a", provider, offered)
    assert info.value.field == field


def test_a_good_refer_on_passes():
    rules.check_refer_on("b", "closer_to_family", "a", Provider("b"), {"a"})


def test_a_decline_passes_on_only_a_referral_to_the_network():
    """The police addressed it: the provider's decline ends it (no next provider, no flag to
    the admins); to the network: the next provider is offered it."""
    assert rules.declined_to_network(["routed"])
    assert rules.declined_to_network(["routed", "declined", "escalated"])
    assert not rules.declined_to_network(["addressed"])
    assert not rules.declined_to_network(["addressed", "escalated"])
