"""The police form that survives a dropped connection (docs/decisions/0044), on the server's
side: the service worker and the manifest from the site root, a strict CSP that allows only the
site's own script, the per-session queue key on police pages only, the offline copy of the form
without it, Clear-Site-Data at sign-out, and that a form posted again with its idempotency key
lands on the same referral while another body under the same key is refused."""

import re

import pytest

from . import web_fixtures as fx
from .conftest import CANONICAL_BODY
from .test_web_pages import (BASE, _cheap_hashes, _form_of, accounts, csrf_of, get,  # noqa: F401
                             sign_in, web)

KEY = re.compile(r'<meta name="refnet-queue-key" content="([A-Za-z0-9_-]{43})">')


def _csp(response) -> dict[str, str]:
    parts = [p.strip().split(" ", 1) for p in response.headers["Content-Security-Policy"].split(";")]
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def test_the_service_worker_is_served_from_the_root_with_the_pages_csp(web):
    response = get(web, "/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-store"  # a new version is seen at once
    csp = _csp(response)
    assert csp["default-src"] == "'none'" and csp["connect-src"] == "'self'"
    body = response.get_data(as_text=True)
    # the only page it keeps is the police form's offline copy; nothing else is cached
    assert '"/police/referrals/new?shell=1"' in body and "caches.open" in body
    assert "http" not in body.replace("https://", "").split("*/", 1)[1]  # no other origin


def test_the_manifest_starts_at_the_form(web):
    response = get(web, "/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["start_url"] == "/police/referrals/new" and manifest["scope"] == "/"
    assert get(web, manifest["icons"][0]["src"]).status_code == 200


@pytest.mark.parametrize("role", ["police", "shelter", "legal", "court", "partner"])
def test_pages_allow_only_the_sites_own_script(web, accounts, rpc, role):
    fx.answer_everything(rpc)
    sign_in(web, accounts, role)
    page = get(web, "/beds")
    csp = _csp(page)
    assert csp["script-src"] == "'self'" and "unsafe" not in page.headers["Content-Security-Policy"]
    assert csp["worker-src"] == "'self'" and csp["manifest-src"] == "'self'"
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == ['<script src="/static/refnet.js" defer>']  # no inline script anywhere
    police = role == "police"
    assert ('rel="manifest"' in page.text) is police
    assert bool(KEY.search(page.text)) is police  # the queue key: for officers only
    assert ('id="queue"' in page.text) is police


def test_the_queue_key_is_the_sessions_own(app, web, accounts, rpc):
    fx.answer_everything(rpc)
    sign_in(web, accounts, "police")
    first = KEY.search(get(web, "/police/referrals").text).group(1)
    assert KEY.search(get(web, "/police/referrals/new").text).group(1) == first  # stable
    other = app.test_client()
    sign_in(other, accounts, "police", create=False)  # the same officer, another browser
    assert KEY.search(get(other, "/beds").text).group(1) != first
    web.post("/sign-out", base_url=BASE, data={"csrf_token": csrf_of(get(web, "/beds").text)})
    sign_in(web, accounts, "police", create=False)
    assert KEY.search(get(web, "/beds").text).group(1) != first  # a new session, a new key


def test_the_offline_copy_of_the_form_has_no_key_no_badge_and_no_idempotency_key(web, accounts, rpc):
    fx.answer_everything(rpc)
    sign_in(web, accounts, "police")
    live = get(web, "/police/referrals/new")
    assert KEY.search(live.text)
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', live.text)
    before = len(rpc.calls)
    shell = get(web, "/police/referrals/new?shell=1")
    assert shell.status_code == 200 and 'id="referral-form"' in shell.text
    assert 'data-shell="1"' in shell.text
    assert not KEY.search(shell.text) and 'name="refnet-queue-key"' not in shell.text
    assert 'name="idempotency_key" value=""' in shell.text
    assert 'id="unread-count"' not in shell.text
    assert ("notify", "unread_count") not in {(s, m) for s, m, _ in rpc.calls[before:]}


def test_sign_out_clears_what_the_device_keeps(web, accounts, rpc):
    sign_in(web, accounts, "police")
    page = get(web, "/beds")
    response = web.post("/sign-out", base_url=BASE, data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"storage"'
    assert "Clear-Site-Data" not in page.headers


def test_the_form_posted_again_with_its_key_lands_on_the_same_referral(web, accounts, intake):
    sign_in(web, accounts, "police")
    page = get(web, "/police/referrals/new")
    data = {**_form_of(CANONICAL_BODY), "csrf_token": csrf_of(page.text),
            "idempotency_key": "0f8e1c2d-3b4a-4c5d-9e6f-a1b2c3d4e5f6"}  # as the script makes them
    first = web.post("/police/referrals/new", base_url=BASE, data=data)
    again = web.post("/police/referrals/new", base_url=BASE, data=data)  # the queue's retry
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert {s["reference"] for s in intake.submissions} == {intake.submissions[0]["reference"]}


def test_another_body_under_a_used_key_is_refused_and_the_form_gets_a_new_key(web, accounts, intake):
    sign_in(web, accounts, "police")
    page = get(web, "/police/referrals/new")
    key = "0f8e1c2d-3b4a-4c5d-9e6f-a1b2c3d4e5f7"
    data = {**_form_of(CANONICAL_BODY), "csrf_token": csrf_of(page.text), "idempotency_key": key}
    assert web.post("/police/referrals/new", base_url=BASE, data=data).status_code == 302
    changed = web.post("/police/referrals/new", base_url=BASE,
                       data={**data, "survivor.name": "Someone Else"})
    assert changed.status_code == 422 and len(intake.submissions) == 1
    assert "already sent with other values" in changed.text
    assert 'role="alert"' in changed.text and "Someone Else" in changed.text  # values kept
    new_key = re.search(r'name="idempotency_key" value="([^"]*)"', changed.text).group(1)
    assert new_key and new_key != key
