"""The police role's pages in headless Chromium over the real network, in English and Arabic:
every page of an officer checked with axe-core (``Person.audit``: printed, screenshotted, fails
on a serious or critical violation) at phone width, bad input on every form (the API's refusal
beside its field, nothing changed), and the form that survives a dropped connection
(docs/decisions/0044): offline, the officer submits and the page shows the referral queued;
back online it goes once, exactly one referral exists and the page shows its reference; a
sign-out clears what the device kept."""

import uuid

import pytest

from tests.browser.conftest import PHONE, create_user, reference_in
from tests.browser.test_journey import fill_referral

SUBMIT = "form[action='/police/referrals/new'] button[type=submit]"
QUEUED = "#queue-items li[data-state=queued]"
SENT = "#queue-items li[data-state=sent] a"


@pytest.fixture(scope="module")
def officer_of(network):
    """One officer of a unit of this module's own (made once: `refnet user create` is slow)."""
    tag = uuid.uuid4().hex[:6]
    unit = f"tip-unit-{tag}"
    return create_user(network, f"officer.{tag}", "police", unit), unit


def referrals_of(network, unit) -> list[dict]:
    """The unit's referrals as the API lists them to the unit's own token."""
    response = network.api("GET", "/referrals", network.token("police", agency=unit))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def refused_beside(page, name: str) -> None:
    fid = "f-" + name.replace(".", "-")
    assert page.locator(f"#err-{fid}").is_visible(), name
    assert page.locator(f"#{fid}").get_attribute("aria-invalid") == "true", name
    assert f"err-{fid}" in page.locator(f"#{fid}").get_attribute("aria-describedby"), name


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_police_page_and_form(officer_of, person, network, lang):
    user, unit = officer_of
    before = {r["reference"] for r in referrals_of(network, unit)}
    officer = person(user, "police", lang, viewport=PHONE).sign_in()
    page = officer.page
    assert page.url.endswith("/police/referrals")
    officer.audit("referrals")

    # the referral form: two mistakes, each shown beside its field, and nothing sent
    officer.goto("/police/referrals/new")
    officer.audit("new-referral")
    fill_referral(page, name=None)
    page.fill("[name='survivor.phone']", "0750 123")
    page.locator(SUBMIT).click()
    officer.check_page()
    refused_beside(page, "survivor.name")
    refused_beside(page, "survivor.phone")
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")  # read out
    officer.audit("new-referral-errors")
    assert {r["reference"] for r in referrals_of(network, unit)} == before
    assert page.evaluate("localStorage.getItem('refnet.queue')") is None  # nothing left queued

    page.fill("[name='survivor.name']", "Amina K.")
    page.fill("[name='survivor.phone']", "+9647501234567")
    page.locator(SUBMIT).click()
    page.wait_for_url("**/police/referrals/RN-*")
    officer.check_page()
    reference = reference_in(page.url)
    officer.reload_until(lambda: page.locator("#status .s-received").count() == 1, "received")
    assert page.evaluate("localStorage.getItem('refnet.queue')") is None  # it went: not queued
    officer.audit("referral")

    # the withdrawal form without its reason (past the browser's own check: the API's refusal
    # is the one shown), refused beside the field, the referral unchanged
    page.eval_on_selector("form[action$='/withdraw']", "f => { f.noValidate = true; }")
    page.locator("form[action$='/withdraw'] button[type=submit]").click()
    officer.check_page()
    refused_beside(page, "reason_code")
    assert page.locator("#status .s-received").count() == 1
    officer.audit("referral-withdraw-error")

    officer.goto("/police/referrals")
    assert page.locator(f"a:has-text('{reference}')").count() == 1
    for path, name in (("/hearings", "hearings"), ("/beds", "beds")):
        officer.goto(path)
        officer.audit(name)
    assert {r["reference"] for r in referrals_of(network, unit)} == before | {reference}


def test_a_referral_sent_offline_is_queued_and_goes_once_when_the_connection_returns(
        officer_of, person, network):
    user, unit = officer_of
    before = {r["reference"] for r in referrals_of(network, unit)}
    officer = person(user, "police", "en", viewport=PHONE).sign_in()
    page = officer.page
    officer.goto("/police/referrals/new")
    # the service worker keeps the form for offline use
    page.wait_for_function("navigator.serviceWorker.controller !== null || "
                           "navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("caches.open('refnet-offline-v1').then(c => c.match("
                           "'/police/referrals/new?shell=1', {ignoreVary: true})).then(r => !!r)")

    officer.context.set_offline(True)
    page.reload()  # the form opens without a connection (the service worker's copy)
    officer.check_page()
    assert page.locator("#referral-form").count() == 1
    assert page.locator("meta[name='refnet-queue-key']").count() == 0  # the copy has no key
    assert page.input_value("[name='idempotency_key']")  # the script made one
    assert page.locator("#queue-note").is_visible()  # "you are offline"
    fill_referral(page, name="Offline Person")
    page.locator(SUBMIT).click()
    queued = page.locator(QUEUED)
    queued.wait_for()
    assert queued.count() == 1 and page.locator(SENT).count() == 0
    kept = page.evaluate("localStorage.getItem('refnet.queue')")
    assert "Offline Person" not in kept and "Erbil" not in kept  # encrypted on the device
    assert page.input_value("[name='survivor.name']") == ""  # the form is ready for the next one
    officer.shot("offline-queued")
    assert {r["reference"] for r in referrals_of(network, unit)} == before

    officer.context.set_offline(False)  # the connection returns: the queue goes by itself
    sent = page.locator(SENT)
    sent.wait_for()
    reference = sent.inner_text()
    assert reference == reference_in(reference)
    assert page.locator(QUEUED).count() == 0
    assert page.evaluate("localStorage.getItem('refnet.queue')") is None
    officer.shot("offline-sent")

    # the referral service records it in a moment: exactly one, with the reference shown
    officer.goto(f"/police/referrals/{reference}")
    officer.reload_until(lambda: page.locator("#status .s-received").count() == 1, "received")
    assert page.locator("h1", has_text=reference).count() == 1
    assert {r["reference"] for r in referrals_of(network, unit)} == before | {reference}  # one


def test_signing_out_clears_the_referrals_kept_on_the_device(officer_of, person, network):
    user, unit = officer_of
    before = {r["reference"] for r in referrals_of(network, unit)}
    officer = person(user, "police", "en", viewport=PHONE).sign_in()
    page = officer.page
    officer.goto("/police/referrals/new")
    officer.context.set_offline(True)
    fill_referral(page, name="Kept Person")
    page.locator(SUBMIT).click()
    page.locator(QUEUED).wait_for()
    # back online, but the gateway cannot take it yet (503): it stays on the device
    refused = []

    def unavailable(route):
        if route.request.method != "POST":
            return route.continue_()
        refused.append(route.request.url)
        return route.fulfill(status=503, body="")
    page.route("**/police/referrals/new", unavailable)
    with page.expect_response(lambda r: r.request.method == "POST"):
        officer.context.set_offline(False)
    page.wait_for_function("document.querySelector('#queue-items li[data-state=queued]') && "
                           "!document.querySelector('#queue-items').textContent.includes('…')")
    assert refused and page.locator(QUEUED).count() == 1
    page.locator("form[action='/sign-out'] button").click()
    page.wait_for_url("**/sign-in**")
    assert page.evaluate("localStorage.getItem('refnet.queue')") is None
    assert page.evaluate("sessionStorage.getItem('refnet.session')") is None
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    assert {r["reference"] for r in referrals_of(network, unit)} == before
