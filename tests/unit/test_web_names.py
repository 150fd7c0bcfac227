"""Names on the pages (gateway/web/names.py, docs/decisions/0045): the shelter's own pages show the
name the survivor gave beside each reference, asked of the referral service once per page
through the API's ``survivor_names`` endpoint; no page of another role shows a name or asks for
one; agencies and courts appear by their directory names in the page's language."""

import logging

import pytest
from nameko.exceptions import RpcTimeout

from services.common import errors as se

from . import web_fixtures as fx
from .test_web_pages import FACILITIES, ROLE_PAGES, _cheap_hashes, accounts, get, sign_in, web  # noqa: F401

PLANTED = "Planted Survivor Name"
NAME_OF = {fx.REF: PLANTED, "RN-QRST-UVWX-YZ23-4567": "Second Planted Person",
           "RN-WAIT-WAIT-WAIT-WAIT": "Waiting Planted Person"}


def _names_for(**kwargs):
    """The referral service's answer, as if every reference asked were readable."""
    return {r: NAME_OF[r] for r in kwargs["references"] if r in NAME_OF}


def _names_calls(rpc):
    return [kw for service, method, kw in rpc.calls if (service, method) == ("referral", "names_for")]


@pytest.fixture
def planted(rpc):
    fx.answer_everything(rpc)
    rpc.responses[("referral", "names_for")] = _names_for
    rpc.responses[("shelter", "list_facilities")] = FACILITIES
    return rpc


@pytest.mark.parametrize("path,references", [
    ("/shelter/incoming", [fx.REF]),
    ("/shelter/board", [fx.REF, "RN-QRST-UVWX-YZ23-4567", "RN-WAIT-WAIT-WAIT-WAIT"]),
    ("/shelter/milestones?state=all", [fx.REF]),
    ("/shelter/tasks", [fx.REF]),
    ("/hearings", [fx.REF]),
])
def test_a_shelter_page_shows_each_name_beside_its_reference_with_one_call(web, accounts, planted,
                                                                            path, references):
    sign_in(web, accounts, "shelter")
    planted.calls.clear()
    page = get(web, path).text
    calls = _names_calls(planted)
    assert len(calls) == 1, path                           # one RPC for the whole page
    assert sorted(calls[0]["references"]) == sorted(references)
    assert calls[0]["caller"]["role"] == "shelter"         # the API's caller, signed for the shelter
    for reference in references:
        assert f'<span class="survivor-name" dir="auto">{NAME_OF[reference]}</span>' in page, reference


def test_the_board_names_arrivals_expected_arrivals_departures_and_the_waiting_list(web, accounts,
                                                                                    planted):
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/board").text
    census = page[page.index('id="census"'):]
    assert census.count("Second Planted Person") >= 2      # an arrival and a departure
    assert PLANTED in census                               # the expected arrival
    assert "Waiting Planted Person" in page[page.index('id="waitlist"'):]


def test_the_referral_page_shows_the_name_from_the_file_it_already_read(web, accounts, planted):
    sign_in(web, accounts, "shelter")
    planted.calls.clear()
    page = get(web, f"/shelter/referrals/{fx.REF}").text
    heading = page[page.index("<h1>"):page.index("</h1>")]
    assert fx.SUBMISSION["survivor"]["name"] in heading
    assert _names_calls(planted) == []                     # the file is the read: no second one


def test_without_consent_to_the_file_the_referral_page_shows_no_name(web, accounts, planted):
    planted.responses[("referral", "get_file")] = fx.FILE_SUMMARY
    sign_in(web, accounts, "shelter")
    page = get(web, f"/shelter/referrals/{fx.REF}").text
    assert 'class="survivor-name"' not in page and fx.SUBMISSION["survivor"]["name"] not in page


def test_a_reference_the_service_leaves_out_shows_no_name(web, accounts, planted):
    planted.responses[("referral", "names_for")] = {}      # no file this agency may read
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/incoming").text
    assert fx.REF in page and 'class="survivor-name"' not in page


