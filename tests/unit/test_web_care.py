"""The care plan pages (gateway/web/care.py) through Flask's test client and the fake RPC layer:
the list with its filters and pages, one plan with every form, each form's refusal beside its
field (422, 409, 403) with nothing sent twice, and the screening section only for the plan's
case manager and psychologist."""

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import web_fixtures as fx
from .test_web_pages import _cheap_hashes, accounts, get, parse, post, sign_in, web  # noqa: F401

ME = "intake.one"  # the shelter user of test_web_pages.USERS
AT = fx.AT


def milestone(code, state, done=False):
    return {"milestone": code, "due_at": AT, "done_at": AT if done else None,
            "done_by": ME if done else None, "state": state, "overdue_notified_at": None}


CASH = {"item_id": 3, "plan_id": 12, "service": "cash_assistance", "owner": ME, "status": "planned",
        "starts_on": None, "due_on": "2026-12-01", "created_at": AT, "requested_by": ME,
        "updated_at": AT, "completed_at": None,
        "cash": {"purpose": "repatriation", "amount": 450, "currency": "USD", "approved_by": None,
                 "approved_at": None, "paid_by": None, "paid_at": None},
        "legal_referral": None, "partner_referral": None}
COURT = {**CASH, "item_id": 4, "service": "court_representation", "cash": None, "due_on": None}
PLAN = {"plan_id": 12, "admission_id": 7, "reference": fx.REF, "facility": "erbil-shelter",
        "case_manager": ME, "psychologist": "psy.one", "status": "open", "opened_at": AT,
        "agreed_at": None, "closed_at": None, "updated_at": AT, "updated_by": ME,
        "goals": "To see my daughter again",
        "milestones": [milestone("case_manager_assigned", "done", True),
                       milestone("psychological_screening", "due"),
                       milestone("legal_rights_briefing", "overdue"), milestone("plan_agreed", "due")],
        "items": [CASH, COURT], "languages": ["ti", "ar"], "interpreter_needed": True,
        "interpreters": [{"occasion": "psychological_screening", "language": "ti",
                          "status": "booked", "updated_by": ME, "updated_at": AT},
                         {"occasion": "legal_rights_briefing", "language": "ti",
                          "status": "done", "updated_by": ME, "updated_at": AT}]}
SUMMARY = {k: v for k, v in PLAN.items()
           if k not in ("goals", "items", "milestones", "languages", "interpreter_needed", "interpreters")}
NOTES = [{"note_id": 1, "plan_id": 12, "author": "staff.two", "text": "First talk went well",
          "created_at": AT}]
SCREENING = {"plan_id": 12, "psychologist": "psy.one", "outcome": "support_recommended",
             "summary": "Weekly sessions", "screened_at": AT, "updated_at": AT}
FACILITIES = [{"facility": "erbil-shelter", "name": "Demo shelter", "status": "open"},
              {"facility": "duhok-shelter", "name": "Duhok", "status": "open"}]


def overview(plan=PLAN, screening=SCREENING, documents=(), me=ME):
    """What the shelter answers ``get_plan_overview`` for ``me``: the plan and its notes, and
    only for the plan's case manager and psychologist the screening result (None: none recorded
    yet) and the documents (the service's rule, tested against the service in
    tests/integration/test_care_audit.py)."""
    theirs = me in (plan["case_manager"], plan.get("psychologist"))
    return {"plan": plan, "notes": NOTES,
            "screening": {"shown": theirs, "result": screening if theirs else None},
            "documents": {"listed": theirs, "items": list(documents) if theirs else None}}


def answer(rpc, plan=None, screening=SCREENING):
    fx.answer_everything(rpc)
    r = rpc.responses
    r[("shelter", "list_facilities")] = FACILITIES
    r[("shelter", "list_plans")] = [{**SUMMARY, "milestones": {"done": 1, "due": 2, "overdue": 1}}]
    r[("shelter", "get_plan")] = plan or PLAN
    r[("shelter", "get_plan_overview")] = overview(plan or PLAN, screening)
    r[("shelter", "list_care_notes")] = NOTES
    r[("shelter", "get_screening")] = screening


