"""Report assembly: service answers -> tables and measures; quartiles; periods;
the statistical codes kept at intake; the CSV; the demo year's plan."""

import csv
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from refnet.demo import year_plan as year
from gateway.reports.csv_export import to_csv
from gateway.reports.figures import build_summary
from services.common.errors import InvalidInput
from services.common.period import parse_period
from services.common.stats import quartiles
from services.referral.domain import report as referral_rules
from services.legal.report import court_outcome
from tests.support.disclosure_audit import pinned_cells

REFERRAL = {
    "period": {"from": "2025-01-01", "to": "2025-12-31"},
    "referrals": {"total": 86, "by_source": {
        "directorate": {"accepted": 56, "declined": 7, "withdrawn": 4, "pending": 1},
        "erbil": {"accepted": 9, "declined": 2, "withdrawn": 1},
        "duhok": {"accepted": 2}, "inspectorate": {"accepted": 3, "declined": 1}}},
    "served": {"total": 70,
               "by_sex_age": {"female": {"adult": 54, "child": 1}, "male": {"adult": 13, "child": 2}},
               "by_nationality": {"ET": 22, "BD": 12, "PH": 8, "SY": 7, "NP": 5, "LK": 4, "KE": 3,
                                  "GH": 3, "IQ": 3, "UG": 2, "ID": 1},
               "by_exploitation": {"labour": 37, "sexual": 13, "labour_and_sexual": 14, "other": 6}},
    "durations": {"referral_to_decision": {"n": 80, "q1": 1.0, "median": 2.0, "q3": 3.0},
                  "referral_to_admission": {"n": 7, "q1": 2.0, "median": 3.0, "q3": 4.0}},
}
SHELTER = {
    "admissions": {"total": 70, "by_group": {"women": 54, "men": 13, "children": 3}},
    "discharges": {"total": 54, "by_outcome": {"repatriated": 26, "reintegrated": 19,
                                               "transferred": 2, "self_exit": 2, "other": 5}},
    "occupancy": {"occupied_bed_nights": 4000.0, "capacity_bed_nights": 22265.0, "residents": 70},
    "length_of_stay": {"n": 54, "mean_days": 80.5, "q1": 40.0, "median": 78.0, "q3": 120.0},
    "milestones": {"psychological_screening": {"on_time": 50, "late": 12, "not_done": 8},
                   "legal_rights_briefing": {"on_time": 60, "late": 5, "not_done": 5},
                   "plan_agreed": {"on_time": 40, "late": 20, "not_done": 10}},
}
LEGAL = {"legal_cases_opened": 31, "court_cases": {"total": 31, "by_outcome": {
    "investigation": 0, "filed": 13, "trial": 6, "appeal": 0, "convicted": 9, "acquitted": 2,
    "dismissed": 1, "closed_without_verdict": 0}}}


def test_internal_summary_is_exact():
    s = build_summary(REFERRAL, SHELTER, LEGAL, "internal")
    head = s["headline"]
    assert (head["people_served"], head["nationalities"], head["women"], head["men"],
            head["boys"], head["girls"]) == (70, 11, 54, 13, 2, 1)
    assert head["people_referred"] == 86 and s["suppression"]["suppressed_values"] == 0
    sources = next(t for t in s["tables"] if t["name"] == "referrals_by_source")
    assert sources["rows"][0] == "directorate" and sources["column_totals"] == [70, 10, 5, 1]
    measures = {m["name"]: m for m in s["measures"]}
    assert measures["acceptance_rate"]["value"] == 87.5   # 70 of 80 decided
    assert measures["days_referral_to_admission"]["median"] == 3.0   # exact, even over 7
    assert measures["occupancy_rate"]["value"] == 18.0
    assert measures["first_week_compliance"]["value"] == round(100 * 150 / 210, 1)


def test_public_summary_merges_suppresses_and_hides_small_bases():
    s = build_summary(REFERRAL, SHELTER, LEGAL, "public")
    tables = {t["name"]: t for t in s["tables"]}
    assert tables["people_served_by_nationality"]["columns"] == ["ET", "BD", "other"]
    assert tables["referrals_by_source"]["rows"] == ["directorate", "erbil", "other"]  # 2 + 4 merged
    for t in tables.values():
        assert pinned_cells(t) == []
        for v in [x for row in t["cells"] for x in row] + [t["total"]]:
            assert v is None or not 1 <= v <= 10
    assert s["headline"]["girls"] is None and s["headline"]["boys"] is None
    measures = {m["name"]: m for m in s["measures"]}
    assert measures["days_referral_to_admission"]["median"] is None  # n = 7
    assert measures["days_referral_to_decision"]["median"] == 2.0
    assert measures["acceptance_rate"]["value"] is None   # declined total (10) is suppressed
    # no base is published: 80 decisions beside 70 accepted would give the 10 declined away
    assert all(m["n"] is None for m in measures.values())
    assert "admissions_by_group" not in tables and s["headline"]["people_admitted"] == 70