@pytest.mark.parametrize("role", ["police", "legal", "court", "partner"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_page_of_another_role_asks_for_or_shows_a_name(web, accounts, planted, role, lang):
    sign_in(web, accounts, role, lang=lang)
    for path in ROLE_PAGES[role]:
        response = get(web, path, headers={"Accept-Language": lang})
        assert response.status_code == 200, path
        for name in NAME_OF.values():
            assert name not in response.text, (role, path)
        assert 'class="survivor-name"' not in response.text, (role, path)
    assert _names_calls(planted) == []


@pytest.mark.parametrize("role", ["police", "legal", "court", "partner", "admin", "analyst"])
def test_the_names_endpoint_is_for_the_shelter_only(client, token, planted, role):
    response = client.post("/api/v1/referrals/names", json={"references": [fx.REF]},
                           headers={"Authorization": f"Bearer {token(role)}"})
    assert response.status_code == 403 and PLANTED not in response.text
    assert _names_calls(planted) == []


def test_the_names_endpoint_answers_the_shelter_and_refuses_bad_input(client, token, planted):
    staff = {"Authorization": f"Bearer {token('shelter', agency='erbil-shelter')}"}
    ok = client.post("/api/v1/referrals/names", json={"references": [fx.REF]}, headers=staff)
    assert ok.status_code == 200 and ok.json == {"names": {fx.REF: PLANTED}}
    for body in ({"references": []}, {"references": ["not a reference"]},
                 {"references": [fx.REF] * 101}, {"references": fx.REF}, {}):
        refused = client.post("/api/v1/referrals/names", json=body, headers=staff)
        assert refused.status_code == 422, body
        assert refused.json["errors"][0]["field"].startswith("references"), body
    assert len(_names_calls(planted)) == 1                 # the refused ones reached no service


def test_a_silent_referral_service_leaves_the_references_and_logs_no_name(web, accounts, planted,
                                                                          caplog):
    planted.responses[("referral", "names_for")] = RpcTimeout("names_for")
    sign_in(web, accounts, "shelter")
    with caplog.at_level(logging.DEBUG):
        response = get(web, "/shelter/incoming")
    assert response.status_code == 200 and fx.REF in response.text
    assert 'class="survivor-name"' not in response.text
    assert PLANTED not in caplog.text


def test_a_refusal_of_the_names_is_the_pages_error_and_carries_no_name(web, accounts, planted):
    planted.responses[("referral", "names_for")] = se.Forbidden("role police may not")
    sign_in(web, accounts, "shelter")
    response = get(web, "/shelter/incoming")
    assert response.status_code == 403 and PLANTED not in response.text


# --- agencies and courts by their names ----------------------------------------------------------

NAMES = {
    "erbil-tip-unit": {"en": "Erbil Anti-Trafficking Police Unit", "ar": "وحدة شرطة أربيل"},
    "erbil-shelter": {"en": "Erbil Shelter", "ar": "دار أربيل"},
    "erbil-criminal-court": {"en": "Erbil Criminal Court", "ar": "محكمة جنايات أربيل"},
    "erbil-legal-aid": {"en": "Erbil Legal Aid Centre", "ar": "مركز المساعدة القانونية"},
    "iom-erbil": {"en": "Return Office Erbil", "ar": "مكتب العودة"},
}


@pytest.fixture
def named(directory):
    for agency, names in NAMES.items():
        directory.add(agency, names=names)
    return directory


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("role,path,shown", [
    ("shelter", "/shelter/incoming", ["erbil-tip-unit", "erbil-shelter"]),
    ("shelter", f"/shelter/referrals/{fx.REF}", ["erbil-tip-unit", "erbil-criminal-court"]),
    ("shelter", "/hearings", ["erbil-criminal-court"]),
    ("police", f"/police/referrals/{fx.REF}", ["erbil-tip-unit", "erbil-criminal-court"]),
    ("legal", f"/legal/cases/{fx.CASE}", ["erbil-criminal-court", "erbil-legal-aid"]),
    ("legal", "/court-cases", ["erbil-criminal-court"]),
    ("court", f"/court-cases/{fx.COURT_CASE}", ["erbil-criminal-court"]),
    ("court", "/hearings", ["erbil-criminal-court"]),
    ("partner", "/partner/referrals", ["erbil-shelter", "iom-erbil"]),
])
def test_agencies_and_courts_appear_by_their_names_in_the_pages_language(web, accounts, planted,
                                                                         named, role, path, shown,
                                                                         lang):
    sign_in(web, accounts, role, lang=lang)
    page = get(web, path, headers={"Accept-Language": lang}).text
    for agency in shown:
        assert NAMES[agency][lang] in page, (path, agency)
    # the header's who line names the person's own agency
    who = page[page.index('class="who"'):]
    who = who[:who.index("</span>")]
    assert NAMES[{"shelter": "erbil-shelter", "police": "erbil-tip-unit", "legal": "erbil-legal-aid",
                  "court": "erbil-criminal-court", "partner": "iom-erbil"}[role]][lang] in who


def test_an_agency_the_directory_lacks_shows_its_id(web, accounts, planted):
    sign_in(web, accounts, "court")
    page = get(web, "/court-cases").text
    assert "erbil-criminal-court" in page


def test_the_directory_is_read_once_per_page(web, accounts, planted, named, monkeypatch):
    reads = []
    original = named.agencies
    monkeypatch.setattr(named, "agencies", lambda: reads.append(1) or original())
    sign_in(web, accounts, "legal")
    get(web, f"/legal/cases/{fx.CASE}")
    assert len(reads) == 1


@pytest.mark.parametrize("path", ["/shelter/tasks", "/shelter/milestones?state=all"])
def test_the_providers_facilities_appear_by_their_names_asked_once(web, accounts, planted, path):
    sign_in(web, accounts, "shelter")
    planted.calls.clear()
    page = get(web, path).text
    assert "Demo shelter" in page
    assert [m for s, m, _ in planted.calls].count("list_facilities") == 1


@pytest.mark.parametrize("role,path,listed,kind", [
    ("legal", f"/legal/cases/{fx.CASE}", "courts", "court"),
    ("shelter", "/shelter/partner-referrals/new", "partner-agencies", "international_org"),
    ("shelter", f"/shelter/referrals/{fx.REF}", "providers", "shelter_provider"),
])
def test_a_field_that_takes_an_agency_id_suggests_the_agencies_by_name(web, accounts, planted,
                                                                        directory, role, path,
                                                                        listed, kind):
    directory.add("the-one", kind=kind, names={"en": "The One By Name", "ar": "الواحد"})
    directory.add("inactive-one", kind=kind, active=False, names={"en": "Closed One"})
    directory.add("police-one", kind="police_unit", names={"en": "Not This Kind"})
    planted.responses[("shelter", "referral_place")] = {  # still undecided
        "facilities": FACILITIES, "place": None}
    sign_in(web, accounts, role)
    page = get(web, path).text
    assert f'list="{listed}"' in page
    datalist = page[page.index(f'<datalist id="{listed}">'):]
    datalist = datalist[:datalist.index("</datalist>")]
    assert '<option value="the-one">The One By Name</option>' in datalist
    assert "Closed One" not in datalist and "Not This Kind" not in datalist


def test_the_care_plans_show_the_name_beside_the_reference_with_one_call(web, accounts, planted):
    planted.responses[("shelter", "list_plans")] = [fx_plan := {
        "plan_id": 1, "reference": fx.REF, "facility": "erbil-shelter", "case_manager": "intake.one",
        "psychologist": None, "status": "open", "opened_at": fx.AT, "milestones": {}}]
    planted.responses[("shelter", "get_plan_overview")] = {
        "plan": {**fx_plan, "goals": None, "items": [], "milestones": [], "agreed_at": None,
                 "closed_at": None},
        "notes": [], "screening": {"shown": True, "result": None},
        "documents": {"listed": True, "items": []}}
    sign_in(web, accounts, "shelter")
    for path in ("/shelter/plans", "/shelter/plans/1"):
        planted.calls.clear()
        page = get(web, path).text
        assert len(_names_calls(planted)) == 1, path
        assert f'<span class="survivor-name" dir="auto">{PLANTED}</span>' in page, path
        assert "Demo shelter" in page, path
