"""The reports page in headless Chromium over the real network, in English and Arabic: an analyst
(on a phone; the page is the analyst's home) reads a public month and a shelter worker the exact
counts of any days; each sees the tables and the charts, downloads the CSV and the PDF, and a
bad period is refused beside its field with nothing else shown. Every page is checked with
axe-core (``Person.audit``)."""

import uuid
from datetime import date

import pytest

from tests.browser.conftest import PHONE, create_user
from tests.unit.conftest import CANONICAL_BODY

CHARTS = 4   # the PDF's charts (gateway/reports/charts.py)


def submit_referrals(network, count: int) -> None:
    """A few referrals of today, through the API, so this month has figures."""
    police = network.token("police")
    for _ in range(count):
        answer = network.api("POST", "/referrals", police, json=CANONICAL_BODY)
        assert answer.status_code in (201, 202), answer.text


def sees_the_figures(who) -> None:
    page = who.page
    assert page.locator("table.report").count() == 8
    assert page.locator("table.report caption").count() == 8
    assert page.locator("table.report th[scope=col]").count() > 7
    assert page.locator("table.report th[scope=row]").count() > 7
    figures = page.locator("figure.chart-figure")
    assert figures.count() == CHARTS
    for i in range(CHARTS):
        svg = figures.nth(i).locator("svg[role=img]")
        assert svg.is_visible() and svg.locator("title").count() == 1
        assert figures.nth(i).locator("details table").count() == 1   # its figures as a table


def downloads(who) -> None:
    """Both links download; the answers are CSV and a PDF (with the person's own cookies)."""
    page = who.page
    for link, media_type, start in (("a[href^='/reports.csv']", "text/csv", b"section,"),
                                    ("a[href^='/reports.pdf']", "application/pdf", b"%PDF")):
        href = page.locator(link).get_attribute("href")
        with page.expect_download() as got:
            page.locator(link).click()
        assert got.value.suggested_filename.startswith("refnet-report-")
        answer = who.context.request.get(href)
        assert answer.status == 200
        assert answer.headers["content-type"].startswith(media_type)
        assert "attachment" in answer.headers["content-disposition"]
        assert answer.body().startswith(start)


def refused_beside(who, field: str) -> None:
    page = who.page
    assert page.locator(f"#err-f-{field}").is_visible()
    assert page.locator(f"#f-{field}").get_attribute("aria-invalid") == "true"
    assert f"err-f-{field}" in page.locator(f"#f-{field}").get_attribute("aria-describedby")
    assert page.locator("table.report").count() == 0 and page.locator("figure").count() == 0
    assert page.locator("a[href^='/reports.pdf']").count() == 0


def choose_days(who, first: str, last: str, audience: str) -> None:
    """Send the any-days form (shelter staff) with these days and audience."""
    form = who.page.locator("#choose-days")
    form.locator("#f-from").fill(first)
    form.locator("#f-to").fill(last)
    form.locator("select[name=audience]").select_option(audience)
    form.locator("button[type=submit]").click()
    who.check_page()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_analyst_and_shelter_read_reports_and_download_them(network, person, lang):
    tag = uuid.uuid4().hex[:6]
    analyst_name = create_user(network, f"analyst.{tag}", "analyst", "refnet-analytics")
    shelter_name = create_user(network, f"manager.{tag}", "shelter", "erbil-shelter")
    submit_referrals(network, 2)
    today = date.today()
    month = f"{today.year}-{today.month:02d}"

    # the analyst: the reports page is home; a public month; the downloads; a bad period
    analyst = person(analyst_name, "analyst", lang, viewport=PHONE).sign_in()
    assert analyst.page.url.endswith("/reports")
    assert analyst.page.locator("#f-audience").count() == 0      # public only: nothing to choose
    analyst.audit("reports")
    analyst.page.fill("#f-period", month)
    analyst.page.locator("#choose-period button[type=submit]").click()
    analyst.check_page()
    sees_the_figures(analyst)
    assert analyst.page.locator("#small-cells").is_visible()    # the small-cell rule, said once
    analyst.audit("reports-public")
    downloads(analyst)
    analyst.page.fill("#f-period", f"{today.year}-13")
    analyst.page.locator("#choose-period button[type=submit]").click()
    analyst.check_page()
    refused_beside(analyst, "period")
    analyst.audit("reports-bad-period")

    # shelter staff: exact counts of any days; a public day range that is not a whole month,
    # a last day before the first, an audience that is not one
    manager = person(shelter_name, "shelter", lang).sign_in()
    manager.page.locator("nav a[href='/reports']").click()
    manager.check_page()
    manager.audit("reports")
    choose_days(manager, today.replace(day=1).isoformat(), today.isoformat(), "internal")
    sees_the_figures(manager)
    assert manager.page.locator("#small-cells").count() == 0
    referred = manager.page.locator("#table-referrals_by_source tbody tr").last.locator("td").last
    assert int(referred.inner_text()) >= 2                      # today's referrals, exact
    manager.audit("reports-internal")
    downloads(manager)

    choose_days(manager, f"{today.year - 1}-01-01", f"{today.year - 1}-01-30", "public")
    refused_beside(manager, "to")
    manager.audit("reports-bad-days")

    choose_days(manager, f"{today.year - 1}-03-01", f"{today.year - 1}-02-01", "internal")
    refused_beside(manager, "to")

    manager.goto(f"/reports?period={today.year - 1}&audience=press")
    refused_beside(manager, "audience")