def calls(rpc, method):
    return [kw for _, name, kw in rpc.calls if name == method]


@pytest.fixture
def shelter(web, accounts, rpc):
    answer(rpc)
    sign_in(web, accounts, "shelter")
    return web


# --- the list --------------------------------------------------------------------------------------

def test_the_list_shows_plans_with_their_milestones_and_passes_the_filters(shelter, rpc):
    page = get(shelter, "/shelter/plans")
    assert page.status_code == 200
    assert f'href="/shelter/plans/12"' in page.text and "1 overdue" in page.text
    assert calls(rpc, "list_plans")[-1]["status"] == "open"
    page = get(shelter, "/shelter/plans?status=all&mine=1&facility=duhok-shelter")
    listed = calls(rpc, "list_plans")[-1]
    assert (listed["status"], listed["case_manager"], listed["facility"]) == (None, ME, "duhok-shelter")
    get(shelter, "/shelter/plans?status=nonsense&facility=another-providers")
    listed = calls(rpc, "list_plans")[-1]
    assert (listed["status"], listed["facility"], listed["case_manager"]) == ("open", None, None)
    nav = parse(get(shelter, "/shelter/incoming").text).links
    assert "/shelter/plans" in nav


def test_the_list_asks_for_the_providers_facilities_once(shelter, rpc):
    """The facility filter and the facility names in the rows share one ``list_facilities``."""
    page = get(shelter, "/shelter/plans")
    assert page.status_code == 200 and "Demo shelter" in page.text
    assert len(calls(rpc, "list_facilities")) == 1


def test_a_long_list_is_shown_a_page_at_a_time(shelter, rpc):
    rpc.responses[("shelter", "list_plans")] = [
        {**SUMMARY, "plan_id": n, "milestones": {"done": 1, "due": 3, "overdue": 0}} for n in range(60, 0, -1)]
    first = get(shelter, "/shelter/plans")
    assert first.text.count('<tr id="plan-') == 25 and 'id="next-page"' in first.text
    assert 'id="previous-page"' not in first.text
    last = get(shelter, "/shelter/plans?page=3")
    assert last.text.count('<tr id="plan-') == 10 and 'id="next-page"' not in last.text
    assert 'id="plan-1"' in last.text and 'id="previous-page"' in last.text
    assert get(shelter, "/shelter/plans?page=99").text.count('<tr id="plan-') == 10


def test_the_plan_of_a_referral_is_found_from_the_referral_page_and_board(shelter, rpc):
    rpc.responses[("shelter", "list_plans")] = [
        {**SUMMARY, "plan_id": 20, "reference": "RN-OTHR-OTHR-OTHR-OTHR"},
        {**SUMMARY, "plan_id": 13, "status": "open"}, {**SUMMARY, "plan_id": 5, "status": "closed"}]
    found = get(shelter, f"/shelter/plans/for/{fx.REF}")
    assert found.status_code == 302 and found.headers["Location"].endswith("/shelter/plans/13")
    assert calls(rpc, "list_plans")[-1]["status"] is None
    assert get(shelter, "/shelter/plans/for/RN-NONE-NONE-NONE-NONE").status_code == 404
    board = get(shelter, "/shelter/board").text
    assert f'href="/shelter/plans/for/{fx.PLACE_ADMITTED["reference"]}"' in board


# --- one plan ------------------------------------------------------------------------------------