def test_unknown_audience_is_refused():
    with pytest.raises(ValueError):
        build_summary(REFERRAL, SHELTER, LEGAL, "press")


def test_csv_writes_x_for_suppressed_values():
    rows = list(csv.reader(io.StringIO(to_csv(build_summary(REFERRAL, SHELTER, LEGAL, "public")))))
    assert rows[0] == ["section", "table", "row", "column", "value"]
    assert ["table", "people_served_by_sex_and_age", "female", "child", "x"] in rows
    assert ["headline", "", "", "people_served", "70"] in rows


def test_quartiles_interpolate_like_numpy():
    assert quartiles([]) == {"n": 0, "q1": None, "median": None, "q3": None}
    assert quartiles([5]) == {"n": 1, "q1": 5.0, "median": 5.0, "q3": 5.0}
    assert quartiles([1, 2, 3, 4]) == {"n": 4, "q1": 1.8, "median": 2.5, "q3": 3.2}
    assert quartiles([7, 1, 3, 2, 10]) == {"n": 5, "q1": 2.0, "median": 3.0, "q3": 7.0}


def test_period_names_the_bad_field():
    assert parse_period("2025-01-01", "2025-12-31").days == 365
    for first, last, field in (("2025-13-01", "2025-12-31", "from"), ("2025-01-01", "x", "to"),
                               ("2025-02-01", "2025-01-01", "to"), ("2000-01-01", "2020-01-01", "to"),
                               ("9999-12-30", "9999-12-31", "from")):
        with pytest.raises(InvalidInput) as caught:
            parse_period(first, last)
        assert caught.value.field == field


def test_intake_keeps_codes_not_identity(body):
    body["identified_on"] = date(2026, 11, 20)
    body["exploitation_types"] = ["sexual", "labour", "labour"]
    codes = referral_rules.report_codes(body)
    assert codes == {"sex": "female", "age_band": "adult", "nationality": "ET",
                     "exploitation": "labour,sexual"}
    body["survivor"]["birth_year"] = 2010
    assert referral_rules.report_codes(body)["age_band"] == "child"
    assert referral_rules.exploitation_category("labour,sexual") == "labour_and_sexual"
    assert referral_rules.exploitation_category("forced_marriage,sexual") == "other"
    assert referral_rules.exploitation_category(None) == "unknown"
    assert referral_rules.outcome_of({"submitted", "received", "bed_held"}) == "accepted"
    assert referral_rules.outcome_of({"submitted", "withdrawn"}) == "withdrawn"
    assert referral_rules.outcome_of({"submitted"}) == "pending"


def test_court_outcome_is_the_verdict_once_there_is_one():
    assert court_outcome("verdict", "convicted") == "convicted"
    assert court_outcome("closed", "acquitted") == "acquitted"
    assert court_outcome("closed", None) == "closed_without_verdict"
    assert court_outcome("appeal", "convicted") == "appeal"
    assert court_outcome("trial", None) == "trial"


def test_the_demo_year_plan_has_the_issue_figures_and_fits_the_beds():
    people = year.plan()
    want = year.expected(people)
    assert (want["people_served"], want["nationalities"]) == (70, 11)
    assert want["people"] == {"women": 54, "men": 13, "boys": 2, "girls": 1}
    top = max(want["by_source"], key=lambda s: sum(want["by_source"][s].values()))
    assert top == "krg-anti-trafficking-directorate"
    assert sum(want["by_source"][top].values()) > want["people_referred"] / 2
    assert want["by_exploitation"]["labour"] + want["by_exploitation"]["sexual"] > 35
    peak = year.peak_occupancy(people)
    assert all(peak[g] <= year.CAPACITY[g] for g in year.CAPACITY)
    assert year.plan() == people            # seeded: the same year every time
    for p in people:                        # admitted within the 48-hour hold, nothing after the year
        if p.admitted is not None:
            assert p.admitted == p.decided + 1 and p.admitted < year.YEAR_DAYS
        assert all(day < (p.discharged or year.YEAR_DAYS) for day in p.milestones.values())


def test_no_network_process_imports_matplotlib_or_scipy():
    """The gateway (with its report view) and every service load without matplotlib, scipy or
    numpy: only `refnet report --pdf` imports matplotlib (the network's memory budget)."""
    code = ("import sys, gateway.app, gateway.api, gateway.reports.figures, "
            "gateway.reports.csv_export, services.referral.service, services.shelter.service, "
            "services.legal.service; "
            "print(sorted(m for m in ('matplotlib', 'scipy', 'numpy') if m in sys.modules))")
    from .conftest import service_secrets
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parents[2],
                         env={**os.environ, **service_secrets()})
    assert out.stdout.strip() == "[]"


