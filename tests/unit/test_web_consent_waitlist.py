"""The shelter's consent, waiting-list and residents'-hearings pages (gateway/web/consent.py,
waitlist.py, residents.py) through Flask's test client and the fake RPC layer: what each shows,
that each form sends exactly what the API takes, and that a refusal shows beside its field with
nothing sent on to the services or nothing changed."""

import pytest

from services.common import errors as se

from . import web_fixtures as fx
from .test_web_pages import _cheap_hashes, accounts, get, parse, post, sign_in, web  # noqa: F401

CONSENT_PAGE = f"/shelter/referrals/{fx.REF}/consent"
AGENCIES = [{"id": "erbil-shelter", "kind": "shelter_provider", "active": True, "region": "Erbil",
             "names": {"en": "Safe Haven", "ar": "الملاذ الآمن"}, "services": ["shelter"],
             "languages": ["ar"], "routing_order": 1},
            {"id": "duhok-gov-shelter", "kind": "shelter_provider", "active": True,
             "region": "Duhok", "names": {"en": "Duhok House"}, "services": ["shelter"],
             "languages": ["ar"], "routing_order": 2},
            {"id": "erbil-criminal-court", "kind": "court", "active": True, "region": "Erbil",
             "names": {"en": "Erbil Criminal Court"}, "services": [], "languages": [],
             "routing_order": None}]
CONSENT = {
    "reference": fx.REF,
    "referring_police": {"share": True, "until": None, "withdrawn_at": None},
    "legal_team": {"share": False, "until": None, "withdrawn_at": "2026-11-21T10:00:00Z"},
    "providers": [{"agency": "*", "share": True, "until": None, "withdrawn_at": None},
                  {"agency": "duhok-gov-shelter", "share": True, "until": "2027-01-31T23:59:59Z",
                   "withdrawn_at": None}],
    "history": [
        {"audience": "provider", "agency": "*", "share": True,
         "purpose": "consent given with the referral", "until": None,
         "recorded_by": "officer.one", "recorded_at": fx.AT},
        {"audience": "legal_team", "agency": None, "share": False, "purpose": None, "until": None,
         "recorded_by": "intake.one", "recorded_at": "2026-11-21T10:00:00Z"},
        {"audience": "provider", "agency": "duhok-gov-shelter", "share": True,
         "purpose": "a transfer nearer her family", "until": "2027-01-31T23:59:59Z",
         "recorded_by": "intake.one", "recorded_at": "2026-11-22T10:00:00Z"}]}
WAITLIST = [
    {"reference": "RN-WAIT-WAIT-WAIT-WAIT", "population_group": "women", "position": 1, "beds": 1,
     "urgency": "routine", "waitlisted_at": fx.AT, "priority": 10,
     "priority_reason": "medical appointment in Erbil", "priority_set_by": "manager.one",
     "priority_set_at": "2026-11-21T08:00:00Z"},
    {"reference": "RN-LATE-LATE-LATE-LATE", "population_group": "women", "position": 2, "beds": 2,
     "urgency": "urgent", "waitlisted_at": fx.AT, "priority": 0, "priority_reason": None,
     "priority_set_by": None, "priority_set_at": None}]
TASK = "1" * 32
HEARINGS = [
    {"hearing_id": fx.HEARING, "reference": fx.REF, "court": "erbil-criminal-court",
     "starts_at": "2026-12-10T06:30:00Z", "starts_at_local": "2026-12-10T09:30:00+03:00",
     "time_zone": "Asia/Baghdad", "attendance_required": True, "status": "scheduled",
     "accompaniment": {"task": "accompany_to_court", "status": "assigned",
                       "reminded_at": "2026-12-07T06:30:00Z", "due_at": "2026-12-07T06:30:00Z",
                       "task_id": TASK, "assignee": "staff.two"}},
    {"hearing_id": "b" * 32, "reference": fx.REF, "court": "duhok-criminal-court",
     "starts_at": "2027-01-10T07:00:00Z", "starts_at_local": "2027-01-10T10:00:00+03:00",
     "time_zone": "Asia/Baghdad", "attendance_required": False, "status": "scheduled",
     "accompaniment": None}]


