"""The gateway side of notifications (docs/decisions/0042), with the fake RPC layer of conftest:
the inbox and preferences endpoints (each refused preference named, nothing sent to the notify
service), the inbox pages, the unread badge in every page's header (present when the notify
service answers, absent when it does not, asked within a short timeout and kept a few seconds),
and the RPC client's per-call timeout."""

import pytest
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from gateway.unread import UnreadCounts
from services.common import errors as se
from services.contracts.vocabulary import NOTIFY_MOMENTS, ROLES

from . import web_fixtures as fx
from .test_gateway_api import assert_problem
from .test_web_pages import (BASE, USERS, _cheap_hashes, accounts, csrf_of, get, parse,  # noqa: F401
                             sign_in, web)

AT = "2026-11-20T09:30:00Z"
ITEMS = [
    {"id": 12, "moment": "referral_accepted", "reference": fx.REF,
     "link": f"https://refnet.example/police/referrals/{fx.REF}",
     "text": f"Referral {fx.REF} was accepted — open refnet", "urgent": False,
     "created_at": AT, "read": False},
    {"id": 11, "moment": "hold_expiring", "reference": fx.REF,
     "link": f"/shelter/referrals/{fx.REF}", "text": f"Bed hold for {fx.REF} ends soon",
     "urgent": True, "created_at": AT, "read": True},
    {"id": 10, "moment": "delivery_failed", "reference": None, "link": "https://evil.example.org/",
     "text": "A message could not be sent", "urgent": True, "created_at": AT, "read": True},
]
INBOX = {"items": ITEMS, "next_cursor": "c-10", "unread": 1}
SAVED = {"language": "ckb", "email": "officer@police.example.org", "phone": "+9647501234567",
         "time_zone": "Asia/Baghdad", "quiet_hours": {"start": "22:00", "end": "07:00"},
         "digest": {"enabled": True, "hour": 9},
         "moments": {"referral_accepted": ["email", "sms"], "referral_declined": ["sms"]}}
GOOD = {"language": "ar", "email": "a@example.org", "phone": "+9647501234567",
        "time_zone": "Europe/Berlin", "quiet_hours": {"start": "22:00", "end": "07:00"},
        "digest": {"enabled": False, "hour": 8},
        "moments": {"referral_offered": ["inbox", "email"], "hold_expiring": ["sms"]}}


def _kwargs(rpc, method):
    [found] = [kw for s, m, kw in rpc.calls if (s, m) == ("notify", method)]
    return found


# --- the API ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_its_own_inbox_in_the_language_it_asks_for(client, rpc, auth, role):
    rpc.responses[("notify", "list_inbox")] = INBOX
    response = client.get("/api/v1/inbox", headers={**auth(role, user=f"{role}.one"),
                                                    "Accept-Language": "ckb, en;q=0.5"})
    assert response.status_code == 200
    assert response.get_json() == INBOX
    kwargs = _kwargs(rpc, "list_inbox")
    assert kwargs["caller"]["user"] == f"{role}.one" and kwargs["caller"]["role"] == role
    assert kwargs["language"] == "ckb"
    assert (kwargs["unread_only"], kwargs["cursor"], kwargs["limit"]) == (False, None, 50)


@pytest.mark.parametrize("header,language", [(None, None), ("fr", None), ("ar-IQ", "ar"),
                                             ("en-GB,ar;q=0.3", "en")])
def test_the_inbox_language_is_the_requests_or_left_to_the_saved_one(client, rpc, auth, header,
                                                                     language):
    headers = auth("police") | ({"Accept-Language": header} if header else {})
    assert client.get("/api/v1/inbox", headers=headers).status_code == 200
    assert _kwargs(rpc, "list_inbox")["language"] == language


def test_unread_only_and_the_cursor_go_to_the_service(client, rpc, auth):
    response = client.get("/api/v1/inbox?unread=true&cursor=c-10&limit=5", headers=auth("shelter"))
    assert response.status_code == 200
    kwargs = _kwargs(rpc, "list_inbox")
    assert (kwargs["unread_only"], kwargs["cursor"], kwargs["limit"]) == (True, "c-10", 5)


@pytest.mark.parametrize("query,field", [("unread=perhaps", "unread"), ("limit=0", "limit"),
                                         ("limit=101", "limit"), ("cursor=" + "x" * 201, "cursor"),
                                         ("mine=true", "mine")])
