"""The legal team's, a court clerk's and a partner agency's pages in headless Chromium over the
real network, in English and Arabic: each role opens every page of theirs (each checked with
axe-core and screenshotted by ``Person.audit``), does its main action, and submits bad input on
each form of those pages: the API's refusal is shown beside its field (``aria-invalid``) and
nothing changed (read back through the API). The court and the partner agency appear by their
directory names in the page's language.

* legal: cases (open a case), a case (file a court case; sessions, documents, labour disputes,
  notes), court cases, a court case (schedule a hearing), hearings.
* court: court cases, a court case (record a hearing's outcome, move the status), hearings.
* partner: referred to us (accept, then done with an outcome).

What the pages need that is not theirs to make (an accepted referral, a court case with a
hearing at the clerk's court, a care-plan item referred to the partner) is made through the
API, as the other agencies' staff would."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from refnet import demo
from refnet.harness.polling import poll
from tests.browser.conftest import create_user

FACILITY = demo.FACILITY["id"]
SHELTER = next(u["agency"] for u in demo.USERS if u["role"] == "shelter")
LEGAL_AID = next(u["agency"] for u in demo.USERS if u["role"] == "legal")


def names(kind: str, tag: str) -> dict:
    return {"en": f"Test {kind} {tag}", "ar": f"اختبار {kind} {tag}", "ckb": f"تاقیکردنەوە {kind} {tag}"}


class World:
    """The agencies, people and referrals of one module, made through the API."""

    def __init__(self, network):
        self.network, self.tag = network, uuid.uuid4().hex[:6]
        tag = self.tag
        self.court, self.partner = f"court-{tag}", f"partner-{tag}"
        self.court_names, self.partner_names = names("court", tag), names("partner", tag)
        network.register_agency(self.court, "court", names=self.court_names)
        network.register_agency(self.partner, "international_org", names=self.partner_names)
        self.lawyer = create_user(network, f"lawyer.{tag}", "legal", LEGAL_AID)
        self.clerk = create_user(network, f"clerk.{tag}", "court", self.court)
        self.partner_user = create_user(network, f"partner.{tag}", "partner", self.partner)
        self.police = network.token("police", agency=f"tip-unit-{tag}", user=f"officer.{tag}")
        self.staff = network.token("shelter", agency=SHELTER, user=f"cm.{tag}")
        self.legal = network.token("legal", agency=LEGAL_AID, user=f"lawyer.api.{tag}")
        self.court_token = network.token("court", agency=self.court, user=f"clerk.api.{tag}")
        self.partner_token = network.token("partner", agency=self.partner, user=f"partner.api.{tag}")

    def api(self, method, path, token, expect=200, **kw):
        response = self.network.api(method, path, token, **kw)
        assert response.status_code == expect, (path, response.status_code, response.text)
        return response.json()

    def accepted(self, name: str, sex: str = "male") -> str:
        """A referral the network's shelter accepted (so the legal team may open a case)."""
        body = {**demo.SAMPLE_REFERRAL, "survivor": {**demo.SAMPLE_REFERRAL["survivor"],
                                                      "name": name, "sex": sex}}
        reference = self.api("POST", "/referrals", self.police, 202, json=body)["reference"]
        self.network.wait_status(reference, "received", self.police)
        self.api("POST", f"/referrals/{reference}/decision", self.staff, json={"decision": "accept"})
        return reference

    def admitted(self, name: str) -> dict:
        reference = self.accepted(name, sex="female")
        self.network.wait_status(reference, "bed_held", self.police)
        return self.api("POST", f"/shelters/{FACILITY}/admissions", self.staff, 201,
                        json={"reference": reference, "case_manager": f"cm.{self.tag}"})

    def eligible(self, reference: str) -> None:
        """Wait until the legal service learned of the acceptance (an event)."""
        poll(lambda: reference in {e["reference"] for e in self.api("GET", "/legal/eligible",
                                                                     self.legal)},
             f"{reference} eligible for a legal case")

    def court_case(self, reference: str) -> tuple[str, str]:
        """A legal case, a court case at the module's court and a hearing: (court case, hearing)."""
        self.eligible(reference)
        case = self.api("POST", "/legal/cases", self.legal, 201,
                        json={"reference": reference, "lawyer": f"lawyer.{self.tag}"})
        court_case = self.api("POST", f"/legal/cases/{case['case_id']}/court-cases", self.legal, 201,
                              json={"court": self.court, "case_number": f"{reference[-4:]}/2026",
                                    "standing": "victim", "status": "filed",
                                    "charges": [{"statute": "law-6-2018"}]})
        starts = (datetime.now(timezone.utc) + timedelta(days=12)).strftime("%Y-%m-%dT10:00")
        hearing = self.api("POST", f"/court-cases/{court_case['court_case_id']}/hearings",
                           self.legal, 201, json={"starts_at": starts, "time_zone": "Asia/Baghdad",
                                                  "purpose": "Testimony",
                                                  "attendance_required": True})
        return court_case["court_case_id"], hearing["hearing_id"]

    def partner_referral(self, plan_id: int, reference: str) -> str:
        item = self.api("POST", f"/shelter/plans/{plan_id}/items", self.staff, 201,
                        json={"service": "case_management", "owner": f"cm.{self.tag}"})
        self.api("POST", f"/shelter/plans/{plan_id}/items/{item['item_id']}/partner-referral",
                 self.staff, 201, json={"partner_agency": self.partner,
                                        "service": "return_reintegration"})
        return next(r["partner_referral_id"] for r in self.api(
            "GET", "/partner-referrals", self.partner_token) if r["reference"] == reference)


