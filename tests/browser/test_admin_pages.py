"""The administrator's pages in headless Chromium over the real network, in English (desktop) and
Arabic (a 360 px phone): every page checked with axe-core; a web user added with a generated
password signs in with it; revoking their tokens ends that session; disabled, they are refused
at sign-in; a service's audit trail is filtered and verified; a poisoned message is parked and
retried. Bad input on every form: the refusal beside its field, nothing changed (docs/decisions/
0043)."""

import json
import uuid

import kombu
import pytest

from tests.browser.conftest import DESKTOP, PHONE, create_user

LONG = "x" * 130


def refused_beside(person, field_id: str) -> None:
    """The form came back with the API's refusal next to ``field_id``, tied to it."""
    person.check_page()
    assert person.page.locator(f"#err-{field_id}").is_visible()
    control = person.page.locator(f"#{field_id}")
    assert control.get_attribute("aria-invalid") == "true"
    assert f"err-{field_id}" in (control.get_attribute("aria-describedby") or "")


def sign_in_with(person, username: str, password: str) -> bool:
    """Sign in on the sign-in page (in the person's language); True when it let them in."""
    page = person.page
    page.goto("/sign-in")
    if person.lang != "en" and page.locator("html").get_attribute("lang") != person.lang:
        page.select_option("#language", person.lang)
        page.locator("form[action='/language'] button").click()
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state()
    person.check_page()
    return "/sign-in" not in page.url


def park_poison(network) -> str:
    """A malformed event straight onto the notify service's queue: it fails until the broker
    parks it (the delivery limit). Returns its message id."""
    message_id = str(uuid.uuid4())
    with kombu.Connection(network.amqp_uri) as conn:
        conn.Producer().publish(json.dumps({"event_id": "not-a-uuid", "type": "referral.submitted"}),
                                exchange="", routing_key="notify.events", delivery_mode=2,
                                content_type="application/json", message_id=message_id)
    return message_id


@pytest.mark.parametrize("lang,viewport", [("en", DESKTOP), ("ar", PHONE)])
def test_the_administrator_manages_users_tokens_the_audit_trail_and_dead_letters(
        network, person, lang, viewport):
    poison = park_poison(network)  # parked while the rest goes on (about 25 s of retries)
    tag = uuid.uuid4().hex[:6]
    admin = person(create_user(network, f"admin.{tag}", "admin", "refnet-admin"), "admin", lang,
                   viewport=viewport).sign_in()
    unit = f"tip-unit-{tag}"
    network.register_agency(unit, "police_unit")
    page = admin.page

    admin.goto("/admin/agencies")
    admin.audit("agencies")

    # --- web users: a refusal first, then a user with a generated password --------------------
    admin.goto("/admin/users")
    admin.audit("users")
    newcomer = f"officer.{tag}"
    page.fill("#f-username", newcomer)
    page.select_option("#f-role", "police")
    page.select_option("#f-agency", unit)
    page.fill("#f-password", "short")
    page.locator("#add-user button[type=submit]").click()
    refused_beside(admin, "f-password")
    assert page.locator("#f-username").input_value() == newcomer   # kept; the password is not
    assert page.locator("#f-password").input_value() == ""
    assert page.locator(f"#users td:text-is('{newcomer}')").count() == 0   # nothing changed
    admin.audit("users-refused")
    page.select_option("#f-role", "police")
    page.select_option("#f-agency", unit)
    page.locator("#add-user button[type=submit]").click()
    admin.check_page()
    secret = page.locator("#shown-secret").inner_text().strip()
    assert len(secret) >= 16 and page.locator(f"#users td:text-is('{newcomer}')").count() == 1
    admin.audit("users-created")

    # the newcomer signs in with it
    officer = person(newcomer, "police", lang, viewport=viewport)
    assert sign_in_with(officer, newcomer, secret)
    assert officer.page.url.endswith("/police/referrals")

    # a new password: a refusal beside its field, then one the administrator chooses
    admin.goto("/admin/users")
    page.select_option("#f-reset-username", newcomer)
    page.fill("#f-reset-password", "short")
    page.locator("#reset-password button[type=submit]").click()
    refused_beside(admin, "f-reset-password")
    assert officer.goto("/police/referrals").url.endswith("/police/referrals")  # unchanged: still in

    # --- tokens: a refusal, then everything the newcomer holds, their session included --------
    admin.goto("/admin/tokens")
    admin.audit("tokens")
    page.fill("#f-jti", LONG)
    page.locator("#revoke-token button[type=submit]").click()
    refused_beside(admin, "f-jti")
    admin.audit("tokens-refused")
    assert officer.goto("/police/referrals").url.endswith("/police/referrals")  # nothing changed
    page.fill("#f-user", newcomer)
    page.locator("#revoke-user button[type=submit]").click()
    admin.check_page()
    assert "notice=user_tokens_revoked" in page.url
    officer.goto("/police/referrals")
    assert "/sign-in" in officer.page.url   # the session ended with the revocation

    # --- disabling: the newcomer is refused at sign-in --------------------------------------------
    admin.goto("/admin/users")
    page.locator(f"tr[id='user-{newcomer}'] button[type=submit]").click()
    admin.check_page()
    assert "notice=user_disabled" in page.url
    assert not sign_in_with(officer, newcomer, secret)

    # --- the audit trail: what was just done, a refused filter, a verify ------------------------
    admin.goto(f"/admin/audit?service=referral&object=web_user:{newcomer}")
    actions = page.locator("#entries tbody tr td:nth-child(6)").all_inner_texts()
    assert {"web_user.create", "web_user.disable"} <= set(actions), actions
    admin.audit("audit")
    page.fill("#f-object", LONG)
    page.locator("#filter button[type=submit]").click()
    refused_beside(admin, "f-object")
    page.evaluate("document.querySelector('#f-verify-service').options[0].value = 'gateway'")
    page.select_option("#f-verify-service", index=0)
    page.locator("#verify button[type=submit]").click()
    refused_beside(admin, "f-verify-service")
    admin.goto("/admin/audit?service=shelter")
    page.select_option("#f-verify-service", "shelter")
    page.locator("#verify button[type=submit]").click()
    admin.check_page()
    result = page.locator("#verify-result")
    assert result.is_visible() and "notice" in (result.get_attribute("class") or "")
    admin.audit("audit-verified")

    # --- dead letters: the parked message, a retry of one that is not there, then its retry ----
    admin.goto("/admin/dead-letters")
    row = page.locator("#dead-letters tr", has_text=poison)
    admin.reload_until(lambda: row.count() == 1, "the poisoned message parked", timeout=90)
    assert "not-a-uuid" not in page.content()   # never the body
    admin.audit("dead-letters")
    row.locator("input[name=id]").evaluate("input => { input.value = 'nothing@none'; }")
    row.locator("button[type=submit]").click()
    admin.check_page()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#dead-letters tr", has_text=poison).count() == 1   # still parked
    row.locator("button[type=submit]").click()
    admin.check_page()
    assert "notice=dead_letter_retried" in page.url
    assert page.locator("#dead-letters tr", has_text=poison).count() == 0
    admin.audit("dead-letters-retried")
