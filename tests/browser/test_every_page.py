"""Every page of every role, found by following links: for each role in English (desktop) and
Arabic (a 360 px phone), a person signs in and follows every same-origin GET link of the pages,
from the navigation on, to a depth of two, one URL per route of the web pages (so a page added
later is checked without editing this test), skipping downloads. Each page must open (no 4xx or
5xx behind a link), pass axe-core with no serious or critical violation (``Person.audit``:
printed and screenshotted; the pages every role has, /beds and the inbox, once per language) and,
on the phone, not scroll sideways (what sticks out is named). Data first, so the detail
pages exist: a referral submitted, accepted and admitted, an item of its care plan referred to a
partner agency, a legal case with a court case and a hearing."""

import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException

from refnet import demo
from refnet.harness.polling import poll
from tests.browser.conftest import DESKTOP, PHONE, create_user

MAX_DEPTH = 2            # the navigation's pages are depth 0
COURT = "erbil-criminal-court"
PARTNER = "intl-return-org"
AGENCIES = {"police": None, "shelter": demo.FACILITY["provider"], "legal": "erbil-legal-aid",
            "court": COURT, "admin": "refnet-admin", "analyst": "refnet-analytics",
            "partner": PARTNER}
DOWNLOADS = (".ics", ".csv", ".pdf", ".json")
# the pages every role has: checked with axe once per language (by the first role that reaches
# them), and for every other role only opened and measured on the phone, to keep the crawl short
SHARED = {"/beds", "/inbox", "/inbox/preferences"}
AUDITED: dict[str, set[str]] = {}


def _routes():
    """The web pages' routes, as the gateway declares them (gateway/web)."""
    import gateway.web
    app = Flask("refnet-crawl")
    gateway.web.register(app)
    return app.url_map.bind("localhost")


ROUTES = _routes()


def route_of(path: str) -> str | None:
    """The route pattern of a page (``/police/referrals/<reference>``), or None for what is
    not a page of the web blueprint (the API, static files) or not a GET."""
    try:
        rule, _ = ROUTES.match(path, method="GET", return_rule=True)
    except HTTPException:
        return None
    return rule.rule if rule.endpoint.startswith("web.") else None


def _baghdad(moment: datetime) -> str:
    return (moment + timedelta(hours=3)).replace(tzinfo=None).isoformat(timespec="seconds")


@pytest.fixture(scope="module")
def world(network):
    """One person per role and the data their detail pages show, made through the API."""
    tag = uuid.uuid4().hex[:6]
    agencies = {**AGENCIES, "police": f"crawl-unit-{tag}"}
    users = {role: create_user(network, f"crawl-{role}.{tag}", role, agency)
             for role, agency in agencies.items()}
    token = {role: network.token(role, agency=agencies[role], user=users[role]) for role in agencies}
    body = {**demo.SAMPLE_REFERRAL, "addressed_to": demo.FACILITY["provider"],
            "consent": {**demo.SAMPLE_REFERRAL["consent"], "share_with_legal": True}}
    sent = network.api("POST", "/referrals", token["police"], json=body)
    assert sent.status_code == 202, sent.text
    reference = sent.json()["reference"]
    network.wait_status(reference, "received", token["police"], timeout=30)
    accepted = network.api("POST", f"/referrals/{reference}/decision", token["shelter"],
                           json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    network.wait_status(reference, "bed_held", token["police"], timeout=30)
    admitted = network.api("POST", f"/shelters/{demo.FACILITY['id']}/admissions", token["shelter"],
                           json={"reference": reference, "case_manager": users["shelter"]})
    assert admitted.status_code == 201, admitted.text
    plan = admitted.json()["plan_id"]
    item = network.api("POST", f"/shelter/plans/{plan}/items", token["shelter"],
                       json={"service": "case_management", "owner": users["shelter"]})
    assert item.status_code == 201, item.text
    partner = network.api("POST", f"/shelter/plans/{plan}/items/{item.json()['item_id']}/partner-referral",
                          token["shelter"], json={"partner_agency": PARTNER, "service": "return_reintegration"})
    assert partner.status_code in (200, 201), partner.text

    def case():
        r = network.api("POST", "/legal/cases", token["legal"],
                        json={"reference": reference, "lawyer": users["legal"]})
        return r.json() if r.status_code == 201 else None
    case_id = poll(case, "the referral eligible for a legal case")["case_id"]
    filed = network.api("POST", f"/legal/cases/{case_id}/court-cases", token["legal"], json={
        "court": COURT, "case_number": f"{tag}/2026", "standing": "victim", "status": "filed",
        "charges": [{"statute": "law-6-2018"}]})
    assert filed.status_code == 201, filed.text
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=12)
    hearing = network.api("POST", f"/court-cases/{filed.json()['court_case_id']}/hearings", token["legal"],
                          json={"starts_at": _baghdad(starts), "time_zone": "Asia/Baghdad",
                                "purpose": "Testimony", "attendance_required": True})
    assert hearing.status_code == 201, hearing.text
    return users