def test_the_case_manager_sees_every_section_with_the_screening(shelter, rpc):
    page = get(shelter, "/shelter/plans/12")
    assert page.status_code == 200
    for section in ('id="goals"', 'id="psychologist"', 'id="milestones"', 'id="items"',
                    'id="notes"', 'id="screening"', 'id="screening-result"', 'id="new-item"'):
        assert section in page.text, section
    assert "To see my daughter again" in page.text and "First talk went well" in page.text
    assert "Weekly sessions" in page.text
    # the rights briefing and the plan agreed are marked here; the screening by its result
    assert 'id="done-legal_rights_briefing"' in page.text and 'id="done-plan_agreed"' in page.text
    assert 'id="done-psychological_screening"' not in page.text
    # the cash awaits its approval; the court item may go to the legal team or a partner
    assert 'id="approve-3"' in page.text and 'id="legal-4"' in page.text and 'id="legal-3"' not in page.text
    assert "/shelter/partner-referrals/new?plan_id=12&amp;item_id=4" in page.text
    # one call to the shelter for all of it (then the survivor's name from the referral service)
    assert calls(rpc, "get_plan_overview")[-1]["plan_id"] == 12
    assert [m for s, m, _ in rpc.calls if s == "shelter" and m != "list_facilities"] == [
        "get_plan_overview"]
    assert 'id="record-screening"' not in page.text  # the psychologist records it, not the manager


def test_other_staff_see_nothing_of_the_screening_and_it_is_not_asked_for(shelter, rpc):
    answer(rpc, plan={**PLAN, "case_manager": "cm.other", "psychologist": "psy.one"})
    page = get(shelter, "/shelter/plans/12")
    assert page.status_code == 200
    assert 'id="screening"' not in page.text and "Weekly sessions" not in page.text
    assert "screening result" not in page.text.split('id="items"')[1]
    assert calls(rpc, "get_screening") == [] and len(calls(rpc, "get_plan_overview")) == 1
    assert 'id="psychologist"' not in page.text  # the case manager names the psychologist


def test_a_screening_not_shown_hides_the_section_and_no_result_shows_it_empty(shelter, rpc):
    rpc.responses[("shelter", "get_plan_overview")] = {
        **overview(), "screening": {"shown": False, "result": None}}
    page = get(shelter, "/shelter/plans/12")
    assert page.status_code == 200 and 'id="screening"' not in page.text
    rpc.responses[("shelter", "get_plan_overview")] = overview(screening=None)
    page = get(shelter, "/shelter/plans/12")
    assert page.status_code == 200 and 'id="no-screening"' in page.text


def test_the_psychologist_records_the_screening_and_a_missing_outcome_is_shown_beside_it(
        shelter, rpc):
    answer(rpc, plan={**PLAN, "case_manager": "cm.other", "psychologist": ME})
    page = get(shelter, "/shelter/plans/12")
    assert 'id="record-screening"' in page.text
    rpc.responses[("shelter", "record_screening")] = SCREENING
    done = post(shelter, "/shelter/plans/12/screening",
                {"outcome": "no_concerns", "summary": "Fine"}, page="/shelter/plans/12")
    assert done.status_code == 302 and "notice=screening_recorded" in done.headers["Location"]
    sent = calls(rpc, "record_screening")[-1]
    assert (sent["plan_id"], sent["outcome"], sent["summary"]) == (12, "no_concerns", "Fine")
    refused = post(shelter, "/shelter/plans/12/screening", {"summary": "Fine"}, page="/shelter/plans/12")
    assert refused.status_code == 422 and len(calls(rpc, "record_screening")) == 1
    assert 'id="err-f-outcome"' in refused.text and 'aria-invalid="true"' in refused.text


def test_a_closed_plan_shows_no_change_forms_but_takes_notes(shelter, rpc):
    answer(rpc, plan={**PLAN, "status": "closed", "closed_at": AT})
    page = get(shelter, "/shelter/plans/12")
    assert 'id="plan-closed"' in page.text
    for form in ('id="new-item"', 'id="save-goals"', 'id="approve-3"', 'id="done-plan_agreed"',
                 'id="record-screening"'):
        assert form not in page.text
    assert 'id="add-note"' in page.text


