"""GET /api/v1/reports/summary with fake services: roles, audiences, bad periods,
JSON and CSV, and the OpenAPI document."""

import pytest

from tests.unit.test_report_figures import LEGAL, REFERRAL, SHELTER

URL = "/api/v1/reports/summary"
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def services(rpc):
    rpc.responses[("referral", "report_figures")] = REFERRAL
    rpc.responses[("shelter", "report_figures")] = {**SHELTER, "period": REFERRAL["period"]}
    rpc.responses[("legal", "report_figures")] = {**LEGAL, "period": REFERRAL["period"]}
    return rpc


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
    assert set(ok) == {"application/json", "text/csv"}
