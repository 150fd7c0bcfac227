"""The copy of public report figures in a gateway worker (gateway/reportcopy.py): one snapshot
per scope and year, for ``max_age`` seconds; internal reports are never kept."""

from gateway.reportcopy import ReportCopy
from tests.unit.test_report_gateway import URL, services  # noqa: F401 - the fixture

PUBLIC = {"period": "2025-04"}


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_snapshot_is_kept_for_max_age_then_fetched_again():
    clock, fetched = Clock(), []
    copy = ReportCopy(300, clock=clock)

    def fetch():
        fetched.append(clock.now)
        return len(fetched)
    assert copy.get(("analyst", "a", 2025), fetch) == 1
    clock.now += 299
    assert copy.get(("analyst", "a", 2025), fetch) == 1
    clock.now += 2
    assert copy.get(("analyst", "a", 2025), fetch) == 2
    assert copy.get(("shelter", "erbil-shelter", 2025), fetch) == 3   # another scope: its own


def test_max_age_zero_asks_every_time_and_the_oldest_snapshot_goes_first():
    calls = []
    off = ReportCopy(0)
    off.get("k", lambda: calls.append(1))
    off.get("k", lambda: calls.append(1))
    assert len(calls) == 2
    clock = Clock()
    small = ReportCopy(60, entries=2, clock=clock)
    for key in ("a", "b", "c"):
        clock.now += 1
        small.get(key, lambda key=key: key)
    assert set(small._kept) == {"b", "c"}


def test_public_reports_of_one_scope_ask_the_services_once_per_max_age(app, client, auth, services):
    app.extensions["refnet.reportcopy"] = ReportCopy(300)
    first = client.get(URL, query_string=PUBLIC, headers=auth("analyst"))
    assert first.status_code == 200
    assert len(services.calls) == 51    # 17 periods x 3 services
    again = client.get(URL, query_string={"period": "2025-Q3"}, headers=auth("analyst"))
    assert again.status_code == 200 and len(services.calls) == 51   # the same year's snapshot
    assert client.get(URL, query_string=PUBLIC, headers=auth("shelter")).status_code == 200
    assert len(services.calls) == 102   # shelter staff see their provider's figures: not shared
    internal = {"from": "2025-04-01", "to": "2025-04-03", "audience": "internal"}
    assert client.get(URL, query_string=internal, headers=auth("shelter")).status_code == 200
    assert client.get(URL, query_string=internal, headers=auth("shelter")).status_code == 200
    assert len(services.calls) == 108   # internal: asked every time
