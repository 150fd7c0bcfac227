"""Gateway rows of the HTCDS export (GET /reports/htcds) and of the case data body, with a fake
RPC pool: analysts only, whole calendar periods, bad input named by field before any service is
called."""

import pytest

URL = "/api/v1/reports/htcds"
EXPORT = {"standard": {}, "period": {"from": "2026-03-01", "to": "2026-03-31"}, "records": [],
          "suppression": {"threshold": 11, "rule": "", "records": 0, "suppressed_records": 0}}


def test_an_analyst_asks_the_shelter_service_for_the_period(client, auth, rpc):
    rpc.responses[("shelter", "htcds_export")] = EXPORT
    r = client.get(URL, query_string={"period": "2026-03"}, headers=auth("analyst"))
    assert r.status_code == 200, r.json
    ((service, method, kw),) = rpc.calls
    assert (service, method, kw["first_day"], kw["last_day"]) == (
        "shelter", "htcds_export", "2026-03-01", "2026-03-31")
    assert kw["caller"]["role"] == "analyst"


@pytest.mark.parametrize("role", ["shelter", "police", "legal", "court", "admin", "partner"])
def test_other_roles_are_refused(client, auth, rpc, role):
    r = client.get(URL, query_string={"period": "2026-03"}, headers=auth(role))
    assert r.status_code == 403 and rpc.calls == []


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),        # backwards
    ({"from": "2026-03-02", "to": "2026-03-31"}, "from"),      # not a calendar unit
    ({"from": "2026-03-01", "to": "2026-03-30"}, "to"),
    ({"from": "2026-03-01"}, "to"),
    ({"period": "2026-13"}, "period"),
    ({"period": "2026", "from": "2026-01-01"}, "period"),
    ({"period": "2026", "audience": "internal"}, "audience"),  # no such parameter here
])
def test_bad_query_names_the_field(client, auth, rpc, query, field):
    r = client.get(URL, query_string=query, headers=auth("analyst"))
    assert r.status_code in (400, 422) and r.mimetype == "application/problem+json"
    assert r.json["field"] == field
    assert rpc.calls == []


@pytest.mark.parametrize("body, field", [
    ({"methods_of_control": ["DebtBondage", "Beatings"]}, "methods_of_control.1"),
    ({"types_of_exploitation": ["ForcedLabour"]}, "types_of_exploitation.0"),
    ({"country_of_origin": "ETH"}, "country_of_origin"),
    ({"countries_of_exploitation": ["IQ", "iq"]}, "countries_of_exploitation.1"),
    ({"notes": "she said"}, "notes"),
])
def test_bad_case_data_names_the_field_before_the_service(client, auth, rpc, body, field):
    r = client.put("/api/v1/shelter/plans/3/case-data", json=body, headers=auth("shelter"))
    assert r.status_code in (400, 422) and r.json["field"] == field, r.json
    assert "she said" not in r.get_data(as_text=True)
    assert rpc.calls == []
