"""``refnet report``: the period it asks for (the public audience gets whole calendar months,
quarters or years), checked before any request; the request it makes, with a fake HTTP client."""

import pytest

from refnet import cli
from refnet.cli import reports


class FakeResponse:
    status_code = 200
    text = "{}"

    def json(self):
        return {"period": {}, "tables": []}


@pytest.fixture
def asked(monkeypatch):
    calls = []

    def get(url, params=None, headers=None, timeout=None):
        calls.append(params)
        return FakeResponse()

    monkeypatch.setattr(reports.requests, "get", get)
    monkeypatch.setenv("REFNET_TOKEN", "t")
    return calls


@pytest.mark.parametrize("argv, option", [
    (["--from", "2025-01-01", "--to", "2025-01-30"], "--to"),
    (["--from", "2025-01-02", "--to", "2025-01-31"], "--from"),
    (["--period", "2025-Q5"], "--period"),
    (["--period", "2025", "--from", "2025-01-01"], "--period"),
    ([], "--from"),
])
def test_public_day_ranges_are_refused_naming_the_option(asked, capsys, argv, option):
    assert cli.main(["report", *argv, "--json", "-"]) == 2
    assert capsys.readouterr().err.startswith(f"refnet report: {option}:")
    assert asked == []


def test_whole_periods_and_internal_day_ranges_are_asked_for(asked):
    assert cli.main(["report", "--period", "2025-Q2", "--json", "-"]) == 0
    assert cli.main(["report", "--from", "2025-04-01", "--to", "2025-04-30", "--json", "-"]) == 0
    assert cli.main(["report", "--from", "2025-01-01", "--to", "2025-01-30", "--audience",
                     "internal", "--json", "-"]) == 0
    assert asked == [{"period": "2025-Q2", "audience": "public"},
                     {"from": "2025-04-01", "to": "2025-04-30", "audience": "public"},
                     {"from": "2025-01-01", "to": "2025-01-30", "audience": "internal"}]
