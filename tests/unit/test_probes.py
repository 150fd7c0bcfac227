"""The gateway's /readyz and /metrics on the public port: what they ask the broker is asked at
most once a second per worker, and /metrics can be closed behind REFNET_METRICS_TOKEN."""

import pytest

from gateway import health, metrics, probes
from gateway.probes import Remembered


class CountingConnection:
    """Stands in for kombu.Connection; counts how many were opened."""
    opened = 0

    def __init__(self, *_args, **_kwargs):
        type(self).opened += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ensure_connection(self, **_kwargs):
        return self


@pytest.fixture
def broker(monkeypatch, rpc):
    """The broker's answers counted; the probes' clock stands still, so "many hits within
    the second" does not depend on how fast a loaded machine serves 25 requests."""
    monkeypatch.setattr(Remembered.__init__, "__defaults__", (probes.MAX_AGE, lambda: 0.0))
    CountingConnection.opened = 0
    counted = {"dead_letters": 0}

    def count(_uri):
        counted["dead_letters"] += 1
        return 0
    monkeypatch.setattr(health.kombu, "Connection", CountingConnection)
    monkeypatch.setattr(health.dead_letters, "count", count)
    monkeypatch.setattr(metrics.dead_letters, "count", count)
    return counted


def test_readiness_hit_many_times_asks_the_broker_and_services_once(client, rpc, broker):
    for _ in range(25):
        response = client.get("/readyz")
        assert response.status_code == 200 and response.get_json()["status"] == "ready"
    assert CountingConnection.opened == 1
    assert broker["dead_letters"] == 1
    assert len([c for c in rpc.calls if c[1] == "ping"]) == 4  # one per service, once


def test_metrics_scraped_many_times_asks_the_broker_once(client, broker):
    for _ in range(25):
        page = client.get("/metrics")
        assert page.status_code == 200 and b"refnet_dead_letters 0.0" in page.data
    assert broker["dead_letters"] == 1


def test_a_remembered_answer_is_asked_again_once_a_second_has_passed():
    now, asked = [100.0], []
    remembered = Remembered(lambda: asked.append(now[0]) or len(asked), clock=lambda: now[0])
    assert [remembered.get(), remembered.get()] == [1, 1]
    now[0] += 0.999
    assert remembered.get() == 1
    now[0] += 0.001
    assert remembered.get() == 2 and asked == [100.0, 101.0]


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic bWV0cmljcw==",
                                    "Bearer "])
def test_metrics_behind_a_token_refuse_anyone_else(app, client, broker, header):
    app.config["METRICS_TOKEN"] = "an-invented-metrics-token"
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"refnet_" not in response.data
    assert broker["dead_letters"] == 0


def test_metrics_behind_a_token_answer_the_scraper(app, client, broker):
    app.config["METRICS_TOKEN"] = "an-invented-metrics-token"
    page = client.get("/metrics", headers={"Authorization": "Bearer an-invented-metrics-token"})
    assert page.status_code == 200 and b"refnet_dead_letters" in page.data
