"""The legal case page's forms for a case's ends (docs/decisions/0050): close and reopen with a
reason, hand to another lawyer; each goes through the API's endpoint, and bad input comes back
on the page naming its field without reaching the legal service."""

import pytest

from services.common import errors as se

from . import web_fixtures as fx
from .test_web_pages import _cheap_hashes, accounts, get, post, sign_in, web  # noqa: F401

PAGE = f"/legal/cases/{fx.CASE}"


@pytest.fixture
def lawyer(web, accounts, rpc):  # noqa: F811
    fx.answer_everything(rpc)
    sign_in(web, accounts, "legal")
    return rpc


def _calls(rpc, method):
    return [kw for service, m, kw in rpc.calls if (service, m) == ("legal", method)]


def test_an_open_case_shows_its_history_and_the_close_and_lawyer_forms(web, lawyer):  # noqa: F811
    page = get(web, PAGE)
    assert page.status_code == 200
    assert 'id="ends"' in page.text and 'name="end-reason_code"' in page.text
    assert 'name="law-lawyer"' in page.text and 'name="re-reason_code"' not in page.text
    assert "Proceedings concluded" in page.text and "Conflict of interest" in page.text


def test_a_closed_case_shows_its_reason_and_the_reopen_form(web, lawyer):  # noqa: F811
    lawyer.responses[("legal", "get_case")] = {
        **fx.CASE_VIEW, "status": "closed", "closed_at": fx.AT, "closure_reason": "lost_contact",
        "status_history": fx.CASE_VIEW["status_history"] + [
            {"from": "open", "to": "closed", "reason_code": "lost_contact", "at": fx.AT,
             "by": "lawyer.demo", "role": "legal"}]}
    page = get(web, PAGE)
    assert "Contact lost" in page.text and 'name="re-reason_code"' in page.text
    assert 'name="end-reason_code"' not in page.text and 'name="law-lawyer"' not in page.text


@pytest.mark.parametrize("path,form,method,sent", [
    ("close", {"end-reason_code": "no_legal_remedy"}, "close_case",
     {"reason_code": "no_legal_remedy"}),
    ("reopen", {"re-reason_code": "appeal_lodged"}, "reopen_case", {"reason_code": "appeal_lodged"}),
    ("lawyer", {"law-lawyer": "lawyer.two", "law-reason_code": "leave"}, "reassign_lawyer",
     {"lawyer": "lawyer.two", "reason_code": "leave"}),
])
def test_each_form_goes_through_its_endpoint(web, lawyer, path, form, method, sent):  # noqa: F811
    lawyer.responses[("legal", method)] = {**fx.CASE_VIEW}
    response = post(web, f"{PAGE}/{path}", form, page=PAGE)
    assert response.status_code == 302 and f"#{path}" in response.headers["Location"]
    [call] = _calls(lawyer, method)
    assert {k: call[k] for k in sent} == sent and call["case_id"] == fx.CASE


@pytest.mark.parametrize("path,form,field", [
    ("close", {}, "end-reason_code"),
    ("lawyer", {"law-lawyer": "Jane Doe", "law-reason_code": "leave"}, "law-lawyer"),
    ("reopen", {"re-reason_code": "bored"}, "re-reason_code"),
])
def test_bad_input_comes_back_on_the_page_and_reaches_no_service(web, lawyer, path, form,  # noqa: F811
                                                                 field):
    if path == "reopen":  # the page shows the reopen form of a closed case
        lawyer.responses[("legal", "get_case")] = {**fx.CASE_VIEW, "status": "closed"}
    response = post(web, f"{PAGE}/{path}", form, page=PAGE)
    assert response.status_code == 422
    assert f'id="err-f-{field}"' in response.text
    assert _calls(lawyer, {"close": "close_case", "reopen": "reopen_case",
                           "lawyer": "reassign_lawyer"}[path]) == []


def test_a_refusal_of_the_service_shows_a_page_that_says_so(web, lawyer):  # noqa: F811
    lawyer.responses[("legal", "reassign_lawyer")] = se.Conflict("already assigned", field="lawyer")
    response = post(web, f"{PAGE}/lawyer", {"law-lawyer": "lawyer.demo", "law-reason_code": "leave"},
                    page=PAGE)
    assert response.status_code == 409 and "Not possible now" in response.text
