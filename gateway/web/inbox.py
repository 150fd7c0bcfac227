"""The inbox pages, for every signed-in role (docs/decisions/0042): the person's notifications
and their duty desk's, newest first, each marked read with a button; their notification
preferences; and the unread count every page's header shows. Through the API's endpoints
(``api.perform``), as every page.

The header's count is what the page can do without: it is asked for within ``BADGE_TIMEOUT``
seconds, kept a few seconds per person (``gateway/unread.py``), and when the notify service does
not answer the page shows the inbox link without a count, never an error.
"""

import logging
from urllib.parse import urlsplit

from flask import current_app, redirect, request, url_for

from services.contracts.vocabulary import NOTIFY_LANGUAGES, NOTIFY_MOMENTS

from .common import notice
from .core import (LANGUAGES, answer, blueprint, call, current_language, identity, page,
                   render_page, safe_next)
from .forms import F, build, send
from .i18n import gettext as _

log = logging.getLogger(__name__)

BADGE_TIMEOUT = 1.0   # seconds a page waits for its header's unread count
OUTSIDE = ("email", "sms")  # the channels a person chooses per moment; the inbox is always on
PREFERENCES = [F("language"), F("email"), F("phone"), F("time_zone"), F("quiet_hours.start"),
               F("quiet_hours.end"), F("digest.enabled", "bool"), F("digest.hour", "int"),
               *(F(f"moments.{moment}", "list") for moment in NOTIFY_MOMENTS)]


# --- the header's count --------------------------------------------------------------------------

def unread_badge() -> int | None:
    """The signed-in person's unread count for the header, or None (not signed in, or the
    notify service did not answer in time). Never raises."""
    who = identity()
    if who is None:
        return None
    try:
        return current_app.extensions["refnet.unread"].get((who.user, who.role, who.agency),
                                                           _ask_unread)
    except Exception:  # noqa: BLE001 - the header goes without its count, the page still shows
        log.exception("unread badge failed")
        return None


def _ask_unread() -> int | None:
    try:
        count = answer("unread_inbox", rpc_timeout=BADGE_TIMEOUT).body.get("unread")
    except Exception as exc:  # noqa: BLE001 - slow, down or refusing: no count this time
        log.info("unread badge: no count (%s)", type(exc).__name__)
        return None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


# --- the inbox -----------------------------------------------------------------------------------

def local_link(link) -> str | None:
    """The page a notification points to, as a path of this site: a link the notify service
    wrote with the public address keeps its path; anything else elsewhere is not shown."""
    if not isinstance(link, str) or not link:
        return None
    parts = urlsplit(link)
    if parts.scheme in ("http", "https") and parts.netloc:
        link = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(link, "") or None


@blueprint.get("/inbox")
@page()
def inbox():
    unread_only = request.args.get("unread") == "true"
    query = {"unread": "true" if unread_only else "false"}
    if request.args.get("cursor"):
        query["cursor"] = request.args["cursor"]
    listing = call("list_inbox", query=query, headers={"Accept-Language": current_language()})
    items = [{**item, "href": local_link(item.get("link"))} for item in listing.get("items") or []]
    unread = listing.get("unread")
    if isinstance(unread, int) and not isinstance(unread, bool):  # the header shows the same
        who = identity()
        current_app.extensions["refnet.unread"].put((who.user, who.role, who.agency), unread)
    return render_page("inbox.html", title=_("Notifications"), items=items,
                       unread=unread, next_cursor=listing.get("next_cursor"),
                       unread_only=unread_only, notice=notice())


@blueprint.post("/inbox/<notification_id>/read")
@page()
def inbox_mark_read(notification_id):
    call("mark_inbox_read", notification_id=notification_id)
    back = {"unread": "true"} if request.form.get("unread") == "true" else {}
    return redirect(url_for("web.inbox", **back, _anchor="inbox-list"))


# --- preferences ---------------------------------------------------------------------------------

def _form_values(saved: dict) -> tuple[dict, dict, bool]:
    """The form's values, the channels chosen per moment and the digest's box, from the saved
    preferences."""
    quiet = saved.get("quiet_hours") or {}
    digest = saved.get("digest") or {}
    values = {"language": saved.get("language") or "en", "email": saved.get("email") or "",
              "phone": saved.get("phone") or "", "time_zone": saved.get("time_zone") or "",
              "quiet_hours.start": quiet.get("start") or "", "quiet_hours.end": quiet.get("end") or "",
              "digest.hour": str(digest.get("hour", ""))}
    chosen = {moment: list(channels or []) for moment, channels in
              (saved.get("moments") or {}).items()}
    return values, chosen, bool(digest.get("enabled"))


def _preferences_page(values, chosen, digest_enabled, errors=None, status=200):
    return render_page("inbox_preferences.html", status=status, title=_("Notification settings"),
                       values=values, chosen=chosen, digest_enabled=digest_enabled,
                       moments=NOTIFY_MOMENTS, channels=OUTSIDE,
                       message_languages=[(code, LANGUAGES.get(code, code)) for code in NOTIFY_LANGUAGES],
                       hours=[(str(h), f"{h:02d}:00") for h in range(24)],
                       errors=errors or {}, notice=notice())


@blueprint.get("/inbox/preferences")
@page()
def inbox_preferences():
    return _preferences_page(*_form_values(call("get_preferences")))


@blueprint.post("/inbox/preferences")
@page()
def inbox_save_preferences():
    _saved, errors = send("save_preferences", build(request.form, PREFERENCES), PREFERENCES)
    if errors is not None:
        chosen = {moment: request.form.getlist(f"moments.{moment}") for moment in NOTIFY_MOMENTS}
        return _preferences_page(request.form, chosen, request.form.get("digest.enabled") == "on",
                                 errors, status=422)
    return redirect(url_for("web.inbox_preferences", notice="saved"))