def test_a_bad_inbox_query_is_422_naming_it(client, rpc, auth, query, field):
    assert_problem(client.get(f"/api/v1/inbox?{query}", headers=auth("police")), 422, field=field)
    assert rpc.calls == []


def test_the_unread_count(client, rpc, auth):
    rpc.responses[("notify", "unread_count")] = {"unread": 4}
    response = client.get("/api/v1/inbox/unread", headers=auth("legal"))
    assert response.status_code == 200 and response.get_json() == {"unread": 4}
    assert rpc.calls[0][:2] == ("notify", "unread_count")


def test_mark_read_sends_the_numeric_id(client, rpc, auth):
    rpc.responses[("notify", "mark_read")] = {"id": 12, "read": True}
    response = client.post("/api/v1/inbox/12/read", headers=auth("court"))
    assert response.status_code == 200 and response.get_json() == {"id": 12, "read": True}
    assert _kwargs(rpc, "mark_read")["notification_id"] == 12


def test_mark_read_of_a_notification_not_in_the_inbox_is_404(client, rpc, auth):
    rpc.responses[("notify", "mark_read")] = se.NotFound("not in your inbox",
                                                         field="notification_id")
    problem = assert_problem(client.post("/api/v1/inbox/999/read", headers=auth("police")), 404,
                             field="notification_id")
    assert problem["code"] == "not-found"


@pytest.mark.parametrize("notification_id", ["abc", "1e3", "9" * 13])
def test_mark_read_of_no_id_is_404_without_asking(client, rpc, auth, notification_id):
    assert_problem(client.post(f"/api/v1/inbox/{notification_id}/read", headers=auth("police")),
                   404, field="notification_id")
    assert rpc.calls == []


def test_a_silent_notify_service_is_503_with_retry_after(client, rpc, auth):
    rpc.responses[("notify", "list_inbox")] = RpcTimeout(5)
    response = client.get("/api/v1/inbox", headers=auth("police"))
    assert_problem(response, 503)
    assert response.headers["Retry-After"]


def test_unauthenticated_inbox_and_preferences_are_401(client, rpc):
    for method, path in [("GET", "/api/v1/inbox"), ("GET", "/api/v1/inbox/unread"),
                         ("POST", "/api/v1/inbox/1/read"), ("GET", "/api/v1/me/preferences"),
                         ("PUT", "/api/v1/me/preferences")]:
        assert_problem(client.open(path, method=method, json=GOOD if method == "PUT" else None),
                       401, field="Authorization")
    assert rpc.calls == []


def test_get_preferences(client, rpc, auth):
    rpc.responses[("notify", "get_preferences")] = SAVED
    response = client.get("/api/v1/me/preferences", headers=auth("analyst"))
    assert response.status_code == 200 and response.get_json() == SAVED


def test_put_preferences_sends_them_for_the_caller_only(client, rpc, auth):
    rpc.responses[("notify", "save_preferences")] = lambda **kw: kw["preferences"]
    response = client.put("/api/v1/me/preferences", json=GOOD,
                          headers=auth("shelter", user="intake.one"))
    assert response.status_code == 200
    kwargs = _kwargs(rpc, "save_preferences")
    assert kwargs["preferences"] == GOOD
    assert kwargs["caller"]["user"] == "intake.one" and set(kwargs) == {"caller", "preferences"}


def test_put_preferences_takes_nulls_and_leaves_out_what_is_not_given(client, rpc, auth):
    body = {"email": None, "phone": None, "quiet_hours": None}
    assert client.put("/api/v1/me/preferences", json=body, headers=auth("police")).status_code == 200
    assert _kwargs(rpc, "save_preferences")["preferences"] == body


