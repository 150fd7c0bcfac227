"""The reports page (gateway/web/reports.py) and the report's PDF over the API, with the fake RPC
layer: the analyst's public figures and the shelter's internal ones, the accessible tables and
the charts the PDF has, CSV and PDF downloads, and bad input beside its field with nothing else."""

import json
import re

import pytest

from gateway.reports import pdf
from gateway.reports.charts import NAMES as PDF_CHARTS

from .test_report_figures import LEGAL, REFERRAL, SHELTER
from .test_report_gateway import services  # noqa: F401 - the three services' figures
from .test_web_pages import _cheap_hashes, accounts, get, sign_in, web  # noqa: F401 - fixtures

API = "/api/v1/reports/summary"


def figures_asked(rpc) -> list[dict]:
    """Every period asked of a service, one call's arguments per period (a public report asks
    each service for its 17 periods in one ``report_figures_for``)."""
    asked = []
    for _service, method, kw in rpc.calls:
        if method == "report_figures":
            asked.append(kw)
        elif method == "report_figures_for":
            asked += [{**{k: v for k, v in kw.items() if k != "periods"}, **p} for p in kw["periods"]]
    return asked


def main_of(html: str) -> str:
    return html[html.index("<main"):]


# --- who sees the page ---------------------------------------------------------------------------

def test_the_analyst_signs_in_to_the_reports_page_and_the_shelter_finds_it_in_the_menu(
        web, accounts, services):
    assert sign_in(web, accounts, "analyst").headers["Location"] == "/reports"
    page = get(web, "/reports")
    assert page.status_code == 200
    assert re.search(r'<a href="/reports"[^>]*>Reports</a>', page.text)
    assert figures_asked(services) == []          # the picker alone asks nothing
    assert 'id="f-period"' in page.text and 'id="f-from"' not in page.text
    assert 'name="audience"' not in page.text     # the analyst has no audience to choose


def test_shelter_staff_find_reports_in_the_menu_with_both_pickers(web, accounts, services):
    sign_in(web, accounts, "shelter")
    page = get(web, "/reports")
    assert re.search(r'<a href="/reports"[^>]*>Reports</a>', page.text)
    assert 'id="f-from"' in page.text and 'id="f-audience"' in page.text


@pytest.mark.parametrize("role", ["police", "legal", "court", "admin", "partner"])
def test_other_roles_have_no_reports_page(web, accounts, services, role):
    sign_in(web, accounts, role)
    for path in ("/reports?period=2025", "/reports.csv?period=2025", "/reports.pdf?period=2025"):
        assert get(web, path).status_code == 403
    assert figures_asked(services) == []


# --- the figures -----------------------------------------------------------------------------------

def test_the_analyst_reads_the_public_figures_tables_and_the_pdfs_charts(web, accounts, services):
    sign_in(web, accounts, "analyst")
    page = get(web, "/reports?period=2025&audience=internal")   # the audience is not the analyst's
    assert page.status_code == 200
    asked = figures_asked(services)
    assert len(asked) == 3 * 17          # public: the year with its quarters and months
    assert {a["caller"]["role"] for a in asked} == {"analyst"}
    html = main_of(page.text)
    assert "Audience: public." in html and 'id="small-cells"' in html
    assert "Counts from 1 to 10 are not published" in html
    # every table: a caption, column and row headers with their scope, suppressed cells said so
    tables = re.findall(r'<table class="report" id="table-(\w+)"', html)
    assert tables == [t["name"] for t in services_summary("public")["tables"]]
    assert html.count("<caption") == len(tables) + len(PDF_CHARTS)
    assert html.count('<div class="scroll" role="region" aria-labelledby="head-') == len(tables)
    assert 'scope="col"' in html and 'scope="row"' in html
    assert '<span aria-hidden="true">x</span><span class="visually-hidden">suppressed</span>' in html
    assert 'aria-describedby="small-cells"' in html
    # the charts the PDF has, each an image with a title and its figures as a table
    charts = re.findall(r'<figure class="card chart-figure" id="chart-(\w+)">', html)
    assert tuple(charts) == PDF_CHARTS
    assert html.count('role="img"') == len(PDF_CHARTS)
    assert '<title id="chart-people_by_nationality-title">People served, by nationality</title>' in html
    assert "Ethiopia" in html    # a country by its name
    # the downloads ask the same period and audience
    assert 'href="/reports.csv?period=2025&amp;audience=public"' in html
    assert 'href="/reports.pdf?period=2025&amp;audience=public"' in html


def services_summary(audience):
    from gateway.reports.figures import build_summary
    return build_summary(REFERRAL, SHELTER, LEGAL, audience)