def test_each_service_grants_the_report_view_to_shelter_staff_and_analysts_only():
    from services.legal.domain.access import VISIBILITY as legal
    from services.referral.domain.visibility import VISIBILITY as referral
    from services.shelter.domain.visibility import VISIBILITY as shelter
    for table in (referral, shelter, legal):
        assert set(table["report"]) == {"shelter", "analyst"}
        for fields in table["report"].values():
            assert not fields & {"reference", "references", "case_number", "name"}


def test_the_demo_clock_and_the_test_offset_move_the_one_process_clock(tmp_path):
    from datetime import datetime, timedelta, timezone

    from services.common import clock
    demo, test = tmp_path / "demo-clock", tmp_path / "test-clock"
    demo.write_text(str(-30 * 86400))
    test.write_text(str(86400))
    both = clock.process_clock({"REFNET_DEMO_CLOCK_FILE": str(demo),
                                "REFNET_TEST_CLOCK_OFFSET_FILE": str(test)})
    assert both.offset() == timedelta(days=-29)
    assert clock.process_clock({"REFNET_DEMO_CLOCK_FILE": str(demo)}).offset() == timedelta(days=-30)
    shift = datetime.now(timezone.utc) - both.now()
    assert timedelta(days=29) - timedelta(seconds=5) < shift < timedelta(days=29, seconds=5)
    assert isinstance(clock.process_clock({}), clock.SystemClock)


EMPTY_REFERRAL = {"period": {"from": "2030-01-01", "to": "2030-01-31"},
                  "referrals": {"total": 0, "by_source": {}},
                  "served": {"total": 0, "by_sex_age": {}, "by_nationality": {}, "by_exploitation": {}},
                  "durations": {"referral_to_decision": quartiles([]),
                                "referral_to_admission": quartiles([])}}
EMPTY_SHELTER = {"admissions": {"total": 0, "by_group": {"women": 0, "men": 0, "children": 0}},
                 "discharges": {"total": 0, "by_outcome": {}},
                 "occupancy": {"occupied_bed_nights": 0.0, "capacity_bed_nights": 0.0, "residents": 0},
                 "length_of_stay": {"n": 0, "mean_days": None, "q1": None, "median": None, "q3": None},
                 "milestones": {"plan_agreed": {"on_time": 0, "late": 0, "not_done": 0}}}
EMPTY_LEGAL = {"legal_cases_opened": 0, "court_cases": {"total": 0, "by_outcome": {}}}


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_an_empty_period_renders_as_json_csv_and_pdf(audience, tmp_path):
    from gateway.reports.pdf import write_pdf
    s = build_summary(EMPTY_REFERRAL, EMPTY_SHELTER, EMPTY_LEGAL, audience)
    assert s["headline"]["people_served"] == 0 and s["suppression"]["suppressed_values"] == 0
    assert all(m["value"] is None for m in s["measures"])
    assert "table,referrals_by_source,total,total,0" in to_csv(s).splitlines()
    manifest = write_pdf(s, str(tmp_path / "empty.pdf"))
    assert manifest["pages"] >= 3 and (tmp_path / "empty.pdf").read_bytes().startswith(b"%PDF")


def test_a_month_is_suppressed_with_its_year_and_the_years_categories():
    """A month without one of the year's named sources or nationalities still has their rows
    (0), and what the year hides the month hides too (unless 0 there)."""
    month = {**REFERRAL, "period": {"from": "2025-01-01", "to": "2025-01-31"},
             "referrals": {"total": 14, "by_source": {"directorate": {"accepted": 12, "declined": 2}}},
             "served": {**REFERRAL["served"], "by_nationality": {"ET": 13, "PH": 1}}}
    related = [(REFERRAL, SHELTER, LEGAL), (month, SHELTER, LEGAL)]
    s = build_summary(month, SHELTER, LEGAL, "public", related=related)
    tables = {t["name"]: t for t in s["tables"]}
    assert tables["referrals_by_source"]["rows"][:2] == ["directorate", "erbil"]
    assert tables["people_served_by_nationality"]["columns"] == ["ET", "BD", "other"]
    year = build_summary(REFERRAL, SHELTER, LEGAL, "public", related=related)
    sources = {t["name"]: t for t in year["tables"]}["referrals_by_source"]
    # declined by the directorate: 7 in the year, 2 in the month, each small and hidden
    assert sources["cells"][0][1] is None and tables["referrals_by_source"]["cells"][0][1] is None
    # the last row: 0 in the month (erbil; shown), the year's "other" (2 + 4 referrals) hidden
    assert tables["referrals_by_source"]["row_totals"][-1] == 0
    assert sources["row_totals"][-1] is None