def _answer(rpc):
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_consent")] = CONSENT
    rpc.responses[("referral", "record_consent")] = CONSENT
    rpc.responses[("referral", "list_agencies")] = AGENCIES
    rpc.responses[("shelter", "waitlist")] = WAITLIST
    rpc.responses[("shelter", "reorder_waitlist")] = WAITLIST[1]
    rpc.responses[("shelter", "list_hearings")] = HEARINGS


def _sent(rpc, method):
    return [kw for _, m, kw in rpc.calls if m == method]


# --- consent ---------------------------------------------------------------------------------------

def test_the_referral_page_links_to_its_consent_page(web, accounts, rpc):
    _answer(rpc)
    sign_in(web, accounts, "shelter")
    page = get(web, f"/shelter/referrals/{fx.REF}")
    assert f'href="{CONSENT_PAGE}"' in page.text


def test_the_consent_page_shows_each_audience_and_the_history_newest_first(web, accounts, rpc):
    _answer(rpc)
    sign_in(web, accounts, "shelter")
    page = get(web, CONSENT_PAGE)
    assert page.status_code == 200
    assert _sent(rpc, "get_consent")[0]["reference"] == fx.REF
    text = page.text
    assert 'id="now-referring_police"' in text and 'id="now-legal_team"' in text
    assert 'id="now-provider-network"' in text and "Every provider the referral is offered to" in text
    assert "Duhok House" in text  # the provider by its name in the directory
    # a withdraw button for each standing consent, none for the network's (no agency id)
    assert text.count('name="wd-audience" value="referring_police"') == 1
    assert 'name="wd-audience" value="legal_team"' not in text
    assert text.count('name="wd-agency" value="duhok-gov-shelter"') == 1
    history = text.split('id="consent-history"', 1)[1]
    assert history.index("a transfer nearer her family") < history.index("consent given with the referral")
    assert "2027-01-31" in history and "intake.one" in history and "officer.one" in history
    assert "Amina" not in text  # no name of the survivor on this page


def test_recording_a_consent_sends_the_audience_agency_purpose_and_end_date(web, accounts, rpc):
    _answer(rpc)
    sign_in(web, accounts, "shelter")
    done = post(web, f"{CONSENT_PAGE}/give", {
        "give-audience": "provider", "give-agency": "erbil-shelter",
        "give-purpose": "to plan her stay", "give-until": "2027-02-01"}, page=CONSENT_PAGE)
    assert done.status_code == 302 and "notice=consent_recorded" in done.headers["Location"]
    [sent] = _sent(rpc, "record_consent")
    assert (sent["reference"], sent["audience"], sent["agency"], sent["share"], sent["purpose"],
            sent["until"]) == (fx.REF, "provider", "erbil-shelter", True, "to plan her stay",
                               "2027-02-01")
    assert _sent(rpc, "apply_consent") == []  # the file stays in the referral service


def test_withdrawing_the_legal_teams_consent_tells_the_legal_service_too(web, accounts, rpc):
    _answer(rpc)
    sign_in(web, accounts, "shelter")
    done = post(web, f"{CONSENT_PAGE}/withdraw", {"wd-audience": "legal_team"}, page=CONSENT_PAGE)
    assert done.status_code == 302 and "notice=consent_withdrawn" in done.headers["Location"]
    [sent] = _sent(rpc, "record_consent")
    assert (sent["audience"], sent["share"], sent["agency"], sent["purpose"]) == (
        "legal_team", False, None, None)
    assert _sent(rpc, "apply_consent")[0]["granted"] is False