def test_shelter_staff_read_exact_counts_for_any_days(web, accounts, services):
    sign_in(web, accounts, "shelter")
    page = get(web, "/reports?from=2025-01-01&to=2025-12-31&audience=internal")
    assert page.status_code == 200
    html = main_of(page.text)
    assert "Audience: internal" in html and 'id="small-cells"' not in html
    assert "visually-hidden\">suppressed" not in html
    assert "<dt>Girls</dt><dd>1</dd>" in html
    assert len(figures_asked(services)) == 3      # internal: the days asked, nothing else
    assert 'href="/reports.csv?from=2025-01-01&amp;to=2025-12-31&amp;audience=internal"' in html


def test_arabic_page_mirrors_the_charts_and_translates(web, accounts, services):
    sign_in(web, accounts, "analyst", lang="ar")
    page = get(web, "/reports?period=2025", headers={"Accept-Language": "ar"})
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    svg = re.search(r'<svg class="chart".*?</svg>', page.text, re.S).group(0)
    assert 'text-anchor="end"' in svg and 'text-anchor="start"' not in svg
    assert "Reports" not in re.search(r"<h1>(.*?)</h1>", page.text).group(1)


# --- bad input: the refusal beside its field, nothing else ---------------------------------------

@pytest.mark.parametrize("role, query, field, text", [
    ("analyst", "period=2025-13", "period", "A year (2025), a quarter (2025-Q2) or a month"),
    ("analyst", "period=", "period", "A year (2025)"),
    ("shelter", "from=2025-01-01&to=2025-01-30&audience=public", "to",
     "the last day of the month, quarter or year"),
    ("shelter", "from=2025-01-02&to=2025-01-31&audience=public", "from",
     "the first day of a month, quarter or year"),
    ("shelter", "from=2025-03-01&to=2025-02-01&audience=internal", "to",
     "The last day is before the first."),
    ("shelter", "from=2025-01-01&to=2025-01-31&audience=press", "audience",
     "Choose one of the options."),
    ("shelter", "period=2025&audience=press", "audience", "Choose one of the options."),
    ("shelter", "from=2025-02-30&to=2025-03-31", "from", "Enter a date"),
])
def test_bad_input_is_shown_beside_its_field_and_nothing_else(web, accounts, services, role,
                                                              query, field, text):
    sign_in(web, accounts, role)
    page = get(web, f"/reports?{query}")
    assert page.status_code == 422
    html = main_of(page.text)
    error = re.search(rf'<p class="field-error" id="err-f-{field}">([^<]*)</p>', html)
    assert error and text in error.group(1), html[:3000]
    assert re.search(rf'id="f-{field}"[^>]*aria-describedby="[^"]*err-f-{field}"[^>]*aria-invalid="true"',
                     html, re.S)
    assert html.count("field-error") == 1
    assert "<table" not in html and "<svg" not in html and "reports.csv" not in html
    assert figures_asked(services) == []


# --- downloads -------------------------------------------------------------------------------------

def test_csv_download(web, accounts, services):
    sign_in(web, accounts, "analyst")
    r = get(web, "/reports.csv?period=2025")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "table,people_served_by_sex_and_age,female,child,x" in r.get_data(as_text=True)


def test_the_api_gives_the_pdf_refnet_report_writes_and_the_page_downloads_it(
        client, auth, web, accounts, services, tmp_path):
    """format=pdf: application/pdf, an attachment never cached, and the very bytes the command
    line writes from the API's JSON (made in a child process: the gateway never imports
    matplotlib)."""
    query = {"period": "2025"}
    as_json = client.get(API, query_string=query, headers=auth("analyst"))
    r = client.get(API, query_string={**query, "format": "pdf"}, headers=auth("analyst"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="refnet-report-2025-01-01-2025-12-31-public.pdf"'
    assert r.headers["Cache-Control"] == "no-store"
    written = tmp_path / "cli.pdf"
    manifest = pdf.write_pdf(json.loads(as_json.get_data(as_text=True)), str(written))
    assert r.data.startswith(b"%PDF") and r.data == written.read_bytes()
    assert tuple(manifest["charts"]) == PDF_CHARTS

    sign_in(web, accounts, "shelter")
    page = get(web, "/reports.pdf?from=2025-01-01&to=2025-12-31&audience=internal")
    assert page.status_code == 200 and page.mimetype == "application/pdf"
    assert page.data.startswith(b"%PDF") and "attachment" in page.headers["Content-Disposition"]


def test_no_pdf_here_is_a_503_naming_the_format(client, auth, services, monkeypatch):
    def unavailable(_text, timeout=25.0):
        raise pdf.Unavailable("matplotlib is not installed")
    monkeypatch.setattr(pdf, "in_child", unavailable)
    r = client.get(API, query_string={"period": "2025", "format": "pdf"}, headers=auth("analyst"))
    assert r.status_code == 503 and r.json["field"] == "format" and "Retry-After" in r.headers


def test_openapi_documents_the_pdf(client):
    doc = client.get("/api/v1/openapi.json").json
    ok = doc["paths"]["/api/v1/reports/summary"]["get"]["responses"]["200"]["content"]
    assert set(ok) == {"application/json", "text/csv", "application/pdf"}
