"""The gateway's short-lived copy of bed availability (gateway/availability.py, decision 0026)."""

import json

import pytest

from gateway.availability import AvailabilityCache
from gateway.generations import LocalGeneration


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Shelter:
    """Counts how often the shelter service is asked, and answers what it holds now."""

    def __init__(self):
        self.calls, self.free = 0, 5

    def availability(self):
        self.calls += 1
        return [{"facility": "f", "population_group": "women", "available": self.free}]


@pytest.fixture
def parts():
    return AvailabilityCache(1.0, LocalGeneration(), clock=Clock()), Shelter()


def test_a_copy_younger_than_max_age_is_reused(parts):
    cache, shelter = parts
    first, as_of = cache.get(shelter.availability)
    cache.clock.now += 0.9
    again, again_as_of = cache.get(shelter.availability)
    assert shelter.calls == 1 and again == first and again_as_of == as_of


def test_an_older_copy_is_read_again(parts):
    cache, shelter = parts
    cache.get(shelter.availability)
    shelter.free = 4
    cache.clock.now += 1.0
    rows, _ = cache.get(shelter.availability)
    assert shelter.calls == 2 and rows[0]["available"] == 4


def test_a_change_through_the_gateway_is_seen_by_the_next_read(parts):
    cache, shelter = parts
    cache.get(shelter.availability)
    shelter.free = 3
    cache.invalidate()
    rows, _ = cache.get(shelter.availability)
    assert shelter.calls == 2 and rows[0]["available"] == 3


def test_another_workers_change_is_seen_through_the_shared_generation(parts):
    cache, shelter = parts
    other_worker = AvailabilityCache(1.0, cache.generation, clock=cache.clock)
    cache.get(shelter.availability)
    shelter.free = 2
    other_worker.invalidate()  # the admission went through the other worker
    rows, _ = cache.get(shelter.availability)
    assert rows[0]["available"] == 2


def test_max_age_zero_always_asks_the_service():
    shelter = Shelter()
    cache = AvailabilityCache(0, LocalGeneration(), clock=Clock())
    cache.get(shelter.availability)
    cache.get(shelter.availability)
    assert shelter.calls == 2


def test_a_failed_read_leaves_no_copy(parts):
    cache, shelter = parts

    def broken():
        raise TimeoutError("shelter service did not answer")

    with pytest.raises(TimeoutError):
        cache.get(broken)
    cache.get(shelter.availability)
    assert shelter.calls == 1


def test_bed_changing_endpoints_drop_the_copy(client, rpc, auth):
    rpc.responses[("shelter", "availability")] = [{"facility": "f", "available": 5}]
    assert client.get("/api/v1/shelters/availability", headers=auth("police")).get_json()["facilities"][0]["available"] == 5
    rpc.responses[("shelter", "availability")] = [{"facility": "f", "available": 4}]
    assert client.get("/api/v1/shelters/availability", headers=auth("police")).get_json()["facilities"][0]["available"] == 5
    rpc.responses[("shelter", "set_capacity")] = {"facility": "f", "population_group": "women", "capacity": 4}
    response = client.put("/api/v1/shelters/f/capacity", headers=auth("shelter"),
                          json={"population_group": "women", "capacity": 4})
    assert response.status_code == 200, response.get_json()
    assert client.get("/api/v1/shelters/availability", headers=auth("police")).get_json()["facilities"][0]["available"] == 4


def test_a_failed_bump_does_not_fail_the_change_that_caused_it(parts, caplog):
    """The service already committed the bed change; the person must not see an error."""
    cache, shelter = parts

    class Broken:
        def current(self):
            return 0

        def bump(self):
            raise OSError("gateway database unavailable")

    cache.generation = Broken()
    cache.get(shelter.availability)
    cache.invalidate()
    cache.get(shelter.availability)
    assert shelter.calls == 2  # this worker's own copy was still dropped
    assert "not told of a bed change" in caplog.text


def test_the_answer_of_one_copy_is_encoded_once_and_a_new_copy_gets_a_new_answer(parts):
    cache, shelter = parts
    encodings = []

    def render(obj):
        encodings.append(obj)
        return json.dumps(obj, sort_keys=True).encode()

    first = cache.answer(shelter.availability)
    cache.clock.now += 0.5
    again = cache.answer(shelter.availability)
    assert again is first
    assert first.encoded(render) == again.encoded(render) == json.dumps(first, sort_keys=True).encode()
    assert len(encodings) == 1
    shelter.free = 1
    cache.invalidate()  # a bed changed: a new copy, so a new answer with its own encoding
    changed = cache.answer(shelter.availability)
    assert changed is not first and changed["facilities"][0]["available"] == 1
    assert json.loads(changed.encoded(render))["facilities"][0]["available"] == 1
    assert len(encodings) == 2


def test_the_api_serves_the_kept_answer_as_jsonify_would(client, auth):
    """The availability endpoint's bytes are the app's own JSON encoding of the answer."""
    from gateway.kept import KeptAnswer
    first = client.get("/api/v1/shelters/availability", headers=auth("police"))
    second = client.get("/api/v1/shelters/availability", headers=auth("police"))
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/json" and first.data == second.data
    with client.application.app_context():
        expected = client.application.json.response(dict(first.json)).get_data()
    assert first.data == expected
    kept = client.application.extensions["refnet.availability"].answer(
        lambda: pytest.fail("the copy is fresh: the service is not asked"))
    assert isinstance(kept, KeptAnswer) and kept == first.json
