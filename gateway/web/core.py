"""The web pages' plumbing: the session cookie, CSRF, language, role checks, API calls, errors.

* **Who.** A signed-in browser holds ``refnet_session`` (Secure, HttpOnly, SameSite=Lax): a
  random value whose SHA-256 keys a row of ``web_sessions`` (gateway/accounts.py). The row gives
  the same ``Identity`` a bearer token gives (user, role, agency), and the same revocation table
  applies: ``refnet revoke-token --user U`` ends U's web sessions too.
* **CSRF.** Every POST carries ``csrf_token`` in a hidden field, compared with
  ``hmac.compare_digest``: the session's own random token once signed in; before that (the
  sign-in and language forms), an HMAC of a random pre-session cookie. A POST without it is
  refused (400) before any view runs. A form that carries a file (``upload_form``) may be as
  large as a document allows (``REFNET_ATTACHMENT_MAX_BYTES``): its request's limit is raised
  before the CSRF check reads the form; every other page keeps ``MAX_CONTENT_LENGTH``.
* **Language.** ``refnet_lang`` cookie, chosen with the selector on every page; else the
  browser's Accept-Language; else English.
* **What a page may do.** ``page(*roles)``: signed in (else to the sign-in page), one of the
  page's roles (else 403), within the per-user rate limit. Then every read and change goes
  through ``api.perform``: the declared endpoints' roles, schemas and views, as for the API.
"""

import contextvars
import functools
import hashlib
import hmac
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from services.common import errors as service_errors

from .. import api
from ..errors import UNAVAILABLE, ApiProblem
from ..uploads import FORM_OVERHEAD
from .i18n import gettext as _

blueprint = Blueprint("web", __name__)

SESSION_COOKIE = "refnet_session"
PRE_COOKIE = "refnet_presession"
LANG_COOKIE = "refnet_lang"
LANGUAGES = {"en": "English", "ar": "العربية", "ckb": "کوردی"}
RTL = {"ar", "ckb"}
ONE_YEAR = 365 * 24 * 3600


# --- language ------------------------------------------------------------------------------------

def select_locale() -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default="en") or "en"


def current_language() -> str:
    if "web_lang" not in g:
        g.web_lang = select_locale()
    return g.web_lang


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (another host, ``//host``) gives ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


# --- cookies -------------------------------------------------------------------------------------

def set_cookie(response: Response, name: str, value: str, *, max_age: int | None = None,
               samesite: str = "Lax") -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite=samesite)


def clear_cookie(response: Response, name: str, samesite: str = "Lax") -> None:
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite=samesite)


# --- CSRF ----------------------------------------------------------------------------------------

def _csrf_key() -> bytes:
    return hmac.new(current_app.config["TOKEN_SECRET"].encode(), b"refnet-web-csrf",
                    hashlib.sha256).digest()


def _pre_session_token(nonce: str) -> str:
    return hmac.new(_csrf_key(), nonce.encode(), hashlib.sha256).hexdigest()


def csrf_token() -> str:
    """The hidden field's value for the current browser (a template global)."""
    session = g.get("web_session")
    if session is not None:
        return session.csrf_token
    nonce = request.cookies.get(PRE_COOKIE) or g.get("web_new_pre")
    if not nonce or len(nonce) > 100:
        nonce = g.web_new_pre = secrets.token_urlsafe(24)
    return _pre_session_token(nonce)


def _csrf_ok() -> bool:
    given = request.form.get("csrf_token", "")
    if not given or len(given) > 200:
        return False
    session = g.get("web_session")
    if session is not None:
        return hmac.compare_digest(given.encode(), session.csrf_token.encode())
    nonce = request.cookies.get(PRE_COOKIE)
    if not nonce or len(nonce) > 100:
        return False
    return hmac.compare_digest(given.encode(), _pre_session_token(nonce).encode())


# --- forms that carry a file ----------------------------------------------------------------------

# the web endpoints whose form carries a file (gateway/web/attachments.py)
UPLOAD_ENDPOINTS: set[str] = set()


def upload_form(view):
    """Mark a view whose form carries a file: its request may be as large as a document allows
    (the limit is raised before the CSRF check reads the form). The view reads the file with
    ``attachments.receive``, which answers 413 when the form was beyond the limit."""
    UPLOAD_ENDPOINTS.add(f"{blueprint.name}.{view.__name__}")
    return view


def _read_upload_form() -> bool:
    """Read the form of an upload within the document limit (this request only; the app's
    ``MAX_CONTENT_LENGTH`` stays for every other page). False when it is larger: nothing of it
    was read, and the view sees a form without fields or files."""
    request.max_content_length = current_app.config["ATTACHMENT_MAX_BYTES"] + FORM_OVERHEAD
    try:
        request.form  # noqa: B018 - parsed now, within the raised limit (Flask keeps it)
    except RequestEntityTooLarge:
        request.form = request.parameter_storage_class()
        request.files = request.parameter_storage_class()
        return False
    return True


# --- every web request ---------------------------------------------------------------------------

@blueprint.before_request
def _load_session():
    g.web_page = True
    store = current_app.extensions["refnet.accounts"]
    cookie = request.cookies.get(SESSION_COOKIE)
    session = store.session(cookie) if cookie else None
    if session is not None and current_app.extensions["refnet.revocations"].is_revoked(
            None, session.identity.user, session.created_at):
        store.sign_out(cookie)  # revoked by an administrator: this session is over
        session = None
    g.web_session = session
    if request.method == "POST" and request.endpoint in UPLOAD_ENDPOINTS \
            and not _read_upload_form():
        # too large to read its token: the view shows the form again with 413 and changes
        # nothing (attachments.receive), as a GET of the page would
        g.web_upload_too_large = True
        return None
    if request.method == "POST" and not _csrf_ok():
        return render_page("error.html", status=400, title=_("The form has expired"),
                           detail=_("The form was missing its security token or it has "
                                    "expired. Go back, reload the page and try again."))
    return None


