"""The Human Trafficking Case Data Standard at the shelter (services/shelter/domain/htcds.py):
the codes staff record are the standard's, the export's shape, and the small-cell rule (k = 11)."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.common.errors import InvalidInput
from services.contracts import htcds as contract
from services.shelter.domain import htcds as rules

VALUES = json.loads((Path(__file__).parents[2] / "docs/standards/htcds/values.json").read_text())


def test_the_lists_are_the_copied_standards_value_names():
    fields = VALUES["fields"]
    assert list(contract.RECRUITMENT) == fields["vic_MethodOfRecruitment"]
    assert list(contract.CONTROL) == fields["vic_MethodsOfControl"]
    assert list(contract.EXPLOITATION) == fields["vic_TypeOfExploitation"]
    assert list(contract.LABOUR_INDUSTRY) == fields["vic_Labour Industry"]
    assert list(contract.SEX_EXPLOITATION) == fields["vic_TypeOfSexExploitation"]
    assert {g for g, _ in rules.GROUPS.values()} <= set(fields["prs_Gender"])
    assert {rules.case_status(*a) for a in ((False, None), (True, "repatriated"),
                                            (True, "transferred"))} <= set(fields["cas_Status"])
    assert VALUES["commit"] == contract.VERSION and VALUES["source"] == contract.SOURCE
    assert "CC BY 4.0" in VALUES["licence"]


GOOD = {"recruitment_methods": ["Job offer/advertisement", "Familial"],
        "methods_of_control": ["WithholdsDocuments", "DebtBondage"],
        "types_of_exploitation": ["Forced labour"],
        "labour_industries": ["T_ActivitiesOfHouseholdsAsEmployers"],
        "sex_exploitation_types": [], "country_of_origin": "ET",
        "countries_of_exploitation": ["LB", "IQ"]}


def test_good_codes_are_kept_in_the_standards_order():
    clean = rules.check_case_data(GOOD)
    assert clean["recruitment_methods"] == ["Familial", "Job offer/advertisement"]
    assert clean["methods_of_control"] == ["DebtBondage", "WithholdsDocuments"]
    assert clean["countries_of_exploitation"] == ["IQ", "LB"]
    assert clean["country_of_origin"] == "ET"
    assert rules.check_case_data({})["country_of_origin"] is None  # nothing known yet


@pytest.mark.parametrize("change, field", [
    ({"methods_of_control": ["DebtBondage", "Threats", "Beatings"]}, "methods_of_control.2"),
    ({"methods_of_control": ["Threats", "Threats"]}, "methods_of_control.1"),
    ({"types_of_exploitation": ["ForcedLabour"]}, "types_of_exploitation.0"),  # not its spelling
    ({"recruitment_methods": "Familial"}, "recruitment_methods"),
    ({"country_of_origin": "ETH"}, "country_of_origin"),
    ({"country_of_origin": "et"}, "country_of_origin"),
    ({"country_of_origin": "XX"}, "country_of_origin"),
    ({"countries_of_exploitation": ["IQ", "ZZ"]}, "countries_of_exploitation.1"),
    ({"countries_of_exploitation": ["IQ"] * 11}, "countries_of_exploitation"),
    ({"notes": "Amina said"}, "notes"),
])
def test_bad_codes_name_the_field(change, field):
    with pytest.raises(InvalidInput) as refused:
        rules.check_case_data({**GOOD, **change})
    assert refused.value.field == field
    assert "Amina" not in str(refused.value)


NOW = datetime(2026, 12, 6, tzinfo=timezone.utc)


def _case(n, group="women", origin="ET", exploitation=("Forced labour",), where=("IQ",), **kw):
    return {"admission_id": n, "population_group": group, "country_of_origin": origin,
            "recruitment_methods": ["Job offer/advertisement"], "methods_of_control": ["Threats"],
            "types_of_exploitation": list(exploitation), "labour_industries": [],
            "sex_exploitation_types": [], "countries_of_exploitation": list(where),
            "status": "Active", "updated_at": NOW, **kw}


def test_a_record_is_in_the_standards_shape_with_no_reference_name_or_date():
    [r] = rules.export([_case(7)], k=1)["records"]
    assert r == {"record": "1", "prs_Gender": "Female", "refnet_AgeBand": "adult",
                 "prs_Nationality": "ET", "vic_MethodOfRecruitment": ["Job offer/advertisement"],
                 "vic_MethodsOfControl": ["Threats"], "vic_TypeOfExploitation": ["Forced labour"],
                 "vic_LabourIndustry": [], "vic_TypeOfSexExploitation": [],
                 "hte_Events": [{"hte_Type": "Exploitation", "hte_Country": "IQ"}],
                 "cas_Status": "Active"}


def test_twelve_alike_are_kept_and_the_odd_one_left_out():
    cases = [_case(n) for n in range(12)] + [_case(99, origin="SY")]
    out = rules.export(cases)
    assert len(out["records"]) == 12 and {r["prs_Nationality"] for r in out["records"]} == {"ET"}
    assert out["suppression"] == {"threshold": 11, "rule": rules.RULE, "records": 13,
                                  "suppressed_records": 1}
    assert [r["record"] for r in out["records"]] == [str(n) for n in range(1, 13)]


@pytest.mark.parametrize("odd", [{"group": "children"}, {"exploitation": ("Forced marriage",)},
                                 {"where": ("IQ", "LB")}, {"origin": None}])
def test_each_quasi_identifier_splits_a_cell(odd):
    out = rules.export([_case(n) for n in range(11)] + [_case(99, **odd)])
    assert out["suppression"]["suppressed_records"] == 1 and len(out["records"]) == 11


def test_the_same_countries_in_another_order_are_the_same_cell():
    cases = [_case(n, where=("IQ", "LB")) for n in range(6)] + \
        [_case(n, where=("LB", "IQ")) for n in range(6, 11)]
    assert rules.export(cases)["suppression"]["suppressed_records"] == 0


def test_a_cell_of_exactly_k_is_kept_and_of_k_minus_one_is_not():
    assert len(rules.export([_case(n) for n in range(11)])["records"]) == 11
    assert rules.export([_case(n) for n in range(10)])["records"] == []


def test_the_sensitive_codes_are_not_quasi_identifiers():
    # methods of control and recruitment differ: still one cell of 11 (decision 0054 says why)
    cases = [_case(n, methods_of_control=["Threats"] if n else ["DebtBondage"]) for n in range(11)]
    assert rules.export(cases)["suppression"]["suppressed_records"] == 0


def test_record_numbers_follow_content_not_admission_order():
    cases = [_case(n, status="Closed" if n % 2 else "Active") for n in range(12)]
    assert rules.export(cases)["records"] == rules.export(list(reversed(cases)))["records"]


def test_a_stay_counts_once_with_the_codes_recorded_last():
    older = {**_case(1, origin="SY"), "updated_at": datetime(2026, 1, 1, tzinfo=timezone.utc)}
    [kept] = rules.latest_per_stay([older, _case(1), _case(2)][:2])
    assert kept["country_of_origin"] == "ET"
    assert len(rules.latest_per_stay([older, _case(2)])) == 2


def test_case_status_from_the_stay():
    assert rules.case_status(False, None) == "Active"
    assert rules.case_status(True, "reintegrated") == "Closed"
    assert rules.case_status(True, "transferred") == "ClosedReferred"
