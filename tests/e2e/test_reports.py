"""Reports end to end: `refnet demo-year` on a fresh network, then the figures.

On SQLite and on PostgreSQL, the network runs on a demo clock (``REFNET_DEMO_CLOCK_FILE``): `refnet demo-year` drives the
real HTTP API through an invented first year, day by day, moving that clock. Then:

* the internal summary equals the year's figures cell by cell (70 people from 11 countries:
  54 women, 13 men, 2 boys, 1 girl; the rest from the demo plan, which is seeded);
* the public summary shows no count from 1 to 10, and the linear-programming audit finds no
  suppressed value the published table pins to one value; the same audit catches the year's
  tables with primary suppression only;
* `refnet report --pdf` writes a PDF that pdftoppm renders, with the tables and three charts.
"""

import json
import shutil
import subprocess
from datetime import date, timedelta

import pytest

from refnet.demo import year_plan as year
from gateway.reports import suppression
from refnet.harness import postgres as support_postgres
from refnet.harness.broker import create_vhost, delete_vhost
from tests.support.disclosure_audit import calendar_sums, joint_pinned, pinned_cells
from refnet.harness.network import BIN, ROOT, SERVICES, Network

# the demo year runs through last calendar year, the one period both audiences may ask for
FIRST_DAY = date(date.today().year - 1, 1, 1)
LAST_DAY = FIRST_DAY + timedelta(days=year.YEAR_DAYS - 1)
PERIOD = {"from": FIRST_DAY.isoformat(), "to": LAST_DAY.isoformat()}
YEAR = str(FIRST_DAY.year)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def year_net(request, tmp_path_factory):
    name, uri = create_vhost("refnet-e2e-reports")
    urls = {}
    workdir = tmp_path_factory.mktemp(f"reports-{request.param}")
    clock_file = workdir / "demo-clock"
    clock_file.write_text("0")
    try:
        if request.param == "postgres":
            urls = {s: support_postgres.create_database(f"refnet_e2e_{s}") for s in SERVICES}
        net = Network(workdir, uri, database_urls=urls,
                      # the plan's answers come days after each referral: a sweep running
                      # meanwhile would pass it on to the next provider (README, demo year)
                      extra_env={"REFNET_DEMO_CLOCK_FILE": str(clock_file),
                                 "REFNET_ESCALATION_SWEEP_SECONDS": "86400"})
        net.prepare()
        net.start()
        try:
            net.wait_ready()
            net.seed_facility()
            run = subprocess.run([str(BIN / "refnet"), "demo-year", "--url", net.url,
                                  "--start", FIRST_DAY.isoformat()],
                                 env=net.env, cwd=ROOT, capture_output=True, text=True, timeout=900)
            assert run.returncode == 0, run.stderr + net.tail_logs()
            assert clock_file.read_text() == "0"  # the demo clock is back at now
            yield net
        finally:
            net.stop()
    finally:
        for url in urls.values():
            support_postgres.drop_database(url)
        delete_vhost(name)


def summary(net, audience, role="shelter", **extra):
    token = net.token(role)
    period = {"period": YEAR} if audience == "public" else PERIOD
    return net.api("GET", "/reports/summary", token, params={**period, "audience": audience, **extra})


def table(s, name):
    return next(t for t in s["tables"] if t["name"] == name)


def as_dict(t):
    """A one-way table as {column: value}; a two-way one as {row: {column: value}}."""
    if t["column_totals"] is None:
        return dict(zip(t["columns"], t["cells"][0]))
    return {r: dict(zip(t["columns"], row)) for r, row in zip(t["rows"], t["cells"])}