# what sticks out sideways on a phone (the innermost elements past the window's edges)
WIDE = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if ((r.right > w + 1 || r.left < -1) && r.width > 0 && !el.closest(".scroll, .skip")
        && ![...el.children].some(c => { const b = c.getBoundingClientRect(); return b.right > w + 1 || b.left < -1; }))
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ").join(".") : "")
               + " [" + Math.round(r.left) + "," + Math.round(r.right) + "] " + (el.textContent || "").trim().slice(0, 40));
  }
  return out.slice(0, 5);
}"""


def links_of(page) -> list[str]:
    """Every link's address on the page, as written, leaving out downloads."""
    return page.eval_on_selector_all(
        "a[href]:not([download])", "els => els.map(e => e.getAttribute('href'))")


def crawl(who) -> tuple[list[str], list[str]]:
    """Visit the pages from the navigation on; return the URLs checked and the problems."""
    page, origin = who.page, who.network.url
    start = [(href, 0) for href in page.eval_on_selector_all(
        "nav a[href]", "els => els.map(e => e.getAttribute('href'))")]
    start.append((urlsplit(page.url).path, 0))  # the role's start page
    routes: dict[str, str] = {}
    queue, checked, problems, done = [], [], [], set()

    def consider(href: str, base: str, depth: int):
        url = urljoin(base, href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin.rstrip("/"):
            return
        path = parts.path
        query = parts.query.lower()
        if path.endswith(DOWNLOADS) or any(f"format={k}" in query for k in ("csv", "pdf", "ics")):
            return
        route = route_of(path)
        if route is None or route in routes or path in ("/sign-out", "/language"):
            return
        routes[route] = url
        queue.append((path + (f"?{parts.query}" if parts.query else ""), depth, route))

    for href, depth in start:
        consider(href, page.url, depth)
    while queue:
        target, depth, route = queue.pop(0)
        try:
            response = page.goto(target)
        except Exception as exc:  # noqa: BLE001 - a download that the link did not announce
            if "Download is starting" in str(exc):
                continue
            raise
        landed = route_of(urlsplit(page.url).path) or route
        if landed in done:  # a redirect to a page checked already (/ to the role's start page)
            continue
        done.update((route, landed))
        routes.setdefault(landed, page.url)
        if response is None or response.status >= 400:
            problems.append(f"{target}: HTTP {response.status if response else '?'}")
            continue
        name = route.strip("/").replace("/", "-").replace("<", "").replace(">", "").replace(":", "-") or "home"
        try:
            if route in SHARED and route in AUDITED.setdefault(who.lang, set()):
                who.check_page()
                if who.viewport == PHONE:
                    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert wide <= 1, f"{page.url} is {wide}px wider than the phone"
            else:
                who.audit(name)  # axe, the screenshot, and on the phone: nothing sideways
                AUDITED.setdefault(who.lang, set()).add(route)
        except AssertionError as exc:
            wide = page.evaluate(WIDE) if "wider than the phone" in str(exc) else []
            problems.append(str(exc).splitlines()[0] + "".join(f"\n    {w}" for w in wide))
        checked.append(target)
        if depth < MAX_DEPTH:
            for href in links_of(page):
                consider(href, page.url, depth + 1)
    return checked, problems


@pytest.mark.parametrize("lang, viewport", [("en", DESKTOP), ("ar", PHONE)], ids=["en-desktop", "ar-phone"])
@pytest.mark.parametrize("role", list(AGENCIES))
def test_every_page_reachable_by_a_role_passes_axe(world, person, role, lang, viewport):
    who = person(world[role], role, lang, viewport=viewport).sign_in()
    checked, problems = crawl(who)
    print(f"\ncrawl {lang} {role}: {len(checked)} page(s): " + " ".join(checked))
    assert checked, f"{role} reached no page"
    assert not problems, f"{role} ({lang}): " + "\n".join(problems)
