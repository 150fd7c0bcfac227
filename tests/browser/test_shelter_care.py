"""A resident's care plan on its pages, in headless Chromium over the real network, in English
and Arabic: the case manager finds the plan in the list, records the goals, names the
psychologist, adds a cash request and a court item, marks the rights briefing done and writes
a case note; a second staff member approves the cash (the requester could not) and sees nothing
of the screening; the psychologist records the screening; the case manager then pays the cash
and reads the result. Every form first gets a wrong value: the API's refusal is shown beside
its field (``#err-...``, ``aria-invalid``) and the plan, read through the API, is unchanged.
Each page is checked with axe-core (``Person.audit``), one person on a phone."""

import uuid

import pytest

from refnet import demo
from tests.browser.conftest import PHONE, create_user

FACILITY = demo.FACILITY["id"]
REFERRAL = {  # invented
    "survivor": {"name": "Testperson Care", "sex": "female", "birth_year": 1996,
                 "age_estimated": True, "nationality": "ET", "languages": ["am"],
                 "phone": "+9647501234500"},
    "exploitation_types": ["labour"], "identified_on": "2026-11-20", "identified_place": "Erbil",
    "needs": ["shelter", "legal"], "children": [], "urgency": "urgent",
    "consent": {"given": True, "recorded_by": "Officer Test", "basis": "informed_consent"},
    "officer": {"name": "Officer Test", "unit": "Erbil TIP Unit"},
}


def admitted_resident(network, case_manager: str) -> dict:
    """A real admission: the police submit, the shelter accepts and admits with the case
    manager named (through the API, as the journey test does through the pages)."""
    police = network.token("police", agency=f"tip-care-{uuid.uuid4().hex[:6]}")
    shelter = network.token("shelter", user=case_manager, agency=FACILITY)
    submitted = network.api("POST", "/referrals", police, json=REFERRAL)
    assert submitted.status_code in (201, 202), submitted.text
    reference = submitted.json()["reference"]
    network.wait_status(reference, "received", police, timeout=30)
    decided = network.api("POST", f"/referrals/{reference}/decision", shelter,
                          json={"decision": "accept"})
    assert decided.status_code == 200, decided.text
    network.wait_status(reference, "bed_held", police, timeout=30)
    admitted = network.api("POST", f"/shelters/{FACILITY}/admissions", shelter,
                           json={"reference": reference, "case_manager": case_manager})
    assert admitted.status_code == 201, admitted.text
    return admitted.json()


def refused_beside(p, field_id: str) -> None:
    """The refusal of the API beside its field, tied to it."""
    p.check_page()
    assert p.page.locator(f"#err-{field_id}").is_visible(), p.page.url
    control = p.page.locator(f"#{field_id}")
    assert control.get_attribute("aria-invalid") == "true"
    assert f"err-{field_id}" in control.get_attribute("aria-describedby")