@pytest.fixture(scope="module")
def world(network):
    return World(network)


def refused(person, form: str, field_id: str, fill=None) -> None:
    """Submit ``form`` (a selector) with the browser's own checks off, so the API judges it
    (``fill(page)`` sets the bad values first); its refusal is beside ``field_id``."""
    page = person.page
    page.evaluate("s => document.querySelector(s).noValidate = true", form)
    if fill:
        fill(page)
    page.locator(f"{form} button[type=submit]").first.click()
    page.wait_for_load_state()
    person.check_page()
    error = page.locator(f"#err-{field_id}")
    assert error.is_visible(), (form, field_id, page.url)
    control = page.locator(f"#{field_id}")
    assert control.get_attribute("aria-invalid") == "true", (form, field_id)
    assert f"err-{field_id}" in (control.get_attribute("aria-describedby") or "").split()


def open_details(page, section: str) -> None:
    """Open the folded form of a section (a <details>) unless it is open."""
    details = page.locator(f"{section} details").first
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def shows_name(person, expected: dict) -> None:
    assert expected[person.lang] in person.page.locator("body").inner_text()


# --- the legal team ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_legal_team_opens_a_case_files_a_court_case_and_schedules_a_hearing(world, person, lang):
    reference = world.accepted(f"Legal Person {world.tag} {lang}")
    world.eligible(reference)
    lawyer = person(world.lawyer, "legal", lang).sign_in()
    assert lawyer.page.url.endswith("/legal/cases")
    lawyer.reload_until(lambda: lawyer.page.locator(
        f"#f-reference option[value='{reference}']").count() == 1, "the eligible referral")
    lawyer.audit("cases")

    # bad input: no lawyer; no case is opened
    cases_before = world.api("GET", "/legal/cases", world.legal)
    lawyer.page.select_option("#f-reference", reference)
    refused(lawyer, "form[action='/legal/cases']", "f-lawyer",
            lambda page: page.fill("#f-lawyer", ""))
    assert world.api("GET", "/legal/cases", world.legal) == cases_before

    # the main action: open the case
    lawyer.page.select_option("#f-reference", reference)
    lawyer.page.fill("#f-lawyer", world.lawyer)
    lawyer.page.locator("form[action='/legal/cases'] button[type=submit]").click()
    lawyer.check_page()
    assert "/legal/cases/" in lawyer.page.url and "notice=case_opened" in lawyer.page.url
    case_id = lawyer.page.url.split("/legal/cases/")[1].split("?")[0]
    lawyer.audit("case")

    # bad input on every form of the case: each refused beside its field, the case unchanged
    case_before = world.api("GET", f"/legal/cases/{case_id}", world.legal)
    page = lawyer.page
    open_details(page, "#court-cases")
    refused(lawyer, "#court-cases form", "f-cc-court", lambda p: (
        p.fill("#f-cc-court", "Not a court!"), p.fill("#f-cc-case_number", "1/2026"),
        p.select_option("#f-cc-standing", "victim"),
        p.select_option("#f-cc-charges-0-statute", "law-6-2018")))
    open_details(page, "#sessions")
    refused(lawyer, "#sessions form", "f-ses-topic", lambda p: p.fill("#f-ses-topic", ""))
    open_details(page, "#documents")
    refused(lawyer, "#documents form", "f-doc-authority", lambda p: (
        p.select_option("#f-doc-kind", "passport"), p.fill("#f-doc-authority", "")))
    open_details(page, "#disputes")
    refused(lawyer, "#disputes form", "f-dis-currency", lambda p: (
        p.fill("#f-dis-employer", "Farm Co."), p.check("#f-dis-claims-unpaid_wages"),
        p.fill("#f-dis-currency", "dollars")))
    refused(lawyer, "#notes form", "f-note-text", lambda p: p.fill("#f-note-text", ""))
    lawyer.shot("case-errors")
    assert world.api("GET", f"/legal/cases/{case_id}", world.legal) == case_before

    # the main action: file a court case at the module's court, shown by its name
    lawyer.goto(f"/legal/cases/{case_id}")
    open_details(page, "#court-cases")
    case_number = f"{reference[-4:]}/2026"
    page.fill("#f-cc-court", world.court)
    page.fill("#f-cc-case_number", case_number)
    page.select_option("#f-cc-standing", "victim")
    page.select_option("#f-cc-status", "filed")
    page.select_option("#f-cc-charges-0-statute", "law-6-2018")
    page.locator("#court-cases form button[type=submit]").click()
    lawyer.check_page()
    assert page.locator("#court-cases a", has_text=world.court_names[lang]).count() == 1
    page.locator("#court-cases a", has_text=case_number).click()
    lawyer.check_page()
    court_case_id = page.url.split("/court-cases/")[1].split("?")[0]
    shows_name(lawyer, world.court_names)
    lawyer.audit("court-case")

    # bad input on the court case's forms, then the hearing
    court_before = world.api("GET", f"/court-cases/{court_case_id}", world.legal)
    refused(lawyer, "#schedule", "f-hr-purpose", lambda p: p.fill("#f-hr-purpose", ""))
    refused(lawyer, "#status form", "f-st-status", lambda p: p.select_option("#f-st-status", ""))
    assert world.api("GET", f"/court-cases/{court_case_id}", world.legal) == court_before
    starts = (datetime.now(timezone.utc) + timedelta(days=9)).strftime("%Y-%m-%d")
    lawyer.goto(f"/court-cases/{court_case_id}")
    page.fill("#f-hr-starts_at", f"{starts}T11:15")
    page.fill("#f-hr-purpose", "Testimony")
    page.locator("#schedule button[type=submit]").click()
    lawyer.check_page()
    assert "notice=hearing_scheduled" in page.url
    assert page.locator(".hearing-date", has_text=f"{starts} 11:15").count() == 1

    lawyer.goto("/court-cases")
    assert page.locator("tr", has_text=case_number).locator(
        "td", has_text=world.court_names[lang]).count() == 1
    lawyer.audit("court-cases")
    lawyer.goto(f"/hearings?from={starts}&to={starts}")
    assert page.locator(".hearing-date", has_text="11:15").count() >= 1
    shows_name(lawyer, world.court_names)
    lawyer.audit("hearings")
    who = page.locator(".who").inner_text()
    assert world.lawyer in who and LEGAL_AID not in who  # the agency by its name