@blueprint.after_request
def _headers(response: Response):
    if g.get("web_new_pre") and not request.cookies.get(PRE_COOKIE) and g.get("web_session") is None:
        set_cookie(response, PRE_COOKIE, g.web_new_pre, samesite="Strict")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; connect-src 'self'; worker-src 'self'; "
        "manifest-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    if request.endpoint == "web.sign_out":
        # whatever the device keeps for this site (the offline queue, the service worker and its
        # copy of the form) goes with the session (docs/decisions/0044)
        response.headers["Clear-Site-Data"] = '"storage"'
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = current_language()
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


def identity():
    session = g.get("web_session")
    return session.identity if session is not None else None


def page(*roles):
    """A page for signed-in people of these roles (any role when none is given)."""
    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            who = identity()
            if who is None:
                if request.method == "GET":
                    return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
                return redirect(url_for("web.sign_in"))
            if roles and who.role not in roles:
                return forbidden()
            wait = current_app.extensions["refnet.ratelimit"].take(who.user)
            if wait:
                response = render_page("error.html", status=429, title=_("Too many requests"),
                                       detail=_("Please wait a moment and try again."))
                response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
                return response
            return view(*args, **kwargs)
        return inner
    return wrap


def forbidden():
    return render_page("error.html", status=403, title=_("Not for your role"),
                       detail=_("This page is not available to your role."))


# --- API calls -----------------------------------------------------------------------------------

def answer(name: str, *, body: dict | None = None, query: dict | None = None,
           headers: dict | None = None, upload=None, **params) -> api.Answer:
    """``api.perform`` for the signed-in person: the API's role check, schemas and view
    (``upload``: an upload endpoint's file, or the function that reads it)."""
    return api.perform(name, identity(), body=body, query=query, headers=headers,
                       correlation_id=g.get("correlation_id"), upload=upload, **params)


def call(name: str, **kwargs):
    """The body of ``answer``: what the API would answer the signed-in person."""
    return answer(name, **kwargs).body


# threads per gateway worker that run a page's independent calls at the same time
PAGE_AT_ONCE = 4
_page_pool: list[ThreadPoolExecutor] = []
_page_pool_lock = threading.Lock()


def at_once(*work: Callable[[], Any]) -> list:
    """Run a page's independent pieces of work (each a function making its calls) at the same
    time, in this request's context; their results in order. The page waits for the slowest,
    not for their sum. The first piece runs in the request's own thread, so a page always
    progresses however busy the pool is. Every piece ends before the first error (in order) is
    raised, as if they had run one after the other."""
    if len(work) <= 1:
        return [w() for w in work]
    with _page_pool_lock:
        if not _page_pool:
            _page_pool.append(ThreadPoolExecutor(max_workers=PAGE_AT_ONCE,
                                                 thread_name_prefix="page-at-once"))
    futures = [_page_pool[0].submit(contextvars.copy_context().run, w) for w in work[1:]]
    try:
        first = work[0]()
    finally:
        wait(futures)
    return [first, *(f.result() for f in futures)]


def clock():
    """The gateway's clock (``app.extensions["refnet.clock"]``)."""
    return current_app.extensions["refnet.clock"]


def today() -> str:
    """Today's date, YYYY-MM-DD, by the gateway's clock."""
    return clock().today().isoformat()


def allowed(name: str) -> bool:
    """Whether the signed-in person's role may use an endpoint (to show a link or a form)."""
    who = identity()
    return who is not None and who.role in api.BY_NAME[name].roles


# --- rendering -----------------------------------------------------------------------------------

def render_page(template: str, status: int = 200, **context) -> Response:
    response = current_app.make_response(render_template(template, **context))
    response.status_code = status
    return response


def _status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.code or 500
    if isinstance(exc, ApiProblem):
        return exc.status
    if isinstance(exc, service_errors.NotFound):
        return 404
    if isinstance(exc, service_errors.Forbidden):
        return 403
    if isinstance(exc, service_errors.Conflict):
        return 409
    if isinstance(exc, service_errors.InvalidInput):
        return 422
    if isinstance(exc, tuple(UNAVAILABLE)):
        return 503
    if isinstance(exc, RemoteError):
        return 502
    return 500


def error_text(status: int) -> tuple[str, str]:
    texts = {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Your agency may not sign in"), _("Your agency is not in the agency directory, "
                                                  "or it is inactive. Ask an administrator.")),
        403: (_("Not for your role"), _("This page is not available to your role.")),
        404: (_("Not found"), _("There is nothing here, or nothing you may see.")),
        409: (_("Not possible now"), _("This change is not possible in the current state. "
                                       "Reload the page to see the latest.")),
        422: (_("Check the form"), _("Some values were not accepted.")),
        429: (_("Too many requests"), _("Please wait a moment and try again.")),
        502: (_("A service failed"), _("A service could not complete the request. Try again shortly.")),
        503: (_("A service is not answering"), _("Try again in a few seconds.")),
        500: (_("Something went wrong"), _("Something went wrong on our side.")),
    }
    return texts.get(status, texts[500])


@blueprint.errorhandler(Exception)
def _error_page(exc: Exception):
    status = _status_of(exc)
    if status == 500:
        current_app.logger.exception("web page failed (%s)", type(exc).__name__)
    elif status in (502, 503):
        current_app.logger.warning("web page: a service did not answer (%s)", type(exc).__name__)
    title, detail = error_text(status)
    response = render_page("error.html", status=status, title=title, detail=detail)
    if status == 503:
        response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
    return response
