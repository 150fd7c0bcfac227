"""GET /api/v1/reports/summary with fake services: roles, audiences, bad periods,
JSON and CSV, and the OpenAPI document."""

import random
from datetime import date, timedelta

import pytest

from tests.support.disclosure_audit import calendar_sums, joint_pinned
from tests.unit.test_report_figures import LEGAL, REFERRAL, SHELTER

URL = "/api/v1/reports/summary"
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


def _each_period(rpc, service):
    """``report_figures_for``: the service's ``report_figures`` answer for each period asked."""
    def answer(periods, **kw):
        single = rpc.responses[(service, "report_figures")]
        return [single(**kw, **p) if callable(single) else single for p in periods]
    return answer


@pytest.fixture
def services(rpc):
    rpc.responses[("referral", "report_figures")] = REFERRAL
    rpc.responses[("shelter", "report_figures")] = {**SHELTER, "period": REFERRAL["period"]}
    rpc.responses[("legal", "report_figures")] = {**LEGAL, "period": REFERRAL["period"]}
    for service in ("referral", "shelter", "legal"):
        rpc.responses[(service, "report_figures_for")] = _each_period(rpc, service)
    return rpc


def _periods_asked(calls, service):
    """The (first day, last day) pairs a public report asked ``service`` for."""
    return [(p["first_day"], p["last_day"]) for s, m, kw in calls
            if s == service and m == "report_figures_for" for p in kw["periods"]]


def test_shelter_reads_internal_exact_counts(client, auth, services):
    r = client.get(URL, query_string={**PERIOD, "audience": "internal"}, headers=auth("shelter"))
    assert r.status_code == 200, r.json
    assert r.json["headline"]["girls"] == 1 and r.json["audience"] == "internal"
    asked = {(service, method): kw for service, method, kw in services.calls}
    assert set(asked) == {("referral", "report_figures"), ("shelter", "report_figures"),
                          ("legal", "report_figures")}
    assert asked[("legal", "report_figures")]["first_day"] == "2025-01-01"
    assert asked[("legal", "report_figures")]["last_day"] == "2025-12-31"
    assert asked[("legal", "report_figures")]["caller"]["role"] == "shelter"


def test_analyst_reads_public_only(client, auth, services):
    r = client.get(URL, query_string=PERIOD, headers=auth("analyst"))
    assert r.status_code == 200 and r.json["audience"] == "public"
    assert r.json["headline"]["girls"] is None
    refused = client.get(URL, query_string={**PERIOD, "audience": "internal"}, headers=auth("analyst"))
    assert refused.status_code == 403 and refused.json["field"] == "audience"


@pytest.mark.parametrize("role", ["police", "legal", "court", "admin"])
def test_other_roles_are_refused(client, auth, services, role):
    assert client.get(URL, query_string=PERIOD, headers=auth(role)).status_code == 403
    assert services.calls == []


