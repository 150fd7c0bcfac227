"""The web journey in headless Chromium over the real network: an officer signs in and
submits a referral (on a phone); a shelter worker signs in, accepts it and admits the person; the
officer sees ``admitted``; a lawyer opens the case, files a court case and schedules a hearing,
and the officer sees its date. The same journey in Arabic shows right-to-left pages. Every main
page of each role is screenshotted to var/screenshots/<lang>/<role>-<page>.png."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.browser.conftest import PHONE, reference_in

COURT = "erbil-criminal-court"


def fill_referral(page, *, name: str | None):
    if name is not None:
        page.fill("[name='survivor.name']", name)
    page.select_option("[name='survivor.sex']", "female")
    page.fill("[name='survivor.birth_year']", "1998")
    page.check("[name='survivor.age_estimated']")
    page.select_option("[name='survivor.nationality']", "ET")
    page.fill("[name='survivor.languages']", "am, ar")
    page.fill("[name='survivor.phone']", "+9647501234567")
    page.check("#f-exploitation_types-labour")
    page.fill("[name='identified_place']", "Erbil")
    page.check("#f-needs-legal")
    page.select_option("[name='urgency']", "urgent")
    page.select_option("[name='children.0.sex']", "female")
    page.fill("[name='children.0.age']", "6")
    page.check("[name='consent.given']")
    page.fill("[name='consent.recorded_by']", "Officer Hawre")
    page.fill("[name='officer.name']", "Officer Hawre")
    page.fill("[name='officer.unit']", "Erbil TIP Unit")


def has_status(page, code: str) -> bool:
    return page.locator(f"#status .s-{code}").count() == 1


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_officer_shelter_and_lawyer_carry_a_referral_from_intake_to_a_hearing(people, person, lang):
    officer = person(people["police"][0], "police", lang, viewport=PHONE).sign_in()
    assert officer.page.url.endswith("/police/referrals")
    cookie = next(c for c in officer.context.cookies() if c["name"] == "refnet_session")
    # Secure + HttpOnly + SameSite, and still sent: Chromium treats http://127.0.0.1 as secure
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "refnet_session" not in officer.page.evaluate("document.cookie")
    officer.shot("referrals")

    # the form: a mistake first, shown next to its field, then the referral
    officer.goto("/police/referrals/new")
    officer.shot("new-referral")
    fill_referral(officer.page, name=None)
    officer.page.locator("form[action='/police/referrals/new'] button[type=submit]").click()
    officer.check_page()
    error = officer.page.locator("#err-f-survivor-name")
    assert error.is_visible()
    assert officer.page.locator("#f-survivor-name").get_attribute("aria-invalid") == "true"
    assert officer.page.locator("#f-survivor-name").get_attribute("aria-describedby") == "err-f-survivor-name"
    officer.shot("new-referral-error")
    officer.page.fill("[name='survivor.name']", "Amina K.")
    officer.page.locator("form[action='/police/referrals/new'] button[type=submit]").click()
    officer.check_page()
    reference = reference_in(officer.page.url)
    officer.reload_until(lambda: has_status(officer.page, "received"), "received")
    officer.shot("referral")  # on a phone: shot() checks nothing spills sideways

    # the shelter accepts and admits
    shelter = person(people["shelter"][0], "shelter", lang).sign_in()
    assert shelter.page.url.endswith("/shelter/incoming")
    shelter.reload_until(lambda: shelter.page.locator(f"a:has-text('{reference}')").count() > 0,
                         "the referral in the incoming list")
    shelter.shot("incoming")
    shelter.page.locator(f"a:has-text('{reference}')").click()
    shelter.check_page()
    assert shelter.page.locator("dd", has_text="Amina K.").count() == 1  # the file, for the shelter
    shelter.shot("referral-file")
    shelter.page.locator("#accept").click()
    shelter.check_page()
    assert "notice=accepted" in shelter.page.url
    shelter.page.locator("#admit-button").click()
    shelter.check_page()
    assert "notice=admitted" in shelter.page.url
    shelter.goto("/shelter/board")
    row = shelter.page.locator("tr", has_text=reference)
    assert row.locator(".s-admitted").count() == 1
    shelter.shot("bed-board")
    shelter.goto("/shelter/milestones?state=all")
    assert shelter.page.locator("a", has_text=reference).count() >= 1  # the plan's first-week milestones
    shelter.shot("milestones")
    shelter.goto("/beds")
    shelter.shot("beds")

    # the officer sees "admitted"
    officer.goto(f"/police/referrals/{reference}")
    officer.reload_until(lambda: has_status(officer.page, "admitted"), "admitted on the police page")
    officer.shot("referral-admitted")

    # the lawyer opens the case, files a court case and schedules a hearing
    lawyer = person(people["legal"][0], "legal", lang).sign_in()
    assert lawyer.page.url.endswith("/legal/cases")
    lawyer.reload_until(lambda: lawyer.page.locator(f"#f-reference option[value='{reference}']").count() == 1,
                        "the referral eligible for a legal case")
    lawyer.shot("cases")
    lawyer.page.select_option("#f-reference", reference)
    lawyer.page.locator("form[action='/legal/cases'] button[type=submit]").click()
    lawyer.check_page()
    assert "/legal/cases/" in lawyer.page.url
    lawyer.page.locator("#court-cases summary").click()
    lawyer.page.fill("[name='cc-court']", COURT)
    case_number = f"{reference[-4:]}/2026"
    lawyer.page.fill("[name='cc-case_number']", case_number)
    lawyer.page.select_option("[name='cc-standing']", "victim")
    lawyer.page.select_option("[name='cc-status']", "filed")
    lawyer.page.select_option("[name='cc-charges.0.statute']", "law-6-2018")
    lawyer.page.locator("#court-cases form button[type=submit]").click()
    lawyer.check_page()
    lawyer.shot("case")
    lawyer.page.locator("#court-cases a", has_text=case_number).click()
    lawyer.check_page()
    starts = (datetime.now(timezone.utc) + timedelta(days=10, hours=3)).strftime("%Y-%m-%d")
    lawyer.page.fill("[name='hr-starts_at']", f"{starts}T09:30")
    lawyer.page.fill("[name='hr-purpose']", "Testimony")
    lawyer.page.locator("#schedule button[type=submit]").click()
    lawyer.check_page()
    assert "notice=hearing_scheduled" in lawyer.page.url
    assert lawyer.page.locator(".hearing-date", has_text=f"{starts} 09:30").count() == 1
    lawyer.shot("court-case")
    lawyer.goto("/hearings")
    assert lawyer.page.locator(".hearing-date", has_text="09:30").count() >= 1
    lawyer.shot("hearings")
    lawyer.goto("/court-cases")
    lawyer.shot("court-cases")

    # the officer sees the hearing's date
    officer.goto(f"/police/referrals/{reference}")
    officer.reload_until(lambda: officer.page.locator(".hearing-date", has_text=f"{starts} 09:30").count() > 0,
                         "the hearing date on the police page")
    officer.shot("referral-hearing")
    officer.goto("/hearings")
    officer.shot("hearings")
    officer.goto("/beds")
    officer.shot("beds")


def test_a_police_session_cannot_open_a_shelter_page_and_a_form_without_its_token_is_refused(
        people, person, network):
    officer = person(people["police"][0], "police").sign_in()
    for path in ("/shelter/incoming", "/shelter/board", "/legal/cases"):
        response = officer.page.goto(path)
        assert response.status == 403, path
    officer.shot("forbidden")
    # the same browser (its session cookie) posting the form without the hidden token
    refused = officer.context.request.post(f"{network.url}/police/referrals/new",
                                           form={"survivor.name": "Amina K.", "urgency": "urgent"})
    assert refused.status == 400
    with_token = officer.page.goto("/police/referrals/new")
    assert with_token.status == 200
    # and a sign-out ends the session: the pages ask to sign in again
    officer.page.locator("form[action='/sign-out'] button").click()
    assert "/sign-in" in officer.page.url
    officer.page.goto("/police/referrals")
    assert "/sign-in" in officer.page.url


def test_kurdish_pages_are_right_to_left_and_translated(people, person):
    officer = person(people["police"][0], "police", "ckb", viewport=PHONE).sign_in()
    officer.goto("/police/referrals/new")
    assert officer.page.locator("h1").inner_text() == "ڕەوانەکردنی نوێ"
    officer.shot("new-referral")
    officer.goto("/beds")
    officer.shot("beds")