# --- a court clerk ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_court_clerk_records_a_hearing_outcome_and_the_court_status(world, person, lang):
    reference = world.accepted(f"Court Person {world.tag} {lang}")
    court_case_id, hearing_id = world.court_case(reference)
    clerk = person(world.clerk, "court", lang).sign_in()
    page = clerk.page
    clerk.goto("/court-cases")
    row = page.locator("tr", has_text=f"{reference[-4:]}/2026")
    assert row.locator("td", has_text=world.court_names[lang]).count() == 1
    assert world.court_names[lang] in page.locator(".who").inner_text()   # the who line
    clerk.audit("court-cases")
    row.locator("a").first.click()
    clerk.check_page()
    assert court_case_id in page.url
    shows_name(clerk, world.court_names)
    clerk.audit("court-case")

    # bad input on each form: the outcome, the hearing, the status; the court case unchanged
    before = world.api("GET", f"/court-cases/{court_case_id}", world.court_token)
    open_details(page, "#hearings")
    outcome = f"f-ho{hearing_id}-outcome"
    refused(clerk, f"form[action='/hearings/{hearing_id}/outcome']", outcome,
            lambda p: p.select_option(f"#{outcome}", ""))
    refused(clerk, "#schedule", "f-hr-purpose", lambda p: p.fill("#f-hr-purpose", ""))
    refused(clerk, "#status form", "f-st-status", lambda p: p.select_option("#f-st-status", ""))
    clerk.shot("court-case-errors")
    assert world.api("GET", f"/court-cases/{court_case_id}", world.court_token) == before

    # the main action: the hearing was held, and the case goes to trial
    clerk.goto(f"/court-cases/{court_case_id}")
    open_details(page, "#hearings")
    page.select_option(f"#{outcome}", "held")
    page.locator(f"form[action='/hearings/{hearing_id}/outcome'] button[type=submit]").click()
    clerk.check_page()
    page.select_option("#f-st-status", "trial")
    page.locator("#status form button[type=submit]").click()
    clerk.check_page()
    after = world.api("GET", f"/court-cases/{court_case_id}", world.court_token)
    assert after["status"] == "trial"
    assert [h["status"] for h in after["hearings"] if h["hearing_id"] == hearing_id] == ["held"]

    first = (datetime.now(timezone.utc) + timedelta(days=12)).strftime("%Y-%m-%d")
    clerk.goto(f"/hearings?from={first}&to={first}")
    shows_name(clerk, world.court_names)
    clerk.audit("hearings")


