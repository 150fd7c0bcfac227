"""The web pages (gateway/web) through Flask's test client, with the fake RPC layer and intake of
conftest and accounts in memory: sign-in and its cookie, CSRF refusal, sign-in delays, role refusal,
language and right-to-left, errors next to their fields, labels on every input, and that every
page reaches the services through the API's own endpoint (same call, same caller)."""

import re
import time
from html.parser import HTMLParser

import pytest

from gateway.accounts import MemoryAccounts
from gateway.signin_guard import FORGET, PAIR, Throttled
from services.common import errors as se

from . import web_fixtures as fx
from .conftest import CANONICAL_BODY

BASE = "https://localhost"  # the cookie is Secure: the test client sends it over https only
PASSWORD = "correct horse battery staple"
USERS = {"police": ("officer.one", "erbil-tip-unit"), "shelter": ("intake.one", "erbil-shelter"),
         "legal": ("lawyer.one", "erbil-legal-aid"), "court": ("clerk.one", "erbil-criminal-court"),
         "analyst": ("analyst.one", "refnet-analytics"), "admin": ("admin.one", "refnet-admin"),
         "partner": ("iom.one", "iom-erbil")}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    """argon2id with the smallest cost in this file: the same code, a hundredth of the time."""
    from argon2 import PasswordHasher

    import gateway.accounts as accounts_module
    monkeypatch.setattr(accounts_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                                   parallelism=1))
    monkeypatch.setattr(accounts_module, "_DUMMY_HASH", None)


@pytest.fixture
def web(app):
    return app.test_client()


@pytest.fixture
def accounts(app) -> MemoryAccounts:
    return app.extensions["refnet.accounts"]


def sign_in(web, accounts, role, *, password=PASSWORD, create=True, lang=None):
    user, agency = USERS[role]
    if create and accounts.get_user(user) is None:
        accounts.create_user(user, PASSWORD, role, agency)
    headers = {"Accept-Language": lang} if lang else {}
    page = web.get("/sign-in", base_url=BASE, headers=headers)
    return web.post("/sign-in", base_url=BASE, headers=headers, data={
        "username": user, "password": password, "csrf_token": csrf_of(page.text)})


def get(web, path, **kw):
    return web.get(path, base_url=BASE, **kw)


def post(web, path, data, *, token=True, page=None):
    data = dict(data)
    if token:
        data["csrf_token"] = csrf_of(get(web, page or "/beds").text)
    return web.post(path, base_url=BASE, data=data)


# --- sign-in, cookie, sign-out ------------------------------------------------------------------