@pytest.mark.parametrize("form,data,field", [
    ("give", {"give-audience": "provider", "give-purpose": "to plan"}, "give-agency"),
    ("withdraw", {"wd-audience": "legal_team", "wd-agency": "erbil-shelter"}, "wd-agency"),
    ("give", {"give-audience": "legal_team", "give-purpose": "x", "give-until": "someday"},
     "give-until"),
])
def test_a_consent_form_the_api_refuses_shows_why_beside_the_field_and_sends_nothing(
        web, accounts, rpc, form, data, field):
    _answer(rpc)
    sign_in(web, accounts, "shelter")
    refused = post(web, f"{CONSENT_PAGE}/{form}", data, page=CONSENT_PAGE)
    assert refused.status_code == 422
    assert f'id="err-f-{field}"' in refused.text
    assert f'aria-describedby="hint-f-{field} err-f-{field}" aria-invalid="true"' in refused.text \
        or f'aria-describedby="err-f-{field}" aria-invalid="true"' in refused.text
    assert _sent(rpc, "record_consent") == []


def test_a_grant_the_service_refuses_shows_its_reason_at_the_purpose(web, accounts, rpc):
    _answer(rpc)
    rpc.responses[("referral", "record_consent")] = se.InvalidInput(
        "a grant needs a purpose (1 to 200 characters)", field="purpose")
    sign_in(web, accounts, "shelter")
    refused = post(web, f"{CONSENT_PAGE}/give", {"give-audience": "legal_team"}, page=CONSENT_PAGE)
    assert refused.status_code == 422
    assert 'id="err-f-give-purpose"' in refused.text and "Say what sharing is for." in refused.text


def test_a_referral_another_provider_holds_has_no_consent_page(web, accounts, rpc):
    _answer(rpc)
    rpc.responses[("referral", "get_consent")] = se.NotFound("no referral", field="reference")
    sign_in(web, accounts, "shelter")
    assert get(web, CONSENT_PAGE).status_code == 404


# --- the waiting list ------------------------------------------------------------------------------

def test_the_waiting_list_shows_place_priority_and_the_last_change_with_its_reason(web, accounts, rpc):
    _answer(rpc)
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/waitlist?group=women")
    assert page.status_code == 200
    assert _sent(rpc, "waitlist")[0]["population_group"] == "women"
    row = page.text.split('id="wait-RN-WAIT-WAIT-WAIT-WAIT"', 1)[1].split("</li>", 1)[0]
    assert "medical appointment in Erbil" in row and "manager.one" in row
    assert 'value="10"' in row  # the form starts from the entry's priority
    assert 'href="/shelter/waitlist"' in page.text  # in the shelter's navigation


def test_moving_an_entry_sends_its_priority_and_reason(web, accounts, rpc):
    _answer(rpc)
    sign_in(web, accounts, "shelter")
    ref = "RN-LATE-LATE-LATE-LATE"
    done = post(web, f"/shelter/waitlist/{ref}/priority",
                {f"mv-{ref}-priority": "20", f"mv-{ref}-reason": "her hearing is next week"},
                page="/shelter/waitlist")
    assert done.status_code == 302 and "notice=waitlist_moved" in done.headers["Location"]
    [sent] = _sent(rpc, "reorder_waitlist")
    assert (sent["reference"], sent["priority"], sent["reason"]) == (ref, 20, "her hearing is next week")


@pytest.mark.parametrize("priority,reason,field,text", [
    ("500", "urgent", "priority", "A number from -100 to 100."),
    ("5", "", "reason", "Required."),
    ("five", "urgent", "priority", "Enter a whole number."),
])
def test_a_move_the_api_refuses_shows_why_beside_the_field_and_changes_nothing(
        web, accounts, rpc, priority, reason, field, text):
    _answer(rpc)
    sign_in(web, accounts, "shelter", lang="en")
    ref = "RN-LATE-LATE-LATE-LATE"
    refused = post(web, f"/shelter/waitlist/{ref}/priority",
                   {f"mv-{ref}-priority": priority, f"mv-{ref}-reason": reason},
                   page="/shelter/waitlist")
    assert refused.status_code == 422
    fid = f"f-mv-{ref}-{field}"
    assert f'<p class="field-error" id="err-{fid}">{text}</p>' in refused.text
    assert f'aria-describedby="err-{fid}" aria-invalid="true"' in refused.text
    assert _sent(rpc, "reorder_waitlist") == []
    # the other entry's form is untouched
    other = refused.text.split('id="wait-RN-WAIT-WAIT-WAIT-WAIT"', 1)[1].split("</li>", 1)[0]
    assert "field-error" not in other