# --- a partner agency -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_partner_agency_answers_what_was_referred_to_it(world, person, lang):
    admission = world.admitted(f"Partner Person {world.tag} {lang}")
    rid = world.partner_referral(admission["plan_id"], admission["reference"])
    officer = person(world.partner_user, "partner", lang).sign_in()
    page = officer.page
    assert page.url.endswith("/partner/referrals")
    card = page.locator(f"#pr-{rid}")
    assert card.count() == 1
    assert world.partner_names[lang] in page.locator(".who").inner_text()
    officer.audit("referred-to-us")

    # bad input: a decline without its reason; nothing changed
    before = world.api("GET", "/partner-referrals", world.partner_token)
    form = f"#pr-{rid} form:has(input[name=status][value=declined])"
    refused(officer, form, f"reason-{rid}", lambda p: p.select_option(f"#reason-{rid}", ""))
    assert world.api("GET", "/partner-referrals", world.partner_token) == before

    # the main action: accept, then done with an outcome (bad input first: no outcome)
    officer.goto("/partner/referrals")
    page.locator(f"#pr-{rid} form:has(input[name=status][value=accepted]) button").click()
    officer.check_page()
    done = f"#pr-{rid} form:has(input[name=status][value=done])"
    accepted = world.api("GET", "/partner-referrals", world.partner_token)
    refused(officer, done, f"outcome-{rid}", lambda p: p.select_option(f"#outcome-{rid}", ""))
    assert world.api("GET", "/partner-referrals", world.partner_token) == accepted
    officer.goto("/partner/referrals")
    page.select_option(f"#outcome-{rid}", "service_delivered")
    page.locator(f"{done} button").click()
    officer.check_page()
    answered = next(r for r in world.api("GET", "/partner-referrals", world.partner_token)
                    if r["partner_referral_id"] == rid)
    assert (answered["status"], answered["outcome_code"]) == ("done", "service_delivered")
    officer.audit("referred-to-us-done")