BAD_PREFERENCES = [
    ({"language": "fr"}, "language"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "x" * 250 + "@example.org"}, "email"),
    ({"phone": "07501234567"}, "phone"),
    ({"phone": "+1234567"}, "phone"),           # 7 digits
    ({"phone": "+1234567890123456"}, "phone"),  # 16 digits
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ({"time_zone": "asia/baghdad"}, "time_zone"),
    ({"quiet_hours": {"start": "22:00"}}, "quiet_hours.end"),
    ({"quiet_hours": {"start": "24:00", "end": "07:00"}}, "quiet_hours.start"),
    ({"quiet_hours": {"start": "22:00", "end": "7:00"}}, "quiet_hours.end"),
    ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours.end"),
    ({"quiet_hours": {"start": "22:00", "end": "07:00", "days": "all"}}, "quiet_hours.days"),
    ({"digest": {"enabled": True, "hour": 24}}, "digest.hour"),
    ({"digest": {"enabled": True, "hour": -1}}, "digest.hour"),
    ({"digest": {"enabled": True, "hour": "8"}}, "digest.hour"),
    ({"digest": {"enabled": "sometimes"}}, "digest.enabled"),
    ({"moments": {"lunch_break": ["email"]}, "email": "a@example.org"}, "moments.lunch_break"),
    ({"moments": {"referral_offered": ["fax"]}}, "moments.referral_offered"),
    ({"moments": {"referral_offered": "email"}, "email": "a@example.org"}, "moments.referral_offered"),
    ({"moments": {"referral_offered": ["email"]}}, "moments.referral_offered"),
    ({"moments": {"hold_expiring": ["inbox", "sms"]}, "email": "a@example.org"}, "moments.hold_expiring"),
    ({"moments": ["referral_offered"]}, "moments"),
    ({"moments": {"<script>": ["email"]}}, "moments"),
    ({"nickname": "Hawre"}, "nickname"),
]


@pytest.mark.parametrize("body,field", BAD_PREFERENCES,
                         ids=[f"{field}-{i}" for i, (_, field) in enumerate(BAD_PREFERENCES)])
def test_a_bad_preference_is_422_naming_its_field_and_nothing_is_sent(client, rpc, auth, body,
                                                                        field):
    response = client.put("/api/v1/me/preferences", json=body, headers=auth("police"))
    problem = assert_problem(response, 422, field=field)
    assert "Hawre" not in response.get_data(as_text=True) and "a@example.org" not in problem["detail"]
    assert rpc.calls == []


def test_the_services_own_refusal_names_its_field(client, rpc, auth):
    rpc.responses[("notify", "save_preferences")] = se.InvalidInput("not an email address",
                                                                    field="email")
    assert_problem(client.put("/api/v1/me/preferences", json={"email": "a@localhost"},
                              headers=auth("police")), 422, field="email")


