"""Shelter staff's consent, waiting-list and residents'-hearings pages in headless Chromium over the
real network, in English and Arabic, with real data: the police submit two referrals (API) to a
provider of the test's own that has no beds, so accepting them puts both on its waiting list; a
lawyer opens a case for one, files a court case and schedules a hearing near enough to be
reminded at once (its accompaniment becomes a task). On each page axe-core checks WCAG 2.2 AA,
the main action is done (withdraw and record consent and see the history; move a waiting-list
entry with a reason; see the hearing in the court's time with its accompaniment task), and a
wrong value on each form shows the API's refusal beside its field with nothing changed."""

import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from refnet.harness.polling import poll
from tests.browser.conftest import PHONE, create_user

COURT = "erbil-criminal-court"


def referral_body(provider: str, name: str) -> dict:
    return {
        "survivor": {"name": name, "sex": "female", "age": 30, "nationality": "IQ",
                     "languages": ["ar"], "phone": "+9647501234567"},
        "exploitation_types": ["labour"], "identified_on": date.today().isoformat(),
        "identified_place": "Erbil", "needs": ["shelter", "legal"], "urgency": "urgent",
        "consent": {"given": True, "recorded_by": "Officer Hawre", "basis": "informed_consent"},
        "officer": {"name": "Officer Hawre", "unit": "Erbil TIP Unit"}, "addressed_to": provider,
    }


def waitlisted_referrals(network, police, shelter, provider: str, count: int) -> list[str]:
    """``count`` referrals addressed to ``provider``, accepted by it: with no bed of its own,
    each goes on its waiting list."""
    references = []
    for i in range(count):
        sent = network.api("POST", "/referrals", police,
                           json=referral_body(provider, f"Invented Person {i}"))
        assert sent.status_code == 202, sent.text
        reference = sent.json()["reference"]
        poll(lambda: reference in [r["reference"] for r in network.api(
            "GET", "/shelter/incoming", shelter).json()["items"]], "the referral offered")
        decided = network.api("POST", f"/referrals/{reference}/decision", shelter,
                              json={"decision": "accept"})
        assert decided.status_code == 200, decided.text
        references.append(reference)
    poll(lambda: {w["reference"] for w in network.api("GET", "/shelter/waitlist", shelter).json()}
         >= set(references), "the waiting list")
    return references


def hearing_soon(network, lawyer, lawyer_user: str, reference: str) -> str:
    """The lawyer's case, court case and a hearing the person must attend in two days (inside
    the reminder's lead, so it is reminded at the legal service's next look). Its local time."""
    poll(lambda: reference in [e["reference"] for e in network.api(
        "GET", "/legal/eligible", lawyer).json()], "the referral eligible for a legal case")
    case = network.api("POST", "/legal/cases", lawyer, json={"reference": reference,
                                                             "lawyer": lawyer_user})
    assert case.status_code == 201, case.text
    court_case = network.api("POST", f"/legal/cases/{case.json()['case_id']}/court-cases", lawyer,
                             json={"court": COURT, "case_number": f"{reference[-4:]}/2026",
                                   "standing": "victim", "status": "filed",
                                   "charges": [{"statute": "law-6-2018"}]})
    assert court_case.status_code == 201, court_case.text
    starts = (datetime.now(timezone.utc) + timedelta(days=2)).astimezone(ZoneInfo("Asia/Baghdad"))
    local = starts.strftime("%Y-%m-%dT%H:%M")
    hearing = network.api("POST", f"/court-cases/{court_case.json()['court_case_id']}/hearings",
                          lawyer, json={"starts_at": local, "purpose": "Testimony",
                                        "attendance_required": True})
    assert hearing.status_code == 201, hearing.text
    return local.replace("T", " ")