def test_internal_summary_equals_the_year_cell_by_cell(year_net):
    response = summary(year_net, "internal")
    assert response.status_code == 200, response.text
    s = response.json()
    want = year.expected(year.plan())
    head = s["headline"]
    # the figures of the issue, as stated there
    assert (head["people_served"], head["nationalities"]) == (70, 11)
    assert (head["women"], head["men"], head["boys"], head["girls"]) == (54, 13, 2, 1)
    sex_age = as_dict(table(s, "people_served_by_sex_and_age"))
    assert sex_age == {"female": {"adult": 54, "child": 1}, "male": {"adult": 13, "child": 2}}
    # every other cell from the seeded plan
    assert head["people_referred"] == want["people_referred"] == 86
    assert as_dict(table(s, "people_served_by_nationality")) == want["by_nationality"]
    by_source = as_dict(table(s, "referrals_by_source"))
    assert by_source == {src: {o: want["by_source"][src].get(o, 0) for o in
                               ("accepted", "declined", "withdrawn", "pending")}
                         for src in want["by_source"]}
    top = max(by_source, key=lambda k: sum(by_source[k].values()))
    assert top == "krg-anti-trafficking-directorate"          # mostly from the directorate
    assert sum(by_source[top].values()) > 86 / 2
    exploitation = as_dict(table(s, "people_served_by_exploitation"))
    assert exploitation == {k: want["by_exploitation"].get(k, 0)
                            for k in ("labour", "sexual", "labour_and_sexual", "other")}
    assert head["people_admitted"] == sum(want["admissions"].values()) == 70
    discharges = as_dict(table(s, "discharges_by_outcome"))
    assert {k: v for k, v in discharges.items() if v} == want["discharges"]
    court = as_dict(table(s, "court_cases_by_outcome"))
    assert {k: v for k, v in court.items() if v} == want["court_cases"]
    assert head["legal_cases_opened"] == want["legal_cases_opened"]
    measures = {m["name"]: m for m in s["measures"]}
    assert measures["days_referral_to_decision"]["n"] == 80   # 70 accepted + 10 declined
    assert 1 <= measures["days_referral_to_decision"]["median"] <= 3
    assert measures["days_referral_to_admission"]["n"] == 70
    assert 0 < measures["occupancy_rate"]["value"] < 100
    assert measures["average_length_of_stay"]["n"] == sum(want["discharges"].values())
    milestones = table(s, "first_week_milestones")
    assert milestones["total"] > 0 and s["suppression"]["suppressed_values"] == 0


def _counts(t):
    values = [v for row in t["cells"] for v in row] + [t["total"]]
    values += (t["row_totals"] or []) + (t["column_totals"] or [])
    return values


def test_public_summary_shows_no_small_count_and_no_cell_can_be_worked_out(year_net):
    r = summary(year_net, "public", role="analyst")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["audience"] == "public" and s["suppression"]["suppressed_values"] > 0
    for t in s["tables"]:
        assert not [v for v in _counts(t) if v is not None and 1 <= v <= 10], t
        assert pinned_cells(t) == [], t["name"]
    for key, value in s["headline"].items():
        if key != "nationalities":   # a number of countries, not of people
            assert value is None or not 1 <= value <= 10, key
    # the tables of the people served count the same 70 people: audited together, with their
    # grand totals linked, no suppressed value is pinned either
    served = ("people_served_by_sex_and_age", "people_served_by_nationality",
              "people_served_by_exploitation")
    assert {table(s, name)["total"] for name in served} == {70}

    def grand(name):
        t = table(s, name)
        return (name, (len(t["rows"]), len(t["columns"])) if t["column_totals"] is not None
                else (0, len(t["columns"])))
    links = [(grand(a), grand(b)) for a, b in zip(served, served[1:])]
    assert joint_pinned({t["name"]: t for t in s["tables"]}, links) == []
    nationality = table(s, "people_served_by_nationality")
    assert nationality["columns"][-1] == "other"                # small categories merged first
    assert {"ET", "BD"} <= set(nationality["columns"])
    sex_age = table(s, "people_served_by_sex_and_age")
    assert sex_age["total"] == 70 and sex_age["cells"][0][1] is None  # the girl is not visible
    measures = {m["name"]: m for m in s["measures"]}
    assert all(m["n"] is None for m in measures.values())   # no base beside the tables
    assert measures["days_referral_to_decision"]["median"] is not None   # over 80 people
    assert measures["acceptance_rate"]["value"] is None      # 10 declined: suppressed base
    internal = {m["name"]: m for m in summary(year_net, "internal").json()["measures"]}
    for name, m in measures.items():   # a measure is shown only over 11 people or more
        if m["value"] is not None:
            assert internal[name]["n"] >= suppression.THRESHOLD