def submit(p, button: str) -> None:
    p.page.locator(button).click()
    p.page.wait_for_load_state()
    p.check_page()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_shelter_staff_work_a_residents_care_plan(network, person, lang):
    tag = uuid.uuid4().hex[:6]
    cm_user = create_user(network, f"cm.{tag}", "shelter", FACILITY)
    second_user = create_user(network, f"staff.{tag}", "shelter", FACILITY)
    psy_user = create_user(network, f"psy.{tag}", "shelter", FACILITY)
    admission = admitted_resident(network, cm_user)
    plan_id = admission["plan_id"]
    api = network.token("shelter", user=cm_user, agency=FACILITY)

    def plan() -> dict:
        return network.api("GET", f"/shelter/plans/{plan_id}", api).json()

    # the case manager finds the plan in the list (from the navigation) and opens it
    cm = person(cm_user, "shelter", lang).sign_in()
    cm.page.locator("nav a[href='/shelter/plans']").click()
    cm.check_page()
    cm.page.locator("#mine").check()
    submit(cm, "#plan-filters button[type=submit]")
    assert cm.page.locator(f"#plan-{plan_id}").count() == 1
    cm.audit("plans")
    cm.page.locator(f"#plan-{plan_id} a").click()
    cm.check_page()
    assert cm.page.url.endswith(f"/shelter/plans/{plan_id}")
    assert cm.page.locator("#screening").count() == 1  # the case manager's: no result yet
    cm.audit("plan")

    # goals: blank is refused beside the field, then saved
    cm.page.fill("#f-goals", "   ")
    submit(cm, "#save-goals")
    refused_beside(cm, "f-goals")
    assert plan()["goals"] is None
    cm.page.fill("#f-goals", "To learn a trade and see my daughter")
    submit(cm, "#save-goals")
    assert "notice=saved" in cm.page.url and plan()["goals"] == "To learn a trade and see my daughter"

    # the psychologist: a name instead of a user id is refused, then the user id is taken
    cm.page.fill("#f-psychologist", "Dr Test Person")
    submit(cm, "#save-psychologist")
    refused_beside(cm, "f-psychologist")
    assert plan()["psychologist"] is None
    cm.page.fill("#f-psychologist", psy_user)
    submit(cm, "#save-psychologist")
    assert plan()["psychologist"] == psy_user

    # a cash request: an amount of 0 is refused beside it, nothing added; then the request
    cm.page.select_option("#f-new-service", "cash_assistance")
    cm.page.select_option("#f-new-cash-purpose", "repatriation")
    cm.page.fill("#f-new-cash-amount", "0")
    cm.page.fill("#f-new-cash-currency", "USD")
    submit(cm, "#add-item")
    refused_beside(cm, "f-new-cash-amount")
    assert plan()["items"] == []
    cm.audit("plan-error")
    cm.page.fill("#f-new-cash-amount", "450")
    submit(cm, "#add-item")
    assert "notice=item_added" in cm.page.url
    [cash] = plan()["items"]
    item = cash["item_id"]
    assert cash["cash"] == {**cash["cash"], "amount": 450, "currency": "USD", "approved_by": None}

    # the requester cannot approve it, nor pay it before a second staff member approved it
    submit(cm, f"#approve-{item}")
    assert cm.page.locator(f"#err-approve-{item}").is_visible()
    assert plan()["items"][0]["cash"]["approved_by"] is None
    cm.page.locator(f"#change-{item} summary").click()
    cm.page.select_option(f"#f-item-{item}-status", "done")
    submit(cm, f"#save-{item}")
    refused_beside(cm, f"f-item-{item}-status")
    assert plan()["items"][0]["status"] == "planned"

    # a court item referred to the legal team
    cm.page.select_option("#f-new-service", "court_representation")
    submit(cm, "#add-item")
    court = plan()["items"][1]["item_id"]
    submit(cm, f"#legal-{court}")
    assert "notice=referred_to_legal" in cm.page.url
    assert plan()["items"][1]["legal_referral"] is not None

    # the rights briefing is done
    submit(cm, "#done-legal_rights_briefing")
    assert cm.page.locator("#m-legal_rights_briefing .s-done").count() == 1

    # a case note: blank is refused, nothing written; then the note
    cm.page.fill("#f-text", "  ")
    submit(cm, "#add-note")
    refused_beside(cm, "f-text")
    assert network.api("GET", f"/shelter/plans/{plan_id}/notes", api).json() == []
    cm.page.fill("#f-text", "First talk: she asked about her passport")
    submit(cm, "#add-note")
    assert cm.page.locator("#notes li", has_text="her passport").count() == 1

    # a second staff member, on a phone: sees the plans and the plan, none of the screening,
    # and approves the cash
    second = person(second_user, "shelter", lang, viewport=PHONE).sign_in()
    second.goto("/shelter/plans")
    second.audit("plans-phone")
    second.goto(f"/shelter/plans/{plan_id}")
    assert second.page.locator("#screening").count() == 0
    assert second.page.locator("#psychologist").count() == 0  # the case manager names them
    second.audit("plan-phone")
    submit(second, f"#approve-{item}")
    assert "notice=approved" in second.page.url
    assert plan()["items"][0]["cash"]["approved_by"] == second_user

    # the psychologist: no outcome is refused beside it; then the result
    psy = person(psy_user, "shelter", lang).sign_in()
    psy.goto(f"/shelter/plans/{plan_id}")
    assert psy.page.locator("#no-screening").count() == 1
    psy.page.fill("#f-summary", "Weekly sessions agreed")
    submit(psy, "#record-screening")
    refused_beside(psy, "f-outcome")
    assert network.api("GET", f"/shelter/plans/{plan_id}/screening", api).status_code == 404
    psy.page.select_option("#f-outcome", "support_recommended")
    submit(psy, "#record-screening")
    assert "notice=screening_recorded" in psy.page.url
    assert psy.page.locator("#screening-result").count() == 1
    psy.audit("plan-psychologist")

    # the case manager pays the approved cash and reads the screening result
    cm.goto(f"/shelter/plans/{plan_id}")
    cm.page.locator(f"#change-{item} summary").click()
    cm.page.select_option(f"#f-item-{item}-status", "done")
    submit(cm, f"#save-{item}")
    assert "notice=saved" in cm.page.url
    assert plan()["items"][0]["status"] == "done"
    assert cm.page.locator("#screening-result", has_text="Weekly sessions agreed").count() == 1
    assert cm.page.locator("#m-psychological_screening .s-done").count() == 1
    cm.shot("plan-done")