def refused_beside(page, field_id: str):
    """The API's refusal is shown beside the field, tied to it for assistive technology."""
    error = page.locator(f"#err-{field_id}")
    assert error.is_visible(), page.content()[:3000]
    control = page.locator(f"#{field_id}")
    assert control.get_attribute("aria-invalid") == "true"
    assert f"err-{field_id}" in control.get_attribute("aria-describedby")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_shelter_staff_keep_consent_the_waiting_list_and_hearings_on_their_pages(
        network, people, person, lang):
    tag = uuid.uuid4().hex[:6]
    provider = f"wait-shelter-{tag}"  # a provider of this test's own, without beds
    staff = create_user(network, f"staff.{tag}", "shelter", provider)
    police = network.token("police", agency=people["police"][1], user=people["police"][0])
    shelter_api = network.token("shelter", agency=provider, user=staff)
    lawyer_user = people["legal"][0]
    lawyer = network.token("legal", agency=people["legal"][1], user=lawyer_user)
    first, second = waitlisted_referrals(network, police, shelter_api, provider, 2)
    hearing_at = hearing_soon(network, lawyer, lawyer_user, first)

    def consent():
        return network.api("GET", f"/referrals/{second}/consent", shelter_api).json()

    staff_page = person(staff, "shelter", lang).sign_in()
    page = staff_page.page

    # --- consent: from the referral page, its state and history --------------------------------
    staff_page.goto(f"/shelter/referrals/{second}")
    page.locator("#consent-link").click()
    staff_page.check_page()
    assert page.url.endswith(f"/shelter/referrals/{second}/consent")
    assert page.locator("#now-legal_team .s-shared").count() == 1
    assert page.locator(f"#now-provider-{provider} .s-shared").count() == 1  # the police's
    staff_page.audit("consent")
    before = consent()

    # a file consent without its provider: refused beside the provider, nothing recorded
    page.select_option("#f-give-audience", "provider")
    page.fill("#f-give-purpose", "to plan her stay")
    page.locator("#give-button").click()
    staff_page.check_page()
    refused_beside(page, "f-give-agency")
    staff_page.audit("consent-error")
    # a withdrawal from the legal team naming a provider: refused beside the provider
    page.select_option("#f-wd-audience", "legal_team")
    page.select_option("#f-wd-agency", "erbil-shelter")
    page.locator("#withdraw-button").click()
    staff_page.check_page()
    refused_beside(page, "f-wd-agency")
    assert consent() == before
    assert page.locator("#now-legal_team .s-shared").count() == 1

    # withdraw the legal team's consent, then record it again with its purpose and end date
    page.locator("#now-legal_team button").click()
    staff_page.check_page()
    assert "notice=consent_withdrawn" in page.url
    assert page.locator("#now-legal_team .s-not-shared").count() == 1
    until = (date.today() + timedelta(days=90)).isoformat()
    page.select_option("#f-give-audience", "legal_team")
    page.fill("#f-give-purpose", "legal advice on the labour claim")
    page.fill("#f-give-until", until)
    page.locator("#give-button").click()
    staff_page.check_page()
    assert "notice=consent_recorded" in page.url
    assert page.locator("#now-legal_team .s-shared").count() == 1
    assert until in page.locator("#now-legal_team").inner_text()
    # and the file, for another provider (by its name in the directory)
    page.select_option("#f-give-audience", "provider")
    page.select_option("#f-give-agency", "erbil-shelter")
    page.fill("#f-give-purpose", "a transfer nearer her family")
    page.locator("#give-button").click()
    staff_page.check_page()
    assert page.locator("#now-provider-erbil-shelter .s-shared").count() == 1
    history = page.locator("#consent-history tbody tr")
    assert history.count() == len(before["history"]) + 3
    newest = history.nth(0).inner_text()
    assert "a transfer nearer her family" in newest and staff in newest
    assert "legal advice on the labour claim" in history.nth(1).inner_text()
    assert until in history.nth(1).inner_text()
    assert "Invented Person" not in page.content()  # no survivor's name on this page
    staff_page.shot("consent-history")

    # --- the waiting list -----------------------------------------------------------------------
    page.locator("nav a[href='/shelter/waitlist']").click()
    staff_page.check_page()
    row_first, row_second = page.locator(f"#wait-{first}"), page.locator(f"#wait-{second}")
    assert row_first.locator(".position").inner_text() == "1"
    assert row_second.locator(".position").inner_text() == "2"
    staff_page.audit("waitlist")
    # out of range, then a blank reason: each refused beside its field, the order unchanged
    row_first.locator(f"[name='mv-{first}-priority']").fill("500")
    row_first.locator(f"[name='mv-{first}-reason']").fill("very urgent")
    row_first.locator("button[type=submit]").click()
    staff_page.check_page()
    refused_beside(page, f"f-mv-{first}-priority")
    staff_page.audit("waitlist-error")
    page.locator(f"#wait-{first} [name='mv-{first}-priority']").fill("5")
    page.locator(f"#wait-{first} [name='mv-{first}-reason']").fill("   ")
    page.locator(f"#wait-{first} button[type=submit]").click()
    staff_page.check_page()
    refused_beside(page, f"f-mv-{first}-reason")
    entries = {w["reference"]: w for w in network.api("GET", "/shelter/waitlist", shelter_api).json()}
    assert (entries[first]["priority"], entries[first]["position"]) == (0, 1)
    # move the second up, with its reason
    page.locator(f"#wait-{second} [name='mv-{second}-priority']").fill("10")
    page.locator(f"#wait-{second} [name='mv-{second}-reason']").fill("medical appointment in Erbil")
    page.locator(f"#wait-{second} button[type=submit]").click()
    staff_page.check_page()
    assert "notice=waitlist_moved" in page.url
    moved = page.locator(f"#wait-{second}")
    assert moved.locator(".position").inner_text() == "1"
    assert moved.locator(".priority").inner_text() == "10"
    change = moved.locator(".priority-change").inner_text()
    assert "medical appointment in Erbil" in change and staff in change
    assert page.locator(f"#wait-{first} .position").inner_text() == "2"
    staff_page.shot("waitlist-moved")

    # --- residents' hearings with their accompaniment -------------------------------------------
    page.locator("nav a[href='/shelter/hearings']").click()
    staff_page.check_page()
    row = page.locator("tr", has=page.locator(f"a:has-text('{first}')"))
    staff_page.reload_until(lambda: row.locator(".task-link").count() == 1,
                            "the hearing's accompaniment task", timeout=90)
    assert row.locator(".hearing-date").inner_text() == hearing_at  # the court's own time
    court = network.api("GET", f"/agencies/{COURT}", shelter_api,
                        headers={"Accept-Language": lang}).json()["name"]
    assert row.locator(".court").inner_text() == court  # by its name in the directory
    assert "Asia/Baghdad" in row.inner_text()
    assert row.locator(".accompaniment .s-to_arrange").count() == 1
    staff_page.audit("hearings")
    row.locator(".task-link").click()
    staff_page.check_page()
    assert "/shelter/tasks" in page.url
    task_id = page.url.split("#task-", 1)[1]
    assert page.locator(f"#task-{task_id}", has_text=first).count() == 1

    # --- on a phone: nothing spills sideways (shot() checks it at 360 px) -------------------------
    page.set_viewport_size(PHONE)
    staff_page.viewport = PHONE
    for path, name in ((f"/shelter/referrals/{second}/consent", "consent-phone"),
                       ("/shelter/waitlist", "waitlist-phone"), ("/shelter/hearings", "hearings-phone")):
        staff_page.goto(path)
        staff_page.shot(name)