@pytest.mark.parametrize("lang", ["en", "ar", "ckb"])
def test_the_pages_label_every_input_and_repeat_no_id(shelter, rpc, lang):
    for path in ("/shelter/plans", "/shelter/plans/12"):
        response = get(shelter, path, headers={"Accept-Language": lang})
        assert response.status_code == 200
        page = parse(response.text)
        assert page.html_attrs["dir"] == ("rtl" if lang != "en" else "ltr")
        assert [c.get("name") for c in page.controls if c.get("id") not in page.labels] == []
        assert not {i for i in page.ids if page.ids.count(i) > 1}
        assert [link for link in page.links if "//" in link] == []


def test_the_pages_are_for_shelter_staff_only(web, accounts, rpc):
    sign_in(web, accounts, "police")
    for path in ("/shelter/plans", "/shelter/plans/12", f"/shelter/plans/for/{fx.REF}"):
        assert get(web, path).status_code == 403
    assert [c for c in rpc.calls if c[1] != "unread_count"] == []


# --- the forms -----------------------------------------------------------------------------------

def test_goals_are_saved_as_typed_and_blank_goals_are_refused_beside_the_field(shelter, rpc):
    rpc.responses[("shelter", "update_plan")] = PLAN
    done = post(shelter, "/shelter/plans/12/goals", {"goals": "Learn to sew\nSee my daughter"},
                page="/shelter/plans/12")
    assert done.status_code == 302 and done.headers["Location"].endswith("notice=saved#goals")
    assert calls(rpc, "update_plan")[-1]["goals"] == "Learn to sew\nSee my daughter"
    rpc.responses[("shelter", "update_plan")] = InvalidInput("must not be empty", field="goals")
    refused = post(shelter, "/shelter/plans/12/goals", {"goals": "   "}, page="/shelter/plans/12")
    assert refused.status_code == 422
    assert '<p class="field-error" id="err-f-goals">Required.</p>' in refused.text
    empty = post(shelter, "/shelter/plans/12/goals", {"goals": ""}, page="/shelter/plans/12")
    assert empty.status_code == 422 and 'id="err-f-goals"' in empty.text  # the API's Length


def test_only_the_case_manager_names_the_psychologist_and_a_name_is_refused(shelter, rpc):
    rpc.responses[("shelter", "update_plan")] = PLAN
    done = post(shelter, "/shelter/plans/12/psychologist", {"psychologist": "psy.two"},
                page="/shelter/plans/12")
    assert done.status_code == 302 and calls(rpc, "update_plan")[-1]["psychologist"] == "psy.two"
    refused = post(shelter, "/shelter/plans/12/psychologist", {"psychologist": "Dr Jane"},
                   page="/shelter/plans/12")
    assert refused.status_code == 422 and 'id="err-f-psychologist"' in refused.text
    assert len(calls(rpc, "update_plan")) == 1
    rpc.responses[("shelter", "update_plan")] = Forbidden(
        "only the plan's case manager assigns its psychologist", field="psychologist")
    refused = post(shelter, "/shelter/plans/12/psychologist", {"psychologist": "psy.two"},
                   page="/shelter/plans/12")
    assert refused.status_code == 403
    assert "Only the plan&#39;s case manager names its psychologist." in refused.text


