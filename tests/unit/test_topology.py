"""The broker topology's bindings (services/contracts/topology.py, decision 0059): each service's
queue is bound to exactly the event types its handlers apply, so no event reaches a service
only to be parsed and dropped, and none a service applies is left unbound."""

import importlib
import re

import pytest

from services.common import broker
from services.contracts import topology
from services.contracts.events import EVENT_SCHEMAS

SERVICES = ("referral", "shelter", "legal", "notify")
EVENT_TYPES = {event_type for event_type, _version in EVENT_SCHEMAS}


def handled(service: str) -> set[str]:
    return set(importlib.import_module(f"services.{service}.usecases.events").HANDLERS)


def _matches(key: str, event_type: str) -> bool:
    return re.fullmatch(key.replace(".", r"\.").replace("#", ".*"), event_type) is not None


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_s_queue_is_bound_to_exactly_the_event_types_it_applies(service):
    keys = topology.EVENT_QUEUES[topology.event_queue_for(service)]
    assert len(keys) == len(set(keys))
    assert set(keys) == handled(service)
    assert set(keys) <= EVENT_TYPES  # no key names a type no contract defines
    assert not any("#" in key or "*" in key for key in keys)
    assert not any(key.startswith(f"{service}.") for key in keys)  # nobody hears itself
    assert {b.routing_key for b in broker.event_queue(service).bindings} == set(keys)


def test_every_event_type_reaches_exactly_the_services_that_apply_it():
    for event_type in EVENT_TYPES:
        consumers = {queue for queue, keys in topology.EVENT_QUEUES.items()
                     if any(_matches(key, event_type) for key in keys)}
        applied_by = {topology.event_queue_for(s) for s in SERVICES if event_type in handled(s)}
        assert consumers == applied_by, event_type
        assert topology.consumed(event_type) == bool(applied_by), event_type


def test_a_type_no_service_applies_is_not_consumed_and_is_published_without_mandatory():
    unheard = {t for t in EVENT_TYPES if not topology.consumed(t)}
    # published for whoever binds them later (the relay sends them without ``mandatory``)
    assert {"shelter.capacity_changed", "legal.document_status_changed"} <= unheard
    assert topology.consumed("referral.submitted") and not topology.consumed("nobody.bound")


def test_the_retired_whole_source_bindings_are_the_ones_broker_setup_removes():
    assert set(topology.RETIRED_BINDINGS) == set(topology.EVENT_QUEUES)
    for queue, retired in topology.RETIRED_BINDINGS.items():
        assert all(key.endswith(".#") for key in retired)
        assert not set(retired) & set(topology.EVENT_QUEUES[queue])


def test_the_status_copy_hears_the_referral_service_and_what_it_applies():
    """gateway/statuscopy.py: every referral event, and the other services' events the referral
    service applies (a reference they name is unsettled until it announces the change)."""
    assert topology.STATUS_COPY_KEYS[0] == "referral.#"
    assert set(topology.STATUS_COPY_KEYS[1:]) == handled("referral")