def test_the_openapi_document_describes_the_inbox_and_preferences(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/inbox"]) == {"get"}
    assert set(paths["/api/v1/me/preferences"]) == {"get", "put"}
    assert "404" in paths["/api/v1/inbox/{notification_id}/read"]["post"]["responses"]
    put = paths["/api/v1/me/preferences"]["put"]
    assert "422" in put["responses"] and "403" not in put["responses"]  # every role may


def test_notify_audit_trail_is_readable_by_admins(client, rpc, auth):
    assert client.get("/api/v1/audit?service=notify&actor=u1", headers=auth("admin")).status_code == 200
    assert rpc.calls[0][:2] == ("notify", "audit_query")



def test_admins_list_the_messages_that_could_not_be_sent(client, rpc, auth):
    failed = {"items": [{"delivery_id": 4, "moment": "referral_accepted", "channel": "email",
                         "attempts": 8, "last_error": "smtp:connect", "reference": fx.REF}]}
    rpc.responses[("notify", "list_failed")] = failed
    answered = client.get("/api/v1/admin/notifications/failed?limit=5", headers=auth("admin"))
    assert answered.status_code == 200 and answered.get_json() == failed
    assert _kwargs(rpc, "list_failed")["limit"] == 5


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_list_failed_messages(client, rpc, auth, role):
    assert client.get("/api/v1/admin/notifications/failed", headers=auth(role)).status_code == 403
    assert not rpc.calls


def test_a_bad_failed_messages_limit_is_422_naming_it(client, rpc, auth):
    answered = client.get("/api/v1/admin/notifications/failed?limit=0", headers=auth("admin"))
    assert_problem(answered, 422)
    assert "limit" in answered.get_data(as_text=True) and not rpc.calls

# --- the pages -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(USERS))
def test_every_role_opens_its_inbox(web, accounts, rpc, role):
    rpc.responses[("notify", "list_inbox")] = INBOX
    sign_in(web, accounts, role)
    response = get(web, "/inbox")
    assert response.status_code == 200, response.text
    assert ITEMS[0]["text"] in response.text
    page = parse(response.text)
    assert f"/police/referrals/{fx.REF}" in page.links          # the public address dropped
    assert f"/shelter/referrals/{fx.REF}" in page.links
    assert not any("evil.example" in link for link in page.links)  # only this site's pages
    assert page.links.count("/inbox/12/read") == 1              # the unread one has its button
    assert "/inbox/11/read" not in page.links
    assert 'id="n-12"' in response.text and "n-unread" in response.text
    assert "/inbox?cursor=c-10" in page.links                   # the next page
    user = _kwargs(rpc, "list_inbox")["caller"]["user"]
    assert user == USERS[role][0]


def test_the_inbox_page_asks_in_the_pages_language(web, accounts, rpc):
    rpc.responses[("notify", "list_inbox")] = INBOX
    sign_in(web, accounts, "police", lang="ckb")
    response = get(web, "/inbox?unread=true", headers={"Accept-Language": "ckb"})
    assert response.status_code == 200 and 'dir="rtl"' in response.text
    kwargs = _kwargs(rpc, "list_inbox")
    assert kwargs["language"] == "ckb" and kwargs["unread_only"] is True


def test_the_mark_read_button_marks_it_and_goes_back(web, accounts, rpc):
    rpc.responses[("notify", "list_inbox")] = INBOX
    sign_in(web, accounts, "shelter")
    page = get(web, "/inbox?unread=true")
    response = web.post("/inbox/12/read", base_url=BASE,
                        data={"csrf_token": csrf_of(page.text), "unread": "true"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/inbox?unread=true")
    assert _kwargs(rpc, "mark_read")["notification_id"] == 12


def test_mark_read_without_the_form_token_is_refused(web, accounts, rpc):
    sign_in(web, accounts, "shelter")
    response = web.post("/inbox/12/read", base_url=BASE, data={})
    assert response.status_code == 400
    assert ("notify", "mark_read") not in [(s, m) for s, m, _ in rpc.calls]


def test_marking_what_is_not_yours_is_the_not_found_page(web, accounts, rpc):
    rpc.responses[("notify", "mark_read")] = se.NotFound("not in your inbox", field="notification_id")
    sign_in(web, accounts, "police")
    page = get(web, "/inbox")
    response = web.post("/inbox/77/read", base_url=BASE, data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 404


def test_the_preferences_page_shows_the_saved_values(web, accounts, rpc):
    rpc.responses[("notify", "get_preferences")] = SAVED
    sign_in(web, accounts, "police")
    response = get(web, "/inbox/preferences")
    assert response.status_code == 200
    html = response.text
    assert 'value="officer@police.example.org"' in html and 'value="+9647501234567"' in html
    assert 'value="22:00"' in html and 'value="07:00"' in html
    assert 'id="f-digest-enabled" name="digest.enabled" value="on" checked' in html
    assert '<option value="9" selected>' in html
    assert '<option value="ckb" selected>' in html
    checked = {c["id"] for c in parse(html).controls if "checked" in c}
    assert {"f-moments-referral_accepted-email", "f-moments-referral_accepted-sms",
            "f-moments-referral_declined-sms"} <= checked
    assert "f-moments-referral_declined-email" not in checked
    assert all(f"f-moments-{m}-email" in {c.get("id") for c in parse(html).controls}
               for m in NOTIFY_MOMENTS)


def test_saving_the_preferences_form_sends_the_api_body(web, accounts, rpc):
    rpc.responses[("notify", "get_preferences")] = SAVED
    rpc.responses[("notify", "save_preferences")] = lambda **kw: kw["preferences"]
    sign_in(web, accounts, "shelter")
    page = get(web, "/inbox/preferences")
    form = {"csrf_token": csrf_of(page.text), "language": "ar", "email": " a@example.org ",
            "phone": "", "time_zone": "Asia/Baghdad", "quiet_hours.start": "22:00",
            "quiet_hours.end": "06:30", "digest.enabled": "on", "digest.hour": "7",
            "moments.referral_offered": ["email"], "moments.hold_expiring": ["email"]}
    response = web.post("/inbox/preferences", base_url=BASE, data=form)
    assert response.status_code == 302 and "notice=saved" in response.headers["Location"]
    sent = _kwargs(rpc, "save_preferences")["preferences"]
    assert {k: sent[k] for k in ("language", "email", "time_zone", "quiet_hours", "digest")} == {
        "language": "ar", "email": "a@example.org", "time_zone": "Asia/Baghdad",
        "quiet_hours": {"start": "22:00", "end": "06:30"}, "digest": {"enabled": True, "hour": 7}}
    assert "phone" not in sent  # an empty input is absent: no phone
    assert sent["moments"]["referral_offered"] == ["email"] and sent["moments"]["admitted"] == []


def test_a_refused_preference_is_shown_next_to_its_field_and_nothing_is_saved(web, accounts, rpc):
    rpc.responses[("notify", "get_preferences")] = SAVED
    sign_in(web, accounts, "police")
    page = get(web, "/inbox/preferences")
    response = web.post("/inbox/preferences", base_url=BASE, data={
        "csrf_token": csrf_of(page.text), "language": "en", "time_zone": "Asia/Baghdad",
        "moments.referral_accepted": ["email"]})
    assert response.status_code == 422
    assert 'id="err-f-moments-referral_accepted"' in response.text
    assert "Give your email address above" in response.text
    assert 'name="moments.referral_accepted" value="email" checked' in response.text  # kept
    assert ("notify", "save_preferences") not in [(s, m) for s, m, _ in rpc.calls]
    response = web.post("/inbox/preferences", base_url=BASE, data={
        "csrf_token": csrf_of(page.text), "time_zone": "Mars/Base", "quiet_hours.start": "22:00",
        "phone": "12345"})
    assert response.status_code == 422
    for fid in ("f-time_zone", "f-quiet_hours-end", "f-phone"):
        assert f'id="err-{fid}"' in response.text, fid


def test_the_services_refusal_of_a_preference_is_shown_next_to_it(web, accounts, rpc):
    rpc.responses[("notify", "get_preferences")] = SAVED
    rpc.responses[("notify", "save_preferences")] = se.InvalidInput(
        "quiet hours end at another time than they start", field="quiet_hours.end")
    sign_in(web, accounts, "police")
    page = get(web, "/inbox/preferences")
    response = web.post("/inbox/preferences", base_url=BASE, data={
        "csrf_token": csrf_of(page.text), "quiet_hours.start": "22:00", "quiet_hours.end": "22:01"})
    assert response.status_code == 422 and 'id="err-f-quiet_hours-end"' in response.text


@pytest.mark.parametrize("lang", ["en", "ar", "ckb"])
def test_the_inbox_pages_have_a_label_on_every_input_in_every_language(web, accounts, rpc, lang):
    rpc.responses[("notify", "list_inbox")] = INBOX
    rpc.responses[("notify", "get_preferences")] = SAVED
    sign_in(web, accounts, "shelter", lang=lang)
    for path in ("/inbox", "/inbox/preferences"):
        response = get(web, path, headers={"Accept-Language": lang})
        assert response.status_code == 200
        page = parse(response.text)
        assert [c.get("name") for c in page.controls if c.get("id") not in page.labels] == []
        assert not {i for i in page.ids if page.ids.count(i) > 1}


# --- the badge ----------------------------------------------------------------------------------

def test_every_page_header_shows_the_unread_count_linking_to_the_inbox(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("notify", "unread_count")] = {"unread": 3}
    sign_in(web, accounts, "police")
    for path in ("/police/referrals", "/beds", "/hearings"):
        response = get(web, path)
        assert response.status_code == 200
        assert '<span class="badge unread" id="unread-count">3</span>' in response.text
        assert 'id="inbox-link" href="/inbox"' in response.text
    assert rpc.timeouts[0] == ("notify", "unread_count", 1.0)  # asked briefly
    # kept a few seconds: one question for the three pages
    assert [m for s, m, _ in rpc.calls if s == "notify"] == ["unread_count"]


def test_no_count_when_nothing_is_unread(web, accounts, rpc):
    rpc.responses[("notify", "unread_count")] = {"unread": 0}
    rpc.responses[("shelter", "availability")] = []
    sign_in(web, accounts, "legal")
    response = get(web, "/beds")
    assert response.status_code == 200
    assert 'id="inbox-link"' in response.text and 'id="unread-count"' not in response.text


@pytest.mark.parametrize("failure", [RpcTimeout(1), UnknownService("notify"),
                                     ConnectionError("broker"), RemoteError("KeyError", "x"),
                                     se.Forbidden("no"), {"unread": "many"}, None])
def test_a_page_renders_without_the_count_when_notify_does_not_answer(web, accounts, rpc, failure):
    fx.answer_everything(rpc)
    rpc.responses[("notify", "unread_count")] = failure
    sign_in(web, accounts, "shelter")
    response = get(web, "/shelter/incoming")
    assert response.status_code == 200
    assert 'id="unread-count"' not in response.text
    assert 'id="inbox-link" href="/inbox"' in response.text  # the inbox is still a click away


def test_a_failed_count_is_not_asked_again_on_every_page(web, accounts, rpc):
    rpc.responses[("notify", "unread_count")] = RpcTimeout(1)
    rpc.responses[("shelter", "availability")] = []
    sign_in(web, accounts, "police")
    for _ in range(3):
        assert get(web, "/beds").status_code == 200
    assert [m for s, m, _ in rpc.calls if s == "notify"] == ["unread_count"]


def test_marking_read_shows_the_new_count_at_once(web, accounts, rpc):
    counts = iter([{"unread": 2}, {"unread": 1}])
    rpc.responses[("notify", "unread_count")] = lambda **_: next(counts)
    rpc.responses[("shelter", "availability")] = []
    sign_in(web, accounts, "police")
    page = get(web, "/beds")
    assert 'id="unread-count">2<' in page.text
    web.post("/inbox/12/read", base_url=BASE, data={"csrf_token": csrf_of(page.text)})
    assert 'id="unread-count">1<' in get(web, "/beds").text


def test_the_inbox_page_and_its_header_show_the_same_count(web, accounts, rpc):
    rpc.responses[("notify", "unread_count")] = {"unread": 5}  # older than the inbox's answer
    rpc.responses[("notify", "list_inbox")] = {**INBOX, "unread": 1}
    rpc.responses[("shelter", "availability")] = []
    sign_in(web, accounts, "police")
    assert 'id="unread-count">1<' in get(web, "/inbox").text
    assert 'id="unread-count">1<' in get(web, "/beds").text
    assert ("notify", "unread_count") not in [(s, m) for s, m, _ in rpc.calls]


def test_error_pages_and_signed_out_pages_ask_nothing(web, accounts, rpc):
    assert get(web, "/sign-in").status_code == 200
    sign_in(web, accounts, "police")
    assert get(web, "/shelter/incoming").status_code == 403
    assert rpc.calls == []


# --- the parts -----------------------------------------------------------------------------------

def test_unread_counts_are_kept_for_their_age_and_forgotten_per_user():
    now = [100.0]
    kept = UnreadCounts(10, max_entries=2, now=lambda: now[0])
    asked = []

    def fetch(value):
        def ask():
            asked.append(value)
            return value
        return ask

    assert kept.get(("u1", "police", "a"), fetch(3)) == 3
    assert kept.get(("u1", "police", "a"), fetch(4)) == 3          # kept
    now[0] += 10
    assert kept.get(("u1", "police", "a"), fetch(5)) == 5          # too old: asked again
    assert kept.get(("u2", "police", "a"), fetch(None)) is None    # no answer is kept too
    assert kept.get(("u2", "police", "a"), fetch(7)) is None
    kept.forget("u2")
    assert kept.get(("u2", "police", "a"), fetch(8)) == 8
    kept.get(("u3", "police", "a"), fetch(1))                     # over two: the oldest goes
    assert kept.get(("u1", "police", "a"), fetch(6)) == 6
    assert asked == [3, 5, None, 8, 1, 6]


def test_the_rpc_client_calls_within_a_timeout_of_its_own(monkeypatch):
    from gateway import rpc as rpc_module

    from .test_gateway_parts import FakeRpcBroker
    client = rpc_module.RpcClient("amqp://nowhere/", size=2, timeout=30)

    def listening():
        client._reply_key = "reply-key"
        client._ready.set()

    monkeypatch.setattr(client, "_start_listener", listening)
    client.fake = FakeRpcBroker(client)
    monkeypatch.setattr(client, "_publisher", lambda: client.fake)
    with pytest.raises(RpcTimeout):
        client.call_within(0.05, "notify", "unread_count")   # nobody answers: 0.05 s, not 30
    assert client.fake.sent[-1]["expiration"] == 0.05
    client.fake.answer = {"result": {"unread": 2}, "error": None}
    assert client.call_within(0.5, "notify", "unread_count") == {"unread": 2}
    assert client.call("notify", "unread_count") == {"unread": 2}
    assert client.fake.sent[-1]["expiration"] == 30