def test_an_item_is_added_with_its_cash_and_refusals_go_beside_their_fields(shelter, rpc):
    rpc.responses[("shelter", "add_plan_item")] = CASH
    form = {"new-service": "cash_assistance", "new-owner": ME, "new-starts_on": "",
            "new-due_on": "2026-12-01", "new-cash.purpose": "repatriation",
            "new-cash.amount": "450", "new-cash.currency": "USD"}
    done = post(shelter, "/shelter/plans/12/items", form, page="/shelter/plans/12")
    assert done.status_code == 302 and "notice=item_added" in done.headers["Location"]
    sent = calls(rpc, "add_plan_item")[-1]
    assert (sent["plan_id"], sent["service_code"], sent["owner"], sent["due_on"], sent["starts_on"],
            sent["cash"]) == (12, "cash_assistance", ME, "2026-12-01", None,
                              {"purpose": "repatriation", "amount": 450, "currency": "USD"})
    # the gateway's schema: an amount of 0 and a lower-case currency, beside their fields
    refused = post(shelter, "/shelter/plans/12/items", {**form, "new-cash.amount": "0",
                                                         "new-cash.currency": "usd"},
                   page="/shelter/plans/12")
    assert refused.status_code == 422 and len(calls(rpc, "add_plan_item")) == 1
    assert 'id="err-f-new-cash-amount"' in refused.text and 'id="err-f-new-cash-currency"' in refused.text
    assert 'value="0"' in refused.text  # the form again, as typed
    # the service's: the due date before the start, cash details missing
    rpc.responses[("shelter", "add_plan_item")] = InvalidInput("must not be before starts_on",
                                                               field="due_on")
    refused = post(shelter, "/shelter/plans/12/items", form, page="/shelter/plans/12")
    assert refused.status_code == 422
    assert 'id="err-f-new-due_on">The due date is before the start date.' in refused.text
    rpc.responses[("shelter", "add_plan_item")] = InvalidInput(
        "cash assistance needs purpose, amount and currency", field="cash")
    refused = post(shelter, "/shelter/plans/12/items", {"new-service": "cash_assistance",
                                                         "new-owner": ME}, page="/shelter/plans/12")
    assert 'id="err-f-new-cash">Cash assistance needs a purpose' in refused.text
    fieldset = " ".join(refused.text.split('id="f-new-cash"')[1].split(">")[0].split())
    assert fieldset == 'aria-describedby="hint-f-new-cash err-f-new-cash" aria-invalid="true"'


def test_an_item_is_changed_and_paying_unapproved_cash_is_refused_at_its_status(shelter, rpc):
    rpc.responses[("shelter", "update_plan_item")] = CASH
    form = {"item-3-status": "in_progress", "item-3-owner": "staff.two", "item-3-starts_on": "",
            "item-3-due_on": "2026-12-02"}
    done = post(shelter, "/shelter/plans/12/items/3", form, page="/shelter/plans/12")
    assert done.status_code == 302 and done.headers["Location"].endswith("#item-3")
    sent = calls(rpc, "update_plan_item")[-1]
    assert (sent["item_id"], sent["status"], sent["owner"], sent["due_on"]) == (
        3, "in_progress", "staff.two", "2026-12-02")
    rpc.responses[("shelter", "update_plan_item")] = Conflict(
        "cash assistance is paid only after a second staff member approved it", field="approval")
    refused = post(shelter, "/shelter/plans/12/items/3", {**form, "item-3-status": "done"},
                   page="/shelter/plans/12")
    assert refused.status_code == 409
    assert ('id="err-f-item-3-status">Cash is paid only after a second staff member approved it.'
            in refused.text)
    assert '<details open id="change-3">' in refused.text


def test_the_requester_approving_their_own_cash_is_told_beside_the_button(shelter, rpc):
    rpc.responses[("shelter", "approve_plan_item")] = Forbidden(
        "the staff member who requested cash assistance cannot approve it; a second staff member must",
        field="approval")
    refused = post(shelter, "/shelter/plans/12/items/3/approval", {}, page="/shelter/plans/12")
    assert refused.status_code == 403
    assert 'id="err-approve-3" role="alert">You requested this cash' in refused.text
    assert 'id="approve-3" aria-describedby="err-approve-3"' in refused.text
    rpc.responses[("shelter", "approve_plan_item")] = {**CASH, "cash": {**CASH["cash"],
                                                                        "approved_by": "staff.two"}}
    done = post(shelter, "/shelter/plans/12/items/3/approval", {}, page="/shelter/plans/12")
    assert done.status_code == 302 and "notice=approved" in done.headers["Location"]
    assert calls(rpc, "approve_plan_item")[-1]["item_id"] == 3


def test_a_legal_item_goes_to_the_legal_team_once(shelter, rpc):
    rpc.responses[("shelter", "refer_plan_item")] = COURT
    done = post(shelter, "/shelter/plans/12/items/4/legal-referral", {}, page="/shelter/plans/12")
    assert done.status_code == 302 and "notice=referred_to_legal" in done.headers["Location"]
    rpc.responses[("shelter", "refer_plan_item")] = Conflict(
        "the item was already referred to the legal team", field="item")
    refused = post(shelter, "/shelter/plans/12/items/4/legal-referral", {}, page="/shelter/plans/12")
    assert refused.status_code == 409
    assert 'id="err-legal-4" role="alert">The item was already referred' in refused.text