def test_the_audit_catches_the_year_with_primary_suppression_only(year_net):
    s = summary(year_net, "internal").json()
    exact = {t["name"]: t for t in s["tables"]}
    caught = {name: pinned_cells(suppression.primary_only(t)) for name, t in exact.items()}
    assert caught["people_served_by_sex_and_age"]  # the girl: 55 - 54
    assert any(caught.values())


def test_public_csv_marks_suppressed_values(year_net):
    response = summary(year_net, "public", role="analyst", format="csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "section,table,row,column,value"
    assert "table,people_served_by_sex_and_age,female,child,x" in lines
    assert "table,people_served_by_sex_and_age,total,total,70" in lines


def test_roles_and_bad_periods(year_net):
    assert summary(year_net, "internal", role="analyst").status_code == 403
    for role in ("police", "legal", "court", "admin"):
        assert summary(year_net, "public", role=role).status_code == 403
    token = year_net.token("analyst")
    bad = year_net.api("GET", "/reports/summary", token, params={"from": "2025-13-01", "to": "2025-12-31"})
    assert bad.status_code == 422 and bad.json()["field"] == "from"
    assert bad.headers["Content-Type"].startswith("application/problem+json")
    back = year_net.api("GET", "/reports/summary", token, params={"from": "2025-12-31", "to": "2025-01-01"})
    assert back.status_code == 422 and back.json()["field"] == "to"
    # the public gets whole calendar months, quarters or years: 1-30 January beside 1-31
    # January would give 31 January's exact counts
    january = {"from": f"{YEAR}-01-01", "to": f"{YEAR}-01-30"}
    for role in ("analyst", "shelter"):
        cut = year_net.api("GET", "/reports/summary", year_net.token(role),
                           params={**january, "audience": "public"})
        assert cut.status_code == 422 and cut.json()["field"] == "to", (role, cut.text)
    internal = year_net.api("GET", "/reports/summary", year_net.token("shelter"),
                            params={**january, "audience": "internal"})
    assert internal.status_code == 200 and internal.json()["period"]["to"] == january["to"]


def test_the_years_calendar_periods_together_pin_no_hidden_value(year_net):
    """Everything an analyst can ask for about the demo year (the year, its quarters, its
    months), audited together: the counts that add up over time (discharges, legal cases and
    court cases opened, admissions) keep a range for every hidden value."""
    token = year_net.token("analyst")
    periods = [YEAR] + [f"{YEAR}-Q{q}" for q in range(1, 5)] + [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    published = {}
    for period in periods:
        r = year_net.api("GET", "/reports/summary", token, params={"period": period})
        assert r.status_code == 200, r.text
        s = r.json()
        published[(period, "discharges")] = table(s, "discharges_by_outcome")
        head = s["headline"]
        for name in ("people_admitted", "legal_cases_opened", "court_cases_opened"):
            published[(period, name)] = {"cells": [[head[name]]], "total": head[name],
                                         "rows": [], "columns": ["n"], "row_totals": None,
                                         "column_totals": None}
    assert any(t["suppressed"] for t in published.values() if "suppressed" in t)
    assert any(t["total"] is None for t in published.values())   # months with a few discharges
    assert joint_pinned(published, sums=calendar_sums(published)) == []


def test_pdf_report_renders_with_tables_and_charts(year_net, tmp_path):
    assert shutil.which("pdftoppm"), "poppler-utils (pdftoppm) is needed: make system-deps"
    pdf = tmp_path / "report.pdf"
    run = subprocess.run([str(BIN / "refnet"), "report", "--period", YEAR,
                          "--audience", "public", "--pdf", str(pdf), "--url",
                          year_net.url], env=year_net.env, cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    manifest = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(manifest["charts"]) >= 2 and len(manifest["tables"]) == 8
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True,
                   timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == manifest["pages"] >= 3
    assert all(p.stat().st_size > 1000 for p in pages)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for title in ("People served, by nationality", "People referred, by referral source",
                  "People served, by sex and age band", "Referral outcomes"):
        assert title in text