def test_sign_in_sets_a_secure_httponly_samesite_cookie_and_goes_to_the_role_page(web, accounts):
    response = sign_in(web, accounts, "police")
    assert response.status_code == 302 and response.headers["Location"] == "/police/referrals"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("refnet_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert len(cookie.split(";")[0].split("=", 1)[1]) >= 40  # 32 random bytes


def test_pages_need_a_session_and_remember_where_to_go(web, rpc):
    response = get(web, "/police/referrals?status=received")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert rpc.calls == []
    assert get(web, "/").headers["Location"] == "/sign-in"


def test_the_sign_in_page_goes_only_to_local_paths_afterwards(web, accounts):
    accounts.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    page = get(web, "/sign-in?next=//evil.example/x")
    response = web.post("/sign-in", base_url=BASE, data={
        "username": "officer.one", "password": PASSWORD, "csrf_token": csrf_of(page.text),
        "next": "https://evil.example/"})
    assert response.headers["Location"] == "/police/referrals"


def test_sign_out_ends_the_session_on_the_server(web, accounts, rpc):
    sign_in(web, accounts, "police")
    cookie = web.get_cookie("refnet_session", domain="localhost").value
    rpc.responses[("referral", "list_referrals")] = fx.LISTING
    assert get(web, "/police/referrals").status_code == 200
    response = post(web, "/sign-out", {})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert accounts.sessions == {}
    web.set_cookie("refnet_session", cookie, domain="localhost", secure=True)  # replayed
    assert get(web, "/police/referrals").status_code == 302


def test_revoking_the_user_ends_the_web_session_too(app, web, accounts, rpc):
    rpc.responses[("referral", "list_referrals")] = fx.LISTING
    sign_in(web, accounts, "police")
    assert get(web, "/police/referrals").status_code == 200
    app.extensions["refnet.revocations"].users["officer.one"] = int(time.time()) + 1
    assert get(web, "/police/referrals").status_code == 302


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(web, accounts, rpc):
    rpc.responses[("shelter", "availability")] = []
    sign_in(web, accounts, "police")
    accounts.disable_user("officer.one")
    assert get(web, "/beds").status_code == 302
    assert "Wrong username or password" in sign_in(web, accounts, "police").text


def test_idle_and_expired_sessions_end(accounts):
    accounts.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    accounts.configure(session_seconds=3600, idle_seconds=600)
    cookie, _ = accounts.sign_in("officer.one", PASSWORD, now=1000)
    assert accounts.session(cookie, now=1500) is not None
    assert accounts.session(cookie, now=1500 + 600) is None  # idle ten minutes since 1500
    cookie, _ = accounts.sign_in("officer.one", PASSWORD, now=5000)
    for t in range(5000, 8600, 500):
        assert accounts.session(cookie, now=t) is not None
    assert accounts.session(cookie, now=8600) is None  # an hour after sign-in, however busy


# --- CSRF ----------------------------------------------------------------------------------------

def test_a_form_posted_without_its_csrf_token_is_refused(web, accounts, rpc, intake):
    sign_in(web, accounts, "police")
    fields = {"survivor.name": "Amina K.", "urgency": "urgent"}
    for data in (fields, {**fields, "csrf_token": "0" * 64}, {**fields, "csrf_token": ""}):
        response = web.post("/police/referrals/new", base_url=BASE, data=data)
        assert response.status_code == 400
        assert "security token" in response.text
    assert intake.submissions == [] and rpc.calls == []


def test_sign_in_itself_needs_the_pre_session_token(web, accounts):
    accounts.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    response = web.post("/sign-in", base_url=BASE, data={"username": "officer.one", "password": PASSWORD})
    assert response.status_code == 400
    assert "refnet_session" not in " ".join(response.headers.getlist("Set-Cookie"))
    # another browser's token does not do either
    other = MemoryAccounts()
    assert other is not accounts
    page = get(web, "/sign-in")
    token = csrf_of(page.text)
    web.delete_cookie("refnet_presession", domain="localhost")
    get(web, "/sign-in")  # a new pre-session cookie
    response = web.post("/sign-in", base_url=BASE, data={"username": "officer.one", "password": PASSWORD,
                                                         "csrf_token": token})
    assert response.status_code == 400


def test_the_session_token_of_one_session_does_not_work_for_another(app, accounts, rpc, intake):
    first, second = app.test_client(), app.test_client()
    sign_in(first, accounts, "police")
    sign_in(second, accounts, "police")
    token = csrf_of(get(first, "/police/referrals/new").text)
    response = second.post("/police/referrals/new", base_url=BASE, data={"csrf_token": token})
    assert response.status_code == 400 and intake.submissions == []


# --- sign-in delays (the throttles themselves: test_signin_hardening.py) -------------------------

def test_repeated_failures_delay_the_next_attempt_with_one_generic_answer(web, accounts, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("gateway.web.common.time.time", lambda: clock[0])
    accounts.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    wrong = [sign_in(web, accounts, "police", password="not the password", create=False)
             for _ in range(PAIR.free)]
    generic = "Wrong username or password, or too many attempts. Try again later."
    assert all(r.status_code == 200 and generic in r.text for r in wrong)
    delayed = sign_in(web, accounts, "police", create=False)  # the right password, too soon
    assert delayed.status_code == 429 and int(delayed.headers["Retry-After"]) == PAIR.base
    assert "Too many requests" in delayed.text and "refnet_session" not in str(delayed.headers)
    # an unknown username reads exactly the same, wrong or delayed: nothing tells which exist
    for _ in range(PAIR.free):
        page = get(web, "/sign-in")
        unknown = web.post("/sign-in", base_url=BASE, data={
            "username": "nobody.here", "password": "x" * 12, "csrf_token": csrf_of(page.text)})
    assert _main(unknown.text).replace("nobody.here", "U") == _main(wrong[0].text).replace("officer.one", "U")
    page = get(web, "/sign-in")
    unknown = web.post("/sign-in", base_url=BASE, data={"username": "nobody.here", "password": "x" * 12,
                                                        "csrf_token": csrf_of(page.text)})
    assert unknown.status_code == 429 and unknown.headers["Retry-After"] == delayed.headers["Retry-After"]
    assert _main(unknown.text).replace("nobody.here", "U") == _main(delayed.text).replace("officer.one", "U")
    clock[0] += int(delayed.headers["Retry-After"])
    assert sign_in(web, accounts, "police", create=False).status_code == 302


def test_failures_spread_beyond_an_hour_are_forgotten(accounts):
    accounts.create_user("officer.one", PASSWORD, "police", "erbil-tip-unit")
    for i in range(PAIR.free * 2):
        assert accounts.sign_in("officer.one", "wrong password!", now=i * (FORGET + 1)) is None
    assert accounts.sign_in("officer.one", PASSWORD, now=PAIR.free * 2 * (FORGET + 1)) is not None


def test_unknown_usernames_are_counted_too(accounts):
    for i in range(PAIR.free):
        assert accounts.sign_in("ghost", "wrong password!", now=100, client="198.51.100.4") is None
    with pytest.raises(Throttled):
        accounts.sign_in("ghost", "wrong password!", now=100, client="198.51.100.4")


def _main(html: str) -> str:
    """The page without its per-request token."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html.split('<main id="main">', 1)[1])


# --- roles ---------------------------------------------------------------------------------------

SHELTER_PAGES = ["/shelter/incoming", f"/shelter/referrals/{fx.REF}", "/shelter/board",
                 "/shelter/milestones", "/shelter/facilities/erbil-shelter/history",
                 "/shelter/facilities", "/shelter/tasks", "/shelter/follow-ups"]
LEGAL_PAGES = ["/legal/cases", f"/legal/cases/{fx.CASE}"]
POLICE_PAGES = ["/police/referrals", "/police/referrals/new", f"/police/referrals/{fx.REF}"]


@pytest.mark.parametrize("path", SHELTER_PAGES + LEGAL_PAGES)
def test_a_police_session_cannot_open_shelter_or_legal_pages(web, accounts, rpc, path):
    sign_in(web, accounts, "police")
    response = get(web, path)
    assert response.status_code == 403
    assert "not available to your role" in response.text
    assert rpc.calls == []


@pytest.mark.parametrize("role,path", [("shelter", p) for p in POLICE_PAGES + LEGAL_PAGES]
                         + [("legal", p) for p in POLICE_PAGES + SHELTER_PAGES]
                         + [("court", "/legal/cases"), ("analyst", "/hearings")])
def test_other_roles_get_403_on_pages_not_theirs(web, accounts, rpc, role, path):
    sign_in(web, accounts, role)
    assert get(web, path).status_code == 403
    assert rpc.calls == []


def test_a_police_post_to_a_shelter_form_is_refused_and_reaches_no_service(web, accounts, rpc):
    sign_in(web, accounts, "police")
    response = post(web, f"/shelter/referrals/{fx.REF}/decision", {"decision": "accept"},
                    page="/police/referrals/new")
    # the form page read the directory's providers and its header's unread count; the refused
    # post reached no service
    assert response.status_code == 403 and [c for c in rpc.calls if c[1] not in (
        "list_agencies", "unread_count")] == []


def test_the_api_refuses_a_role_even_when_a_page_would_let_it_through(app, web, accounts, rpc):
    """A page is checked twice: its own roles, then the endpoint table's (api.perform)."""
    from gateway.web import core
    sign_in(web, accounts, "police")
    with app.test_request_context("/"):
        from flask import g
        g.web_session = accounts.session(web.get_cookie("refnet_session", domain="localhost").value)
        with pytest.raises(Exception) as refused:
            core.call("bed_board", facility="erbil-shelter")
    assert getattr(refused.value, "status", None) == 403 and rpc.calls == []


# --- every page, every language ------------------------------------------------------------------

ROLE_PAGES = {
    "police": POLICE_PAGES + ["/hearings", "/beds"],
    "shelter": SHELTER_PAGES + ["/shelter/incoming?status=all", "/shelter/milestones?state=all",
                                "/hearings", "/beds"],
    "legal": LEGAL_PAGES + ["/court-cases", f"/court-cases/{fx.COURT_CASE}", "/hearings", "/beds"],
    "court": ["/court-cases", f"/court-cases/{fx.COURT_CASE}", "/hearings", "/beds"],
    "partner": ["/partner/referrals", "/partner/referrals?status=accepted"],
}
ROLE_PAGES["shelter"].append("/shelter/partner-referrals/new")


class _Inputs(HTMLParser):
    """Every form control and every label's ``for`` on a page."""

    def __init__(self):
        super().__init__()
        self.controls, self.labels, self.ids, self.html_attrs = [], set(), [], {}
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_attrs = a
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        if tag in ("select", "textarea") or (tag == "input" and a.get("type") not in ("hidden", "submit")):
            self.controls.append(a)
        for key in ("href", "src", "action"):
            if a.get(key):
                self.links.append(a[key])


def parse(html: str) -> _Inputs:
    parser = _Inputs()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("lang", ["en", "ar", "ckb"])
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_page_renders_with_a_label_on_every_input_and_nothing_external(web, accounts, rpc,
                                                                              role, lang):
    fx.answer_everything(rpc)
    sign_in(web, accounts, role, lang=lang)
    for path in ROLE_PAGES[role]:
        response = get(web, path, headers={"Accept-Language": lang})
        assert response.status_code == 200, (path, response.status_code)
        page = parse(response.text)
        assert page.html_attrs == {"lang": lang, "dir": "rtl" if lang in ("ar", "ckb") else "ltr"}
        unlabelled = [c.get("name") for c in page.controls if c.get("id") not in page.labels]
        assert unlabelled == [], (path, unlabelled)
        duplicated = {i for i in page.ids if page.ids.count(i) > 1}
        assert not duplicated, (path, duplicated)
        external = [link for link in page.links if "//" in link]
        assert external == [], (path, external)
        # one script, the site's own (progressive enhancement; decision 0044), nothing inline
        assert re.findall(r"<script[^>]*>", response.text) == ['<script src="/static/refnet.js" defer>']
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_pages_call_the_services_as_the_api_does_with_the_same_caller(web, accounts, rpc):
    fx.answer_everything(rpc)
    sign_in(web, accounts, "shelter")
    get(web, f"/shelter/referrals/{fx.REF}")
    # the page's reads run at once (web/core.py at_once): find the file's call among them
    [kwargs] = [kw for service, method, kw in rpc.calls
                if (service, method) == ("referral", "get_file")]
    assert kwargs["reference"] == fx.REF
    assert {k: kwargs["caller"][k] for k in ("user", "role", "agency")} == {
        "user": "intake.one", "role": "shelter", "agency": "erbil-shelter"}
    assert kwargs["caller"]["correlation_id"]


# --- language ------------------------------------------------------------------------------------

def test_the_language_follows_the_browser_until_the_person_chooses(web, accounts, rpc):
    rpc.responses[("shelter", "availability")] = fx.AVAILABILITY["facilities"]
    page = get(web, "/sign-in", headers={"Accept-Language": "ar,en;q=0.5"})
    assert '<html lang="ar" dir="rtl">' in page.text and "تسجيل الدخول" in page.text
    sign_in(web, accounts, "police")
    chosen = post(web, "/language", {"language": "ckb", "next": "/beds"})
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/beds"
    cookie = next(c for c in chosen.headers.getlist("Set-Cookie") if c.startswith("refnet_lang="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    beds = get(web, "/beds", headers={"Accept-Language": "en"})
    assert '<html lang="ckb" dir="rtl">' in beds.text and "ژن" in beds.text  # "Women" in Sorani
    post(web, "/language", {"language": "en", "next": "/beds"})
    beds = get(web, "/beds", headers={"Accept-Language": "ar"})
    assert '<html lang="en" dir="ltr">' in beds.text and "Women" in beds.text


def test_a_page_finds_its_catalogue_once_and_each_request_its_own(web, accounts, rpc,
                                                                    monkeypatch):
    """gateway/web/i18n.py: every string of a page (its template's and the view's) comes from
    the catalogue its request found first; the next request, in another language, finds its own."""
    from gateway.web import i18n
    found = []
    real = i18n.get_translations
    monkeypatch.setattr(i18n, "get_translations", lambda: found.append(1) or real())
    rpc.responses[("shelter", "availability")] = fx.AVAILABILITY["facilities"]
    sign_in(web, accounts, "police")
    found.clear()
    beds = get(web, "/beds", headers={"Accept-Language": "ckb"})
    assert '<html lang="ckb" dir="rtl">' in beds.text and "ژن" in beds.text  # "Women" in Sorani
    assert len(found) == 1
    beds = get(web, "/beds", headers={"Accept-Language": "en"})
    assert '<html lang="en" dir="ltr">' in beds.text and "Women" in beds.text
    assert len(found) == 2


def test_templates_translate_as_jinjas_newstyle_gettext_does(app):
    """gateway/web/i18n.py gives the templates their own ``_``, ``gettext`` and ``ngettext`` (one
    call each, not three): the same text as Jinja's newstyle i18n on the same catalogue, each
    variable escaped where the template autoescapes and only there, ``%%`` read as ``%``."""
    from flask import render_template_string
    from jinja2 import Environment

    from gateway.web import i18n
    source = ('{{ _("Women") }}|{{ _("The trail of %(service)s is intact", service="<b>") }}|'
              '{{ gettext("%(n)s entries checked.", n=3) }}|{{ _("100%% of <i>") }}|'
              '{{ ngettext("%(num)s bed", "%(num)s beds", 3) }}|{{ ngettext("one", "%(num)s", 1) }}|'
              '{% autoescape false %}{{ _("The trail of %(service)s is intact", service="<b>") }}'
              '{% endautoescape %}')
    with app.test_request_context(headers={"Accept-Language": "ckb"}):
        ours = render_template_string(source)
        jinja = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
        jinja.install_gettext_translations(i18n.translations(), newstyle=True)
        assert ours == jinja.from_string(source).render()
    parts = ours.split("|")
    assert parts[0] == "ژنان"  # "Women" in Sorani
    assert "&lt;b&gt;" in parts[1] and "<b>" in parts[6]
    assert parts[3] == "100% of <i>" and parts[4] == "3 beds" and parts[5] == "one"
    assert app.jinja_env.globals["_"] is i18n.template_gettext


def test_an_unknown_language_changes_nothing_and_next_stays_local(web, accounts):
    sign_in(web, accounts, "police")
    response = post(web, "/language", {"language": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert not any(c.startswith("refnet_lang=") for c in response.headers.getlist("Set-Cookie"))


# --- forms: errors next to their fields, the same validation as the API ---------------------------

def _form_of(body: dict) -> dict:
    """The canonical submission as the police form posts it."""
    s, c = body["survivor"], body["consent"]
    return {"survivor.name": s["name"], "survivor.sex": s["sex"], "survivor.birth_year": str(s["birth_year"]),
            "survivor.age_estimated": "on", "survivor.nationality": s["nationality"],
            "survivor.languages": ", ".join(s["languages"]), "survivor.phone": s["phone"],
            "exploitation_types": body["exploitation_types"], "identified_on": body["identified_on"],
            "identified_place": body["identified_place"], "needs": body["needs"],
            "urgency": body["urgency"], "consent.given": "on", "consent.recorded_by": c["recorded_by"],
            "consent.basis": c["basis"], "consent.share_status_with_referrer": "on",
            "consent.share_with_legal": "on", "officer.name": body["officer"]["name"],
            "officer.unit": body["officer"]["unit"], "children.0.sex": "female", "children.0.age": "6"}


def test_a_valid_form_submits_exactly_what_the_api_would(web, accounts, intake):
    sign_in(web, accounts, "police")
    page = get(web, "/police/referrals/new")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    data = {**_form_of(CANONICAL_BODY), "csrf_token": csrf_of(page.text), "idempotency_key": key}
    first = web.post("/police/referrals/new", base_url=BASE, data=data)
    assert first.status_code == 302, first.text
    submitted = intake.submissions[0]
    expected = {**CANONICAL_BODY, "consent": {**CANONICAL_BODY["consent"],
                                              "share_status_with_referrer": True, "share_with_legal": True}}
    assert submitted["body"] == expected
    assert submitted["agency"] == "erbil-tip-unit" and submitted["user"] == "officer.one"
    assert first.headers["Location"].startswith(f"/police/referrals/{submitted['reference']}")
    again = web.post("/police/referrals/new", base_url=BASE, data=data)  # a double click
    assert intake.submissions[1]["reference"] == submitted["reference"]
    assert again.headers["Location"] == first.headers["Location"]


def test_a_form_error_is_shown_next_to_its_field(web, accounts, intake):
    sign_in(web, accounts, "police")
    page = get(web, "/police/referrals/new")
    data = {**_form_of(CANONICAL_BODY), "csrf_token": csrf_of(page.text)}
    data["survivor.phone"] = "0750 123"
    data["children.0.age"] = "19"
    del data["survivor.name"]
    response = web.post("/police/referrals/new", base_url=BASE, data=data)
    assert response.status_code == 422 and intake.submissions == []
    html = response.text
    for name, message in (("survivor-name", "Required."),
                          ("survivor-phone", "A phone number in international form"),
                          ("children-0-age", "A number from 0 to 17.")):
        # the message, then the input it belongs to, inside one field block
        block = re.search(rf'<p class="field-error" id="err-f-{name}">([^<]*)</p>\s*<input id="f-{name}"'
                          rf'[^>]*aria-describedby="[^"]*err-f-{name}"[^>]*aria-invalid="true"', html)
        assert block and message in block.group(1), name
    assert 'value="Officer Hawre"' in html  # what was typed is kept
    assert 'href="#f-survivor-phone"' in html  # the summary links to the field


def test_an_adults_missing_consent_is_reported_at_the_consent_field(web, accounts, intake):
    sign_in(web, accounts, "police")
    page = get(web, "/police/referrals/new")
    data = {**_form_of(CANONICAL_BODY), "csrf_token": csrf_of(page.text)}
    del data["consent.given"]
    html = web.post("/police/referrals/new", base_url=BASE, data=data).text
    assert re.search(r'id="err-f-consent-given">An adult must give informed consent', html)


def test_errors_are_translated_next_to_the_field(web, accounts, intake):
    sign_in(web, accounts, "police", lang="ar")
    page = get(web, "/police/referrals/new", headers={"Accept-Language": "ar"})
    data = {**_form_of(CANONICAL_BODY), "csrf_token": csrf_of(page.text)}
    del data["survivor.name"]
    html = web.post("/police/referrals/new", base_url=BASE, data=data,
                    headers={"Accept-Language": "ar"}).text
    assert re.search(r'id="err-f-survivor-name">مطلوب', html)


def test_a_decline_without_reason_code_shows_the_error_at_the_reason_code(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_status")] = {**fx.STATUS, "status": "received"}
    rpc.responses[("shelter", "referral_place")] = {  # nothing held for REF yet
        "facilities": FACILITIES, "place": None}
    sign_in(web, accounts, "shelter")
    response = post(web, f"/shelter/referrals/{fx.REF}/decision", {"decision": "decline"},
                    page=f"/shelter/referrals/{fx.REF}")
    assert response.status_code == 422
    assert re.search(r'id="err-f-reason_code">Give a reason to decline', response.text)
    assert ("shelter", "decide") not in [(s, m) for s, m, _ in rpc.calls]


def _received_page(rpc):
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_status")] = {**fx.STATUS, "status": "received"}
    rpc.responses[("shelter", "referral_place")] = {  # nothing held for REF yet
        "facilities": FACILITIES, "place": None}


def test_the_holder_refers_on_from_the_referral_page(web, accounts, rpc):
    _received_page(rpc)
    rpc.responses[("shelter", "decide")] = {"reference": fx.REF, "status": "referred_on",
                                            "held_by": "provider-b"}
    sign_in(web, accounts, "shelter")
    page = get(web, f"/shelter/referrals/{fx.REF}")
    assert 'id="refer-on"' in page.text and 'value="closer_to_family"' in page.text
    moved = post(web, f"/shelter/referrals/{fx.REF}/decision",
                 {"decision": "refer_on", "to": "provider-b", "reason": "closer_to_family"},
                 page=f"/shelter/referrals/{fx.REF}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("notice=referred_on")
    calls = {(s, m): kw for s, m, kw in rpc.calls}
    assert {k: calls[("shelter", "decide")][k] for k in ("decision", "to", "reason_code")} == {
        "decision": "refer_on", "to": "provider-b", "reason_code": "closer_to_family"}


def test_the_holder_starts_screening_from_the_referral_page_with_a_reason(web, accounts, rpc):
    _received_page(rpc)
    rpc.responses[("shelter", "start_screening")] = {
        "reference": fx.REF, "status": "screening", "reason_code": "age_assessment",
        "started_at": "2026-11-20T10:00:00Z", "held_by": "erbil-shelter"}
    sign_in(web, accounts, "shelter")
    page = get(web, f"/shelter/referrals/{fx.REF}")
    assert 'id="start-screening"' in page.text and 'value="interview_pending"' in page.text
    refused = post(web, f"/shelter/referrals/{fx.REF}/screening", {},
                   page=f"/shelter/referrals/{fx.REF}")
    assert refused.status_code == 422 and 'id="err-f-screening-reason"' in refused.text
    assert ("shelter", "start_screening") not in [(s, m) for s, m, _ in rpc.calls]
    started = post(web, f"/shelter/referrals/{fx.REF}/screening", {"reason_code": "age_assessment"},
                   page=f"/shelter/referrals/{fx.REF}")
    assert started.status_code == 302 and started.headers["Location"].endswith("notice=screening_started")
    calls = {(s, m): kw for s, m, kw in rpc.calls}
    assert calls[("shelter", "start_screening")]["reason_code"] == "age_assessment"

    rpc.responses[("referral", "get_status")] = {**fx.STATUS, "status": "screening"}
    screening = get(web, f"/shelter/referrals/{fx.REF}")
    assert screening.status_code == 200 and 'id="start-screening"' not in screening.text


def test_a_minors_referral_page_records_the_determination_and_shows_the_wait(web, accounts, rpc):
    _received_page(rpc)
    file = rpc.responses[("referral", "get_file")]
    minor = {**file["submission"], "survivor": {**file["submission"]["survivor"], "age": 15}}
    minor["survivor"].pop("birth_year", None)
    rpc.responses[("referral", "get_file")] = {**file, "submission": minor}
    rpc.responses[("shelter", "decide")] = se.Conflict(
        "a minor's placement waits for the best-interests determination", field="best_interests")
    rpc.responses[("shelter", "record_best_interests")] = {
        "reference": fx.REF, "outcome": "placement_recommended", "assessed_by": "staff.one",
        "assessed_on": "2026-12-01", "recorded_at": "2026-12-01T10:00:00Z"}
    sign_in(web, accounts, "shelter")
    page = get(web, f"/shelter/referrals/{fx.REF}")
    assert 'id="best-interests"' in page.text and 'value="family_tracing_first"' in page.text
    waits = post(web, f"/shelter/referrals/{fx.REF}/decision", {"decision": "accept"},
                 page=f"/shelter/referrals/{fx.REF}")
    assert waits.status_code == 409 and "best-interests determination" in waits.text
    saved = post(web, f"/shelter/referrals/{fx.REF}/best-interests",
                 {"outcome": "placement_recommended", "assessed_on": "2026-12-01"},
                 page=f"/shelter/referrals/{fx.REF}")
    assert saved.status_code == 302
    sent = {(s, m): kw for s, m, kw in rpc.calls}[("shelter", "record_best_interests")]
    assert (sent["outcome"], sent["assessed_on"]) == ("placement_recommended", "2026-12-01")


def test_a_refused_refer_on_shows_the_error_at_to(web, accounts, rpc):
    _received_page(rpc)
    rpc.responses[("shelter", "decide")] = se.InvalidInput("provider-x is not active", field="to")
    sign_in(web, accounts, "shelter")
    response = post(web, f"/shelter/referrals/{fx.REF}/decision",
                    {"decision": "refer_on", "to": "provider-x", "reason": "language"},
                    page=f"/shelter/referrals/{fx.REF}")
    assert response.status_code == 422
    assert 'id="err-f-to"' in response.text


def test_the_incoming_page_links_the_next_page(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("shelter", "list_incoming")] = {"items": fx.INCOMING, "next_cursor": "abc"}
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/incoming")
    assert 'id="next-page"' in page.text and "cursor=abc" in page.text


def test_a_service_input_error_goes_to_its_field(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("legal", "schedule_hearing")] = se.InvalidInput("unknown time zone Mars/Base",
                                                                    field="time_zone")
    sign_in(web, accounts, "legal")
    response = post(web, f"/court-cases/{fx.COURT_CASE}/hearings",
                    {"hr-starts_at": "2026-12-10T09:30", "hr-time_zone": "Mars/Base",
                     "hr-purpose": "Testimony", "hr-attendance_required": "on"},
                    page=f"/court-cases/{fx.COURT_CASE}")
    assert response.status_code == 422
    assert re.search(r'id="err-f-hr-time_zone">A time zone such as Asia/Baghdad', response.text)


def test_accept_and_admit_go_through_the_api_views(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("shelter", "decide")] = {"reference": fx.REF, "status": "accepted"}
    rpc.responses[("shelter", "admit")] = {"admission_id": 9, "reference": fx.REF}
    sign_in(web, accounts, "shelter")
    accepted = post(web, f"/shelter/referrals/{fx.REF}/decision", {"decision": "accept"})
    assert accepted.headers["Location"].endswith("notice=accepted")
    admitted = post(web, "/shelter/facilities/erbil-shelter/admissions",
                    {"reference": fx.REF, "case_manager": "intake.one"})
    assert admitted.status_code == 302
    calls = {(s, m): kw for s, m, kw in rpc.calls}
    assert calls[("shelter", "decide")]["decision"] == "accept"
    assert calls[("shelter", "admit")]["facility"] == "erbil-shelter"
    assert calls[("shelter", "admit")]["case_manager"] == "intake.one"


def test_a_conflict_shows_a_page_that_says_so(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("shelter", "decide")] = se.IllegalTransition("cannot accept a declined referral")
    sign_in(web, accounts, "shelter")
    response = post(web, f"/shelter/referrals/{fx.REF}/decision", {"decision": "accept"})
    assert response.status_code == 409 and "Not possible now" in response.text


def test_a_service_that_does_not_answer_gives_a_503_page(web, accounts, rpc):
    from nameko.exceptions import RpcTimeout
    rpc.responses[("referral", "list_referrals")] = RpcTimeout(5)
    sign_in(web, accounts, "police")
    response = get(web, "/police/referrals")
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert "text/html" in response.headers["Content-Type"]


def test_the_stylesheet_is_served_locally(web):
    response = get(web, "/static/refnet.css")
    assert response.status_code == 200 and "text/css" in response.headers["Content-Type"]
    assert "@import" not in response.text and "url(" not in response.text


def test_the_timeline_shows_a_declines_reason_code_in_the_readers_language_never_a_note(
        web, accounts, rpc):
    """docs/decisions/0036: a note from before the codes stays off the page."""
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_status")] = {**fx.STATUS, "status": "declined", "timeline": [
        *fx.STATUS["timeline"][:2],
        {"at": fx.AT, "agency": "erbil-shelter", "status": "declined",
         "note": "Declined: her brother Karwan called", "reason_code": "duplicate"}]}
    sign_in(web, accounts, "police", lang="ar")
    page = get(web, f"/police/referrals/{fx.REF}", headers={"Accept-Language": "ar"}).text
    assert "إحالة مكررة" in page and "Karwan" not in page


def test_the_police_see_which_provider_holds_their_referral(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_status")] = {**fx.STATUS, "status": "received",
                                                 "held_by": "provider-b"}
    sign_in(web, accounts, "police")
    page = get(web, f"/police/referrals/{fx.REF}").text
    assert re.search(r'id="held-by"[^>]*>provider-b<', page)


def test_the_withdrawal_form_sends_the_chosen_code_and_the_note(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_status")] = {**fx.STATUS, "status": "received"}
    sign_in(web, accounts, "police")
    page = get(web, f"/police/referrals/{fx.REF}").text
    assert 'name="reason_code"' in page and 'value="returned_home"' in page
    response = post(web, f"/police/referrals/{fx.REF}/withdraw",
                    {"reason_code": "returned_home", "reason": "went home"},
                    page=f"/police/referrals/{fx.REF}")
    assert response.status_code == 302
    [call] = [kw for s, m, kw in rpc.calls if (s, m) == ("referral", "withdraw")]
    assert (call["reason_code"], call["reason"]) == ("returned_home", "went home")


# --- the agency directory (administrators) ---------------------------------------------------------

AGENCIES = [{"id": "erbil-shelter", "kind": "shelter_provider", "active": True, "region": "Erbil",
             "names": {"en": "Safe Haven", "ar": "الملاذ الآمن"}, "services": ["shelter"],
             "languages": ["ar"], "routing_order": 1},
            {"id": "duhok-tip-unit", "kind": "police_unit", "active": False, "region": "Duhok",
             "names": {"en": "Duhok police"}, "services": [], "languages": [], "routing_order": None}]


def test_the_agencies_page_lists_registers_and_deactivates_in_the_page_language(web, accounts, rpc):
    rpc.responses[("referral", "list_agencies")] = AGENCIES
    sign_in(web, accounts, "admin", lang="ar")
    page = get(web, "/admin/agencies", headers={"Accept-Language": "ar"})
    assert page.status_code == 200, page.text
    assert "الملاذ الآمن" in page.text and "Duhok police" in page.text  # no Arabic name: English
    assert "مقدّم إيواء" in page.text  # the kind's label
    rpc.responses[("referral", "register_agency")] = lambda **kw: {**AGENCIES[0], "id": kw["agency"]}
    added = post(web, "/admin/agencies", {"id": "duhok-gov-shelter", "kind": "shelter_provider",
                                          "names.en": "Duhok House", "services": "shelter",
                                          "languages": "ar, ckb", "routing_order": "2"},
                 page="/admin/agencies")
    assert added.status_code == 302 and "agency_added" in added.headers["Location"]
    call = [c for c in rpc.calls if c[1] == "register_agency"][-1][2]
    assert (call["agency"], call["names"], call["languages"], call["routing_order"]) == (
        "duhok-gov-shelter", {"en": "Duhok House"}, ["ar", "ckb"], 2)
    rpc.responses[("referral", "register_agency")] = se.Conflict("exists", field="id")
    again = post(web, "/admin/agencies", {"id": "erbil-shelter", "kind": "shelter_provider",
                                          "names.en": "x"}, page="/admin/agencies")
    assert again.status_code == 409 and 'aria-invalid="true"' in again.text
    bad = post(web, "/admin/agencies", {"id": "x", "kind": "spaceship", "names.en": "x"},
               page="/admin/agencies")
    assert bad.status_code == 422
    rpc.responses[("referral", "update_agency")] = {**AGENCIES[1], "active": True}
    flipped = post(web, "/admin/agencies/duhok-tip-unit/active", {"active": "true"},
                   page="/admin/agencies")
    assert flipped.status_code == 302
    assert [c for c in rpc.calls if c[1] == "update_agency"][-1][2]["changes"] == {"active": True}


def test_the_agencies_page_is_for_administrators(web, accounts, rpc):
    sign_in(web, accounts, "police")
    assert get(web, "/admin/agencies").status_code == 403


def test_a_session_of_an_inactive_agency_is_refused_on_every_page(web, accounts, rpc, directory):
    rpc.responses[("referral", "list_referrals")] = fx.LISTING
    sign_in(web, accounts, "police")
    assert get(web, "/police/referrals").status_code == 200
    directory.add("erbil-tip-unit", kind="police_unit", active=False)
    page = get(web, "/police/referrals")
    assert page.status_code == 401 and "Ask an administrator" in page.text


def test_the_referral_form_addresses_a_provider_or_the_network(web, accounts, intake, rpc, directory):
    rpc.responses[("referral", "list_agencies")] = AGENCIES[:1]
    directory.add("erbil-shelter", kind="shelter_provider")
    sign_in(web, accounts, "police", lang="ar")
    page = get(web, "/police/referrals/new", headers={"Accept-Language": "ar"})
    assert 'value="erbil-shelter"' in page.text and "الملاذ الآمن" in page.text
    assert [c[2]["kind"] for c in rpc.calls if c[1] == "list_agencies"] == ["shelter_provider"]
    data = {**_form_of(CANONICAL_BODY), "csrf_token": csrf_of(page.text),
            "addressed_to": "erbil-shelter"}
    sent = web.post("/police/referrals/new", base_url=BASE, data=data)
    assert sent.status_code == 302, sent.text
    assert intake.submissions[0]["body"]["addressed_to"] == "erbil-shelter"
    rpc.responses[("referral", "list_agencies")] = TimeoutError()  # the directory cannot be read
    page = get(web, "/police/referrals/new")
    assert page.status_code == 200 and 'name="addressed_to"' in page.text
# --- a provider's own facilities ----------------------------------------------------------------

FACILITIES = [{"facility": "erbil-shelter", "name": "Demo shelter", "provider": "erbil-shelter",
               "status": "open", "created_at": fx.AT, "closed_at": None},
              {"facility": "erbil-old", "name": "Old house", "provider": "erbil-shelter",
               "status": "closed", "created_at": fx.AT, "closed_at": fx.AT}]


def test_shelter_staff_register_rename_and_close_their_facilities_on_a_page(web, accounts, rpc):
    from services.common.errors import Conflict
    rpc.responses[("shelter", "list_facilities")] = FACILITIES
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/facilities")
    assert page.status_code == 200 and "Demo shelter" in page.text and "Old house" in page.text
    rpc.responses[("shelter", "register_facility")] = FACILITIES[0]
    response = post(web, "/shelter/facilities", {"facility": "erbil-2", "name": "Second house"},
                    page="/shelter/facilities")
    assert response.status_code == 302
    assert rpc.calls[-1][1] == "register_facility"
    assert {k: rpc.calls[-1][2][k] for k in ("facility", "name", "provider")} == {
        "facility": "erbil-2", "name": "Second house", "provider": None}
    rpc.responses[("shelter", "rename_facility")] = FACILITIES[0]
    response = post(web, "/shelter/facilities/erbil-shelter/rename",
                    {"rename-erbil-shelter-name": "Erbil house"}, page="/shelter/facilities")
    assert response.status_code == 302 and rpc.calls[-1][2]["name"] == "Erbil house"
    rpc.responses[("shelter", "close_facility")] = Conflict("3 bed(s) are occupied", field="facility")
    response = post(web, "/shelter/facilities/erbil-shelter/close", {}, page="/shelter/facilities")
    assert response.status_code == 409 and "cannot be closed" in response.text


def test_shelter_staff_name_a_facility_manager_on_the_page(web, accounts, rpc):
    rpc.responses[("shelter", "list_facilities")] = [dict(FACILITIES[0], manager="fm.one")]
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/facilities")
    assert 'name="manager-erbil-shelter-manager" type="text" value="fm.one"' in page.text
    rpc.responses[("shelter", "set_facility_manager")] = FACILITIES[0]
    response = post(web, "/shelter/facilities/erbil-shelter/manager",
                    {"manager-erbil-shelter-manager": "fm.two"}, page="/shelter/facilities")
    assert response.status_code == 302
    assert (rpc.calls[-1][1], rpc.calls[-1][2]["facility"], rpc.calls[-1][2]["manager"]) == (
        "set_facility_manager", "erbil-shelter", "fm.two")
    response = post(web, "/shelter/facilities/erbil-shelter/manager",
                    {"manager-erbil-shelter-manager": ""}, page="/shelter/facilities")
    assert response.status_code == 302 and rpc.calls[-1][2]["manager"] is None
    refused = post(web, "/shelter/facilities/erbil-shelter/manager",
                   {"manager-erbil-shelter-manager": "Jane Doe"}, page="/shelter/facilities")
    assert refused.status_code == 422 and "field-error" in refused.text
# --- follow-up after discharge (docs/decisions/0051) --------------------------------------------

def test_shelter_staff_record_a_follow_up_contact_on_a_page(web, accounts, rpc):
    from services.common.errors import Conflict, InvalidInput
    fx.answer_everything(rpc)
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/follow-ups?state=overdue&mine=1")
    assert page.status_code == 200
    [listed] = [kw for _, method, kw in rpc.calls if method == "list_follow_ups"]
    assert (listed["state"], listed["mine"]) == ("overdue", True)
    assert 'id="follow-up-41" class="overdue"' in page.text and "Reached, safe" in page.text
    assert page.text.count('name="record-') == 2  # the overdue one's form only: outcome, day
    rpc.responses[("shelter", "record_follow_up")] = {**fx.FOLLOW_UP, "state": "recorded"}
    done = post(web, "/shelter/follow-ups/41", {"record-41-outcome": "needs_support",
                                                 "record-41-contacted_on": "2026-03-09"},
                page="/shelter/follow-ups")
    assert done.status_code == 302 and "notice=saved" in done.headers["Location"]
    assert (rpc.calls[-1][1], rpc.calls[-1][2]["follow_up_id"], rpc.calls[-1][2]["outcome"],
            rpc.calls[-1][2]["contacted_on"]) == ("record_follow_up", 41, "needs_support",
                                                  "2026-03-09")
    calls = len(rpc.calls)
    refused = post(web, "/shelter/follow-ups/41", {"record-41-outcome": "needs_support",
                                                    "record-41-contacted_on": "9 March"},
                   page="/shelter/follow-ups")
    assert refused.status_code == 422 and "field-error" in refused.text
    assert "record_follow_up" not in [c[1] for c in rpc.calls[calls:]]  # refused before the service
    rpc.responses[("shelter", "record_follow_up")] = InvalidInput(
        "must not be before the discharge (2026-02-01)", field="contacted_on")
    refused = post(web, "/shelter/follow-ups/41", {"record-41-outcome": "needs_support",
                                                    "record-41-contacted_on": "2026-01-09"},
                   page="/shelter/follow-ups")
    assert refused.status_code == 422 and "Not before the day she left the shelter." in refused.text
    rpc.responses[("shelter", "record_follow_up")] = Conflict("already recorded", field="outcome")
    refused = post(web, "/shelter/follow-ups/41", {"record-41-outcome": "needs_support",
                                                    "record-41-contacted_on": "2026-03-09"},
                   page="/shelter/follow-ups")
    assert refused.status_code == 409 and 'id="follow-up-changed"' in refused.text


# --- the shelter's tasks (docs/decisions/0042) -------------------------------------------------

def test_shelter_staff_see_assign_and_finish_tasks_on_a_page(web, accounts, rpc):
    from services.common.errors import Conflict, Forbidden
    fx.answer_everything(rpc)
    sign_in(web, accounts, "shelter")
    page = get(web, "/shelter/tasks?status=open&mine=1")
    assert page.status_code == 200
    [listed] = [kw for _, method, kw in rpc.calls if method == "list_tasks"]  # (and the badge)
    assert (listed["mine"], listed["status"]) == (True, "open")
    assert 'id="task-' + "1" * 32 + '" class="overdue"' in page.text
    assert 'id="next-page"' in page.text and "cursor=abc" in page.text
    # a cash approval offers no "not needed" (its item is cancelled instead)
    assert page.text.count('<option value="not_needed">') == 1  # the status filter's only
    assert 'Approve the cash' in page.text
    task = "1" * 32
    rpc.responses[("shelter", "assign_task")] = fx.TASKS["items"][0]
    done = post(web, f"/shelter/tasks/{task}/assign", {f"assign-{task}-assignee": "staff.two"},
                page="/shelter/tasks")
    assert done.status_code == 302 and "notice=saved" in done.headers["Location"]
    assert (rpc.calls[-1][1], rpc.calls[-1][2]["task_id"], rpc.calls[-1][2]["assignee"]) == (
        "assign_task", task, "staff.two")
    refused = post(web, f"/shelter/tasks/{task}/assign", {f"assign-{task}-assignee": "Jane Doe"},
                   page="/shelter/tasks")
    assert refused.status_code == 422 and "field-error" in refused.text
    cash = "2" * 32
    rpc.responses[("shelter", "finish_task")] = Forbidden("the requester", field="outcome")
    refused = post(web, f"/shelter/tasks/{cash}/finish", {f"finish-{cash}-outcome": "done"},
                   page="/shelter/tasks")
    assert refused.status_code == 403 and 'id="task-requester"' in refused.text
    rpc.responses[("shelter", "finish_task")] = Conflict("changed", field="task_id")
    refused = post(web, f"/shelter/tasks/{cash}/finish", {f"finish-{cash}-outcome": "done"},
                   page="/shelter/tasks")
    assert refused.status_code == 409 and 'id="task-changed"' in refused.text
    rpc.responses[("shelter", "finish_task")] = fx.TASKS["items"][1]
    finished = post(web, f"/shelter/tasks/{cash}/finish", {f"finish-{cash}-outcome": "done"},
                    page="/shelter/tasks")
    assert finished.status_code == 302 and rpc.calls[-1][2]["outcome"] == "done"


# --- the file follows consent, partner referrals (docs/decisions/0040) -----------------------------

def test_a_provider_without_file_consent_sees_the_summary_and_says_so(web, accounts, rpc):
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_file")] = fx.FILE_SUMMARY
    sign_in(web, accounts, "shelter")
    response = get(web, f"/shelter/referrals/{fx.REF}")
    assert response.status_code == 200
    assert 'id="file-not-shared"' in response.text and 'id="file-summary"' in response.text
    assert "Amina" not in response.text
    fx.answer_everything(rpc)
    assert 'id="file-not-shared"' not in get(web, f"/shelter/referrals/{fx.REF}").text


def test_a_partner_answers_from_its_list_and_sees_nothing_else(web, accounts, rpc):
    fx.answer_everything(rpc)
    sign_in(web, accounts, "partner")
    page = get(web, "/partner/referrals")
    assert page.status_code == 200 and fx.REF in page.text
    assert page.text.count('name="status" value="accepted"') == 1   # the sent one may be accepted
    rpc.responses[("shelter", "answer_partner_referral")] = fx.PARTNER_REFERRALS[1]
    done = post(web, f"/partner/referrals/{'8' * 32}/status",
                {"status": "done", "outcome_code": "service_delivered"}, page="/partner/referrals")
    assert done.status_code == 302
    service, method, kwargs = rpc.calls[-1]
    assert (service, method, kwargs["status"], kwargs["outcome_code"]) == (
        "shelter", "answer_partner_referral", "done", "service_delivered")
    refused = post(web, f"/partner/referrals/{'8' * 32}/status", {"status": "declined"},
                   page="/partner/referrals")
    assert refused.status_code == 422 and "field-error" in refused.text
    for path in SHELTER_PAGES + POLICE_PAGES + LEGAL_PAGES:
        assert get(web, path).status_code == 403, path


def test_shelter_staff_refer_an_item_to_a_partner_from_a_form(web, accounts, rpc):
    sign_in(web, accounts, "shelter")
    rpc.responses[("shelter", "refer_plan_item_to_partner")] = {}
    sent = post(web, "/shelter/partner-referrals", {"plan_id": "4", "item_id": "9",
                                                     "partner_agency": "iom-erbil",
                                                     "service": "travel_document"},
                page="/shelter/partner-referrals/new")
    assert sent.status_code == 302
    service, method, kwargs = rpc.calls[-1]
    assert (method, kwargs["plan_id"], kwargs["item_id"], kwargs["partner_agency"],
            kwargs["service_code"]) == ("refer_plan_item_to_partner", 4, 9, "iom-erbil",
                                        "travel_document")
    bad = post(web, "/shelter/partner-referrals", {"plan_id": "x", "item_id": "9",
                                                    "partner_agency": "iom-erbil",
                                                    "service": "haircut"},
               page="/shelter/partner-referrals/new")
    assert bad.status_code == 422 and "field-error" in bad.text


def test_the_referral_page_says_admitted_from_the_bed_board_before_the_status_follows(web, accounts, rpc):
    # right after this shelter's admission the referral service may not have applied it yet:
    # the page takes the shelter's own bed boards (the referral's place on them), which are
    # immediate
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_status")] = {**fx.STATUS, "status": "bed_held"}
    rpc.responses[("shelter", "referral_place")] = {
        "facilities": FACILITIES, "place": {"facility": "erbil-shelter", "state": "admitted"}}
    sign_in(web, accounts, "shelter")
    page = get(web, f"/shelter/referrals/{fx.REF}?notice=admitted")
    at = page.text.find('id="status"')
    assert "s-admitted" in page.text[at:at + 200], page.text[at:at + 300]
    assert 'id="care-plan-link"' in page.text and 'id="admit-button"' not in page.text
    # one call to the shelter for the place, with the reference; no bed board is built
    shelter_calls = [(m, kw["reference"]) for s, m, kw in rpc.calls if s == "shelter"]
    assert shelter_calls == [("referral_place", fx.REF)], shelter_calls
    # while the bed is only held, the referral service's status stands and admitting is offered
    # at the facility that holds it
    rpc.responses[("shelter", "referral_place")] = {
        "facilities": FACILITIES, "place": {"facility": "erbil-shelter", "state": "held"}}
    page = get(web, f"/shelter/referrals/{fx.REF}")
    at = page.text.find('id="status"')
    assert "s-bed_held" in page.text[at:at + 200], page.text[at:at + 300]
    assert 'id="admit-button"' in page.text and 'id="care-plan-link"' not in page.text
    assert "/shelter/facilities/erbil-shelter/admissions" in page.text


def test_the_referral_page_offers_only_open_facilities_and_defaults_to_the_first(web, accounts, rpc):
    # accepted, no place yet (the hold expired): admitting is offered at the provider's first
    # open facility; the closed one is never offered
    fx.answer_everything(rpc)
    rpc.responses[("referral", "get_status")] = {**fx.STATUS, "status": "accepted"}
    annex = {**FACILITIES[0], "facility": "erbil-annex", "name": "Annex"}
    rpc.responses[("shelter", "referral_place")] = {
        "facilities": [FACILITIES[1], annex], "place": None}  # the closed one listed first
    sign_in(web, accounts, "shelter")
    page = get(web, f"/shelter/referrals/{fx.REF}").text
    assert 'id="admit-button"' in page
    assert "/shelter/facilities/erbil-annex/admissions" in page and "erbil-old" not in page