def test_a_milestone_is_marked_done(shelter, rpc):
    rpc.responses[("shelter", "complete_milestone")] = milestone("legal_rights_briefing", "done", True)
    done = post(shelter, "/shelter/plans/12/milestones/legal_rights_briefing/done", {},
                page="/shelter/plans/12")
    assert done.status_code == 302 and done.headers["Location"].endswith(
        "notice=milestone_done#milestones")
    assert calls(rpc, "complete_milestone")[-1]["milestone"] == "legal_rights_briefing"
    rpc.responses[("shelter", "complete_milestone")] = Conflict(
        "plan 12 is closed (the resident was discharged)", field="plan")
    refused = post(shelter, "/shelter/plans/12/milestones/plan_agreed/done", {},
                   page="/shelter/plans/12")
    assert refused.status_code == 409 and 'id="err-milestone-plan_agreed"' in refused.text
    assert "The plan is closed" in refused.text


def test_languages_and_interpreter_bookings_are_shown_and_sent_from_the_plan(shelter, rpc):
    page = get(shelter, "/shelter/plans/12")
    assert 'id="i-psychological_screening"' in page.text and "ti, ar" in page.text
    assert 'id="save-interpreter-psychological_screening"' in page.text
    assert 'id="save-interpreter-legal_rights_briefing"' not in page.text  # done is final
    rpc.responses[("shelter", "set_languages")] = PLAN
    saved = post(shelter, "/shelter/plans/12/languages",
                 {"languages": " ti , ar ", "interpreter_needed": "on"}, page="/shelter/plans/12")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#interpreters")
    assert {k: calls(rpc, "set_languages")[-1][k] for k in ("languages", "interpreter_needed")} == {
        "languages": ["ti", "ar"], "interpreter_needed": True}
    rpc.responses[("shelter", "set_interpreter")] = Conflict(
        "an interpreter booking that is requested cannot become done", field="status")
    refused = post(shelter, "/shelter/plans/12/interpreters/psychological_screening",
                   {"interpreter-psychological_screening-language": "ti",
                    "interpreter-psychological_screening-status": "done"}, page="/shelter/plans/12")
    assert refused.status_code == 409
    assert 'id="err-f-interpreter-psychological_screening-status"' in refused.text
    assert calls(rpc, "set_interpreter")[-1]["occasion"] == "psychological_screening"


def test_a_note_is_added_as_typed_and_a_blank_one_is_refused(shelter, rpc):
    rpc.responses[("shelter", "add_care_note")] = NOTES[0]
    done = post(shelter, "/shelter/plans/12/notes", {"text": " She asked about her passport "},
                page="/shelter/plans/12")
    assert done.status_code == 302 and "notice=note_added" in done.headers["Location"]
    assert calls(rpc, "add_care_note")[-1]["text"] == " She asked about her passport "
    refused = post(shelter, "/shelter/plans/12/notes", {"text": ""}, page="/shelter/plans/12")
    assert refused.status_code == 422 and 'id="err-f-text"' in refused.text
    assert len(calls(rpc, "add_care_note")) == 1


def test_refusals_are_translated(web, accounts, rpc):
    answer(rpc)
    sign_in(web, accounts, "shelter", lang="ar")
    rpc.responses[("shelter", "approve_plan_item")] = Forbidden(
        "the staff member who requested cash assistance cannot approve it; a second staff member must",
        field="approval")
    web.set_cookie("refnet_lang", "ar", domain="localhost")
    refused = post(web, "/shelter/plans/12/items/3/approval", {}, page="/shelter/plans/12")
    assert refused.status_code == 403 and "You requested" not in refused.text
    assert 'id="err-approve-3"' in refused.text
