"""The Human Trafficking Case Data Standard (issue 21), over real processes on SQLite and
PostgreSQL: shelter staff record thirteen residents' HTCDS codes (twelve alike, one odd, whose
survivor carries a planted name); bad codes, countries and periods are a 4xx naming the field
and change nothing; the analyst's export of the month is in the standard's shape, codes only,
with the odd resident left out by the small-cell rule (k = 11), one audit entry, and the
planted name nowhere (export, errors, logs).
"""

import calendar
import copy
import json
import re
import uuid
from datetime import datetime, timezone

import pytest

from refnet import demo
from tests.e2e.conftest import CANONICAL, ON_BOTH_DATABASES, network_on, submit
from tests.e2e.conftest import ok as _ok, refused

FACILITY = demo.FACILITY["id"]
PLANTED = "Zarifa Qasimova-Htcds"
ALIKE = {"recruitment_methods": ["Job offer/advertisement"],
         "methods_of_control": ["DebtBondage", "WithholdsDocuments"],
         "types_of_exploitation": ["Forced labour"],
         "labour_industries": ["T_ActivitiesOfHouseholdsAsEmployers"],
         "country_of_origin": "ET", "countries_of_exploitation": ["IQ"]}
ODD = {**ALIKE, "country_of_origin": "SY", "types_of_exploitation": ["Sexual exploitation"],
       "labour_industries": [], "sex_exploitation_types": ["Prostitution"]}


@pytest.fixture(scope="module", params=ON_BOTH_DATABASES)
def net(request, tmp_path_factory):
    yield from network_on(request.param, tmp_path_factory, "htcds")


def _refused(response, status: int, field: str) -> None:
    refused(response, status, field)
    assert PLANTED not in response.text


def _month() -> dict:
    today = datetime.now(timezone.utc).date()
    last = calendar.monthrange(today.year, today.month)[1]
    return {"from": today.replace(day=1).isoformat(), "to": today.replace(day=last).isoformat()}


@pytest.fixture(scope="module")
def residents(net):
    """Thirteen admitted residents (no children: one bed each), the last the planted name's."""
    police = net.token("police", agency=f"tip-htcds-{uuid.uuid4().hex[:6]}")
    shelter = net.token("shelter")
    references = []
    for n in range(13):
        body = copy.deepcopy(CANONICAL)
        body["children"] = []
        body["survivor"]["name"] = PLANTED if n == 12 else f"Resident {n}"
        references.append(_ok(submit(net, police, body), 202)["reference"])
    for reference in references:
        net.wait_status(reference, "received", police)
        _ok(net.api("POST", f"/referrals/{reference}/decision", shelter,
                    json={"decision": "accept"}))
    plans = []
    for reference in references:
        net.wait_status(reference, "bed_held", police)
        plans.append(_ok(net.api("POST", f"/shelters/{FACILITY}/admissions", shelter, json={
            "reference": reference, "case_manager": "cm.htcds"}), 201)["plan_id"])
    return {"police": police, "shelter": shelter, "references": references, "plans": plans}


def test_staff_record_the_codes_and_bad_input_changes_nothing(net, residents):
    shelter, plans = residents["shelter"], residents["plans"]
    path = f"/shelter/plans/{plans[0]}/case-data"
    assert _ok(net.api("GET", f"/shelter/plans/{plans[0]}", shelter))["case_data"] is None
    recorded = _ok(net.api("PUT", path, shelter, json=ALIKE))
    assert recorded["methods_of_control"] == ["DebtBondage", "WithholdsDocuments"]
    assert recorded["sex_exploitation_types"] == [] and recorded["updated_by"]

    for body, field in (
            ({**ALIKE, "methods_of_control": ["DebtBondage", "Threats", "Beatings"]},
             "methods_of_control.2"),
            ({**ALIKE, "types_of_exploitation": ["ForcedLabour"]}, "types_of_exploitation.0"),
            ({**ALIKE, "country_of_origin": "ETH"}, "country_of_origin"),
            ({**ALIKE, "country_of_origin": "et"}, "country_of_origin"),
            ({**ALIKE, "countries_of_exploitation": ["IQ", "ZZ"]}, "countries_of_exploitation.1"),
            ({**ALIKE, "methods_of_control": ["Threats", "Threats"]}, "methods_of_control.1")):
        _refused(net.api("PUT", path, shelter, json=body), 422, field)
    assert net.api("PUT", path, residents["police"], json=ODD).status_code == 403
    _refused(net.api("PUT", "/shelter/plans/999999/case-data", shelter, json=ALIKE), 404, "plan")
    plan = _ok(net.api("GET", f"/shelter/plans/{plans[0]}", shelter))
    assert {k: plan["case_data"][k] for k in ALIKE} == ALIKE  # nothing changed

    for plan_id in plans[1:12]:
        _ok(net.api("PUT", f"/shelter/plans/{plan_id}/case-data", shelter, json=ALIKE))
    _ok(net.api("PUT", f"/shelter/plans/{plans[12]}/case-data", shelter, json=ODD))


def test_the_analysts_export_is_in_the_standards_shape_with_the_small_cell_left_out(net, residents):
    analyst = net.token("analyst", user="analyst.htcds")
    month = _month()
    for params, field in (({"from": month["to"], "to": month["from"]}, "to"),      # backwards
                          ({"from": month["from"][:8] + "02", "to": month["to"]}, "from"),
                          ({"from": month["from"]}, "to"),
                          ({"period": "2026-13"}, "period")):
        _refused(net.api("GET", "/reports/htcds", analyst, params=params), 422, field)
    for role in ("shelter", "police", "admin", "legal"):
        assert net.api("GET", "/reports/htcds", net.token(role), params=month).status_code == 403

    export = _ok(net.api("GET", "/reports/htcds", analyst, params=month))
    assert export["period"] == month
    assert export["standard"]["version"] and "CC BY 4.0" in export["standard"]["licence"]
    assert export["suppression"]["threshold"] == 11
    counts = export["suppression"]
    assert (counts["records"], counts["suppressed_records"]) == (13, 1)
    records = export["records"]
    assert len(records) == 12 and [r["record"] for r in records] == [str(n) for n in range(1, 13)]
    assert records[0] == {
        "record": "1", "prs_Gender": "Female", "refnet_AgeBand": "adult", "prs_Nationality": "ET",
        "vic_MethodOfRecruitment": ["Job offer/advertisement"],
        "vic_MethodsOfControl": ["DebtBondage", "WithholdsDocuments"],
        "vic_TypeOfExploitation": ["Forced labour"],
        "vic_LabourIndustry": ["T_ActivitiesOfHouseholdsAsEmployers"],
        "vic_TypeOfSexExploitation": [],
        "hte_Events": [{"hte_Type": "Exploitation", "hte_Country": "IQ"}], "cas_Status": "Active"}
    assert all(r == {**records[0], "record": r["record"]} for r in records)  # the odd one is out

    text = json.dumps(export["records"])
    assert PLANTED not in text and "Prostitution" not in text and "SY" not in text
    assert not any(reference in text for reference in residents["references"])
    assert not re.search(r"\d{4}-\d{2}", text)  # no date at all in a record

    trail = _ok(net.api("GET", "/audit", net.token("admin"),
                        params={"service": "shelter", "object": "report"}))
    exports = [(e["outcome"], e["actor"]) for e in trail if e["action"] == "report.htcds"]
    assert exports == [("ok", "analyst.htcds")], exports  # one entry for the one export
    assert PLANTED not in net.all_logs()