@pytest.mark.parametrize("query, field", [
    ({"from": "2025-02-30", "to": "2025-12-31"}, "from"),
    ({"to": "2025-12-31"}, "from"),
    ({"from": "2025-01-01"}, "to"),
    ({"from": "2025-12-31", "to": "2025-01-01"}, "to"),
    ({**PERIOD, "audience": "press"}, "audience"),
    ({**PERIOD, "format": "xlsx"}, "format"),
    ({"from": "2025-01-01", "to": "9999-12-31"}, "to"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
])
def test_bad_query_names_the_field(client, auth, services, query, field):
    r = client.get(URL, query_string=query, headers=auth("analyst"))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.json["field"] == field
    assert services.calls == []


def test_csv(client, auth, services):
    r = client.get(URL, query_string={**PERIOD, "format": "csv"}, headers=auth("analyst"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    assert "table,people_served_by_sex_and_age,female,child,x" in r.get_data(as_text=True)


def test_openapi_documents_json_and_csv(client):
    doc = client.get("/api/v1/openapi.json").json
    ok = doc["paths"]["/api/v1/reports/summary"]["get"]["responses"]["200"]["content"]
    assert set(ok) == {"application/json", "text/csv", "application/pdf"}


# --- whole calendar periods for the public: no two answers can be subtracted -------------------

DISCHARGE_OUTCOMES = ["repatriated", "reintegrated", "transferred", "self_exit", "other"]


def _days(kw):
    return date.fromisoformat(kw["first_day"]), date.fromisoformat(kw["last_day"])


def _by_day(discharges: dict):
    """A fake shelter service counting discharges by the day they happened."""
    def answer(**kw):
        first, last = _days(kw)
        counts = {o: 0 for o in DISCHARGE_OUTCOMES}
        for day, outcome in discharges.items():
            if first <= day <= last:
                counts[outcome] += 1
        return {**SHELTER, "period": {"from": kw["first_day"], "to": kw["last_day"]},
                "discharges": {"total": sum(counts.values()), "by_outcome": counts}}
    return answer


def _discharges(summary):
    return next(t for t in summary["tables"] if t["name"] == "discharges_by_outcome")


# January: 14 repatriated (1st-14th), 12 reintegrated (15th-26th), 3 transferred (27th-29th),
# and one self-exit on 31 January
JANUARY = {**{date(2025, 1, d): "repatriated" for d in range(1, 15)},
           **{date(2025, 1, d): "reintegrated" for d in range(15, 27)},
           **{date(2025, 1, d): "transferred" for d in range(27, 30)},
           date(2025, 1, 31): "self_exit"}


def test_public_day_ranges_that_differ_by_a_day_are_refused(client, auth, services):
    services.responses[("shelter", "report_figures")] = _by_day(JANUARY)
    whole = client.get(URL, query_string={"from": "2025-01-01", "to": "2025-01-31"},
                       headers=auth("analyst"))
    assert whole.status_code == 200
    assert _discharges(whole.json)["cells"][0][3] is None     # the one self-exit is hidden
    # 1-30 January beside 1-31 January would give 31 January's exact counts (one self-exit)
    cut = client.get(URL, query_string={"from": "2025-01-01", "to": "2025-01-30"},
                     headers=auth("analyst"))
    assert cut.status_code == 422, cut.json
    assert cut.mimetype == "application/problem+json" and cut.json["field"] == "to"


@pytest.mark.parametrize("first, last, field", [
    ("2025-01-01", "2025-01-30", "to"),       # not a whole month
    ("2025-01-02", "2025-01-31", "from"),
    ("2025-01-01", "2025-02-28", "to"),       # two months are neither a quarter nor a year
    ("2025-02-01", "2025-04-30", "to"),       # three months, not a calendar quarter
    ("2024-12-01", "2025-01-31", "to"),
    ("2025-01-01", "2026-12-31", "to"),       # two years
])
def test_public_periods_are_whole_calendar_units(client, auth, services, first, last, field):
    for role in ("analyst", "shelter"):
        r = client.get(URL, query_string={"from": first, "to": last, "audience": "public"},
                       headers=auth(role))
        assert r.status_code == 422 and r.json["field"] == field, (role, r.json)
    assert services.calls == []


@pytest.mark.parametrize("first, last", [("2025-01-01", "2025-01-31"), ("2024-02-01", "2024-02-29"),
                                         ("2025-04-01", "2025-06-30"), ("2025-01-01", "2025-12-31")])
def test_months_quarters_and_years_are_public(client, auth, services, first, last):
    r = client.get(URL, query_string={"from": first, "to": last}, headers=auth("analyst"))
    assert r.status_code == 200, r.json
    # suppressed together with the year, its 4 quarters and its 12 months: one call per service
    assert [(s, m) for s, m, kw in services.calls] == [
        ("referral", "report_figures_for"), ("shelter", "report_figures_for"),
        ("legal", "report_figures_for")]
    asked = set(_periods_asked(services.calls, "shelter"))
    assert len(asked) == 17 and (first, last) in asked
    assert ("2025-01-01", "2025-12-31") in asked or ("2024-01-01", "2024-12-31") in asked


def test_internal_audience_keeps_day_ranges(client, auth, services):
    r = client.get(URL, query_string={"from": "2025-01-01", "to": "2025-01-30",
                                      "audience": "internal"}, headers=auth("shelter"))
    assert r.status_code == 200 and r.json["period"] == REFERRAL["period"]
    assert len(services.calls) == 3


@pytest.mark.parametrize("query, field", [
    ({"period": "2025-Q5"}, "period"), ({"period": "2025-13"}, "period"),
    ({"period": "25"}, "period"), ({"period": "2025-01", "from": "2025-01-01"}, "period"),
])
def test_bad_period_names_the_field(client, auth, services, query, field):
    r = client.get(URL, query_string=query, headers=auth("analyst"))
    assert r.status_code == 422 and r.json["field"] == field
    assert services.calls == []


def test_period_names_a_month_quarter_or_year(client, auth, services):
    r = client.get(URL, query_string={"period": "2025-Q2"}, headers=auth("analyst"))
    assert r.status_code == 200
    assert ("2025-04-01", "2025-06-30") in _periods_asked(services.calls, "legal")


def test_the_seventeen_calendar_periods_of_a_year_pin_no_hidden_value(client, auth, services):
    """Everything a person can ask for about 2025 through the API, audited together with
    linear programming: no hidden discharge count has a single possible value."""
    rng = random.Random(7)
    discharges = {date(2025, 1, 1) + timedelta(days=rng.randrange(365)):
                  rng.choice(DISCHARGE_OUTCOMES[:3] * 4 + DISCHARGE_OUTCOMES[3:])
                  for _ in range(120)}
    services.responses[("shelter", "report_figures")] = _by_day(discharges)
    published = {}
    for period in ["2025"] + [f"2025-Q{q}" for q in range(1, 5)] + [f"2025-{m:02d}" for m in range(1, 13)]:
        r = client.get(URL, query_string={"period": period}, headers=auth("analyst"))
        assert r.status_code == 200
        published[(period, "discharges")] = _discharges(r.json)
    assert any(t["suppressed"] for t in published.values())
    assert joint_pinned(published, sums=calendar_sums(published)) == []
