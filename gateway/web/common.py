"""Pages for everyone: the start page, sign-in and sign-out, the language, bed availability."""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, g, redirect, request, url_for

from ..signin_guard import Throttled, client_address
from .core import (LANG_COOKIE, LANGUAGES, ONE_YEAR, PRE_COOKIE, SESSION_COOKIE, blueprint, call,
                   clear_cookie, identity, page, render_page, safe_next, set_cookie)
from .i18n import gettext as _, lazy_gettext as _l

HOME = {"police": "web.police_referrals", "shelter": "web.shelter_incoming",
        "legal": "web.legal_cases", "court": "web.court_cases",
        "partner": "web.partner_referrals", "analyst": "web.reports"}

NOTICES = {
    "signed_out": _l("You are signed out."),
    "sent": _l("The referral was sent. The shelter will see it in a moment."),
    "withdrawn": _l("The referral was withdrawn."),
    "accepted": _l("Accepted. The beds are held for this referral."),
    "declined": _l("Declined. The police will see the reason."),
    "referred_on": _l("Referred on: the provider you chose holds the referral now."),
    "screening_started": _l("Screening started. The police will see the reason."),
    "admitted": _l("Admitted. A care plan was opened."),
    "discharged": _l("Discharged. The freed beds were offered to the waiting list."),
    "saved": _l("Saved."),
    "document_added": _l("The document was added."),
    "referred_to_partner": _l("The item was referred to the partner agency."),
    "item_added": _l("The item was added to the plan."),
    "approved": _l("Approved: the cash can now be paid."),
    "referred_to_legal": _l("The item was referred to the legal team."),
    "milestone_done": _l("The milestone is done."),
    "note_added": _l("The note was added."),
    "screening_recorded": _l("The screening result was recorded."),
    "case_opened": _l("The legal case was opened."),
    "hearing_scheduled": _l("The hearing was scheduled."),
    "agency_added": _l("The agency was registered."),
    "agency_activated": _l("The agency is active."),
    "agency_deactivated": _l("The agency is inactive: its tokens and web users are refused."),
    "user_added": _l("The web user was added. They sign in with the password you gave."),
    "user_disabled": _l("The web user is disabled: their sessions ended."),
    "user_enabled": _l("The web user is enabled and can sign in again."),
    "password_set": _l("The password was changed: the user's sessions ended."),
    "token_revoked": _l("The token is revoked."),
    "user_tokens_revoked": _l("Every token the user holds now is revoked, and their web sessions ended."),
    "dead_letter_retried": _l("The message went back to its queue."),
    "consent_recorded": _l("The consent was recorded."),
    "consent_withdrawn": _l("The consent was withdrawn: it holds from the next read."),
    "waitlist_moved": _l("The waiting list entry was moved. Its reason is recorded."),
}


def notice() -> str | None:
    code = request.args.get("notice")
    return str(NOTICES[code]) if code in NOTICES else None


# --- dates and times -------------------------------------------------------------------------------

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["WEB_TIME_ZONE"])


def when(value) -> str:
    """An ISO timestamp as "YYYY-MM-DD HH:MM" in the pages' time zone (``REFNET_WEB_TIME_ZONE``)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(_zone()).strftime("%Y-%m-%d %H:%M")


def local_time(value) -> str:
    """A timestamp that carries its own offset (a court's local time), as "YYYY-MM-DD HH:MM"."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def hearing_local(hearing: dict) -> str:
    """A hearing's start in the court's own time: "YYYY-MM-DD HH:MM"."""
    if hearing.get("local_date") and hearing.get("local_time"):
        return f"{hearing['local_date']} {hearing['local_time']}"
    if hearing.get("starts_at_local"):
        return local_time(hearing["starts_at_local"])
    if hearing.get("starts_at") and hearing.get("time_zone"):
        moment = datetime.fromisoformat(hearing["starts_at"].replace("Z", "+00:00"))
        return moment.astimezone(ZoneInfo(hearing["time_zone"])).strftime("%Y-%m-%d %H:%M")
    return when(hearing.get("starts_at"))


# --- pages ---------------------------------------------------------------------------------------

@blueprint.get("/")
def home():
    who = identity()
    if who is None:
        return redirect(url_for("web.sign_in"))
    return redirect(url_for(HOME.get(who.role, "web.beds")))


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    target = safe_next(request.values.get("next"), "/")
    if request.method == "GET":
        if identity() is not None:
            return redirect(target)
        return render_page("sign_in.html", next=target, username="", failed=False,
                           notice=notice())
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    store = current_app.extensions["refnet.accounts"]
    client = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                            current_app.config["TRUSTED_PROXIES"])
    try:
        _take_attempt(client)
        signed = store.sign_in(username, password, int(time.time()), client=client)
    except Throttled as refused:
        current_app.logger.info("web sign-in throttled (%s)", refused.why)
        response = render_page("sign_in.html", status=429, next=target, username=username[:100],
                               failed=False, throttled=True, notice=None)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    if signed is None:
        current_app.logger.info("web sign-in refused")
        return render_page("sign_in.html", status=200, next=target, username=username[:100],
                           failed=True, notice=None)
    cookie, session = signed
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        store.sign_out(old)  # a new session id at every sign-in (no session fixation)
    current_app.logger.info("web sign-in of %s (%s)", session.identity.user, session.identity.role)
    response = redirect(target if target != "/" else url_for(HOME.get(session.identity.role, "web.beds")))
    set_cookie(response, SESSION_COOKIE, cookie,
               max_age=current_app.extensions["refnet.accounts"].session_seconds)
    clear_cookie(response, PRE_COOKIE, samesite="Strict")
    return response


def _take_attempt(client: str) -> None:
    """This worker's attempt buckets, per client address and for everyone, before any password
    is checked (signin_guard.py); ``Throttled`` past either."""
    for bucket, key, why in (("refnet.signin_clients", client, "client"),
                             ("refnet.signin_everyone", "", "everyone")):
        wait = current_app.extensions[bucket].take(key)
        if wait:
            raise Throttled(wait, why)


@blueprint.post("/sign-out")
def sign_out():
    current_app.extensions["refnet.accounts"].sign_out(request.cookies.get(SESSION_COOKIE))
    g.web_session = None
    response = redirect(url_for("web.sign_in", notice="signed_out"))
    clear_cookie(response, SESSION_COOKIE)
    return response


@blueprint.post("/language")
def language():
    chosen = request.form.get("language")
    response = redirect(safe_next(request.form.get("next"), "/"))
    if chosen in LANGUAGES:
        set_cookie(response, LANG_COOKIE, chosen, max_age=ONE_YEAR)
    return response


@blueprint.get("/beds")
@page()
def beds():
    facilities = call("availability")["facilities"]
    by_facility: dict[str, dict] = {}
    for row in facilities:
        entry = by_facility.setdefault(row["facility"], {"facility": row["facility"],
                                                         "name": row.get("facility_name") or row["facility"],
                                                         "groups": []})
        entry["groups"].append(row)
    return render_page("beds.html", facilities=list(by_facility.values()), title=_("Bed availability"))