def test_a_blank_reason_the_service_refuses_is_shown_at_the_reason(web, accounts, rpc):
    _answer(rpc)
    rpc.responses[("shelter", "reorder_waitlist")] = se.InvalidInput(
        "reordering the waitlist needs a reason", field="reason")
    sign_in(web, accounts, "shelter")
    ref = "RN-LATE-LATE-LATE-LATE"
    refused = post(web, f"/shelter/waitlist/{ref}/priority",
                   {f"mv-{ref}-priority": "3", f"mv-{ref}-reason": "   x"}, page="/shelter/waitlist")
    assert refused.status_code == 422 and f'id="err-f-mv-{ref}-reason"' in refused.text
    assert "Give a reason." in refused.text


def test_an_entry_that_left_the_list_meanwhile_says_so(web, accounts, rpc):
    _answer(rpc)
    rpc.responses[("shelter", "reorder_waitlist")] = se.NotFound("not on the waitlist",
                                                                 field="reference")
    sign_in(web, accounts, "shelter")
    ref = "RN-LATE-LATE-LATE-LATE"
    gone = post(web, f"/shelter/waitlist/{ref}/priority",
                {f"mv-{ref}-priority": "3", f"mv-{ref}-reason": "x"}, page="/shelter/waitlist")
    assert gone.status_code == 404 and 'id="waitlist-gone"' in gone.text


# --- residents' hearings ---------------------------------------------------------------------------

def test_residents_hearings_show_court_time_and_the_accompaniment_task(web, accounts, rpc,
                                                                       directory):
    _answer(rpc)
    directory.add("erbil-criminal-court", kind="court", names={"en": "Erbil Criminal Court"})
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/hearings")
    assert page.status_code == 200
    assert [m for _, m, _ in rpc.calls if m == "list_hearings"] == ["list_hearings"]
    row = page.text.split(f'id="hearing-{fx.HEARING}"', 1)[1].split("</tr>", 1)[0]
    assert "2026-12-10 09:30" in row and "Asia/Baghdad" in row
    assert "Erbil Criminal Court" in row  # the court by its name in the directory
    assert "staff.two" in row and f'href="/shelter/tasks?status=all#task-{TASK}"' in row
    other = page.text.split(f'id="hearing-{"b" * 32}"', 1)[1].split("</tr>", 1)[0]
    assert "None needed" in other and "duhok-criminal-court" in other  # not in the directory
    # the shelter's "Hearings" entry is this page
    nav = page.text.split("<nav", 1)[1].split("</nav>", 1)[0]
    assert 'href="/shelter/hearings"' in nav and 'href="/hearings"' not in nav


@pytest.mark.parametrize("lang", ["en", "ar", "ckb"])
def test_the_three_pages_label_every_input_in_every_language(web, accounts, rpc, lang):
    _answer(rpc)
    sign_in(web, accounts, "shelter", lang=lang)
    for path in (CONSENT_PAGE, "/shelter/waitlist", "/shelter/hearings"):
        response = get(web, path, headers={"Accept-Language": lang})
        assert response.status_code == 200, path
        page = parse(response.text)
        assert page.html_attrs == {"lang": lang, "dir": "rtl" if lang != "en" else "ltr"}
        unlabelled = [c.get("name") for c in page.controls if c.get("id") not in page.labels]
        assert unlabelled == [], (path, unlabelled)
        assert not {i for i in page.ids if page.ids.count(i) > 1}, path


@pytest.mark.parametrize("role", ["police", "legal", "court", "partner"])
@pytest.mark.parametrize("path", [CONSENT_PAGE, "/shelter/waitlist", "/shelter/hearings"])
def test_the_pages_are_for_shelter_staff_only(web, accounts, rpc, role, path):
    sign_in(web, accounts, role)
    assert get(web, path).status_code == 403
    assert [c for c in rpc.calls if c[1] != "unread_count"] == []
