"""Administrator pages, each through ``api.perform`` as its ``/api/v1`` endpoint:

* the agency directory (docs/decisions/0037): every agency with its kind, region and state;
  registering one; deactivating and activating;
* web users (docs/decisions/0043): the list, adding one (a generated password is shown once, on
  that answer only), disabling and enabling, a new password;
* tokens: revoking one token by its jti, or everything a user holds now;
* the audit trail of each service by object or actor, and checking its keyed chain against the
  last checkpoint (recording the next);
* the dead letters, each with a retry.
"""

from flask import redirect, request, url_for

from services.common import errors as service_errors
from services.contracts.vocabulary import AGENCY_KINDS, AGENCY_SERVICES

from ..errors import ApiProblem
from .common import notice
from .core import blueprint, call, page, render_page
from .forms import INPUT_ERRORS, F, build, field_errors, send
from .i18n import gettext as _

NEW_AGENCY = [F("id"), F("kind"), F("names.en"), F("names.ar"), F("names.ckb"), F("region"),
              F("services", "list"), F("languages", "csv"), F("routing_order", "int")]


def _agencies_page(errors=None, status=200):
    agencies = call("list_agencies")["items"]
    values = request.form if request.method == "POST" else {}
    chosen = request.form.getlist("services") if request.method == "POST" else []
    return render_page("admin_agencies.html", status=status, title=_("Agencies"),
                       agencies=agencies, kinds=AGENCY_KINDS, services=AGENCY_SERVICES,
                       chosen=chosen, errors=errors or {}, values=values, notice=notice())


@blueprint.get("/admin/agencies")
@page("admin")
def admin_agencies():
    return _agencies_page()


@blueprint.post("/admin/agencies")
@page("admin")
def admin_add_agency():
    try:
        _agency, errors = send("register_agency", build(request.form, NEW_AGENCY), NEW_AGENCY)
    except ApiProblem as exc:
        if exc.code != "agency-exists":
            raise
        return _agencies_page({"id": [_("An agency with this id exists.")]}, status=409)
    if errors is not None:
        return _agencies_page(errors, status=422)
    return redirect(url_for("web.admin_agencies", notice="agency_added"))


@blueprint.post("/admin/agencies/<agency>/active")
@page("admin")
def admin_agency_active(agency):
    active = request.form.get("active") == "true"
    call("update_agency", body={"active": active}, agency=agency)
    return redirect(url_for("web.admin_agencies",
                            notice="agency_activated" if active else "agency_deactivated"))


# --- web users -------------------------------------------------------------------------------------

NEW_USER = [F("username"), F("role"), F("agency"), F("password", "text")]
RESET = [F("password", "text")]
ROLES_SHOWN = ("police", "shelter", "legal", "court", "partner", "analyst", "admin")


def _users_page(errors=None, status=200, failed=None, shown=None, values=None):
    users = call("list_web_users")
    agencies = [a for a in call("list_agencies")["items"] if a.get("active")]
    return render_page("admin_users.html", status=status, title=_("Web users"), users=users,
                       agencies=agencies, roles=ROLES_SHOWN, errors=errors or {},
                       failed=failed, values=values or {}, shown=shown, notice=notice())


def _without_password(form) -> dict:
    """The posted values to show again: never a password."""
    return {k: v for k, v in form.items() if not k.endswith("password") and k != "csrf_token"}


@blueprint.get("/admin/users")
@page("admin")
def admin_users():
    return _users_page()


@blueprint.post("/admin/users")
@page("admin")
def admin_add_user():
    try:
        made, errors = send("create_web_user", build(request.form, NEW_USER), NEW_USER)
    except ApiProblem as exc:
        if exc.code != "user-exists":
            raise
        return _users_page({"username": [_("A web user has this username.")]}, status=409,
                           failed="create", values=_without_password(request.form))
    if errors is not None:
        return _users_page(errors, status=422, failed="create",
                           values=_without_password(request.form))
    if made.get("password"):  # generated: shown this once, on this answer only (no-store)
        return _users_page(shown={"username": made["username"], "password": made["password"],
                                  "what": "created"})
    return redirect(url_for("web.admin_users", notice="user_added"))


@blueprint.post("/admin/users/<username>/active")
@page("admin")
def admin_user_active(username):
    enable = request.form.get("enabled") == "true"
    call("enable_web_user" if enable else "disable_web_user", username=username)
    return redirect(url_for("web.admin_users", notice="user_enabled" if enable else "user_disabled"))


@blueprint.post("/admin/users/password")
@page("admin")
def admin_user_password():
    username = request.form.get("reset-username", "")
    if not username:
        return _users_page({"reset-username": [_("Choose a user.")]}, status=422, failed="reset",
                           values=_without_password(request.form))
    changed, errors = send("reset_web_user_password", build(request.form, RESET, prefix="reset-"),
                           RESET, prefix="reset-", username=username)
    if errors is not None:
        return _users_page(errors, status=422, failed="reset",
                           values=_without_password(request.form))
    if changed.get("password"):
        return _users_page(shown={"username": changed["username"],
                                  "password": changed["password"], "what": "reset"})
    return redirect(url_for("web.admin_users", notice="password_set"))


# --- tokens ----------------------------------------------------------------------------------------

REVOKE = [F("jti"), F("user")]


def _tokens_page(errors=None, status=200, values=None):
    return render_page("admin_tokens.html", status=status, title=_("Tokens"),
                       errors=errors or {}, values=values or {}, notice=notice())


@blueprint.get("/admin/tokens")
@page("admin")
def admin_tokens():
    return _tokens_page()


@blueprint.post("/admin/tokens")
@page("admin")
def admin_revoke():
    body = build(request.form, REVOKE)
    _answer, errors = send("revoke", body, REVOKE)
    if errors is not None:
        return _tokens_page(errors, status=422, values=dict(request.form))
    return redirect(url_for("web.admin_tokens",
                            notice="user_tokens_revoked" if "user" in body else "token_revoked"))


# --- the audit trail -------------------------------------------------------------------------------

TRAIL_FILTER = [F("service"), F("object"), F("actor")]
VERIFY = [F("service")]
SERVICES_SHOWN = ("referral", "shelter", "legal", "notify")


def _audit_page(errors=None, status=200, verified=None, failed=None):
    values = {k: v for k, v in request.args.items() if k in ("service", "object", "actor")}
    if request.method == "POST":  # a verify: the trail of the service it checked
        chosen = request.form.get("verify-service", "")
        values = {"service": chosen} if chosen in SERVICES_SHOWN else {}
    query = build(values, TRAIL_FILTER)
    entries = []
    try:
        entries = call("audit_trail", query=query)
    except INPUT_ERRORS as exc:
        errors, status, failed = field_errors(exc, TRAIL_FILTER), 422, "filter"
    chosen = request.form.get("verify-service", "") if failed == "verify" else \
        query.get("service", "referral")
    return render_page("admin_audit.html", status=status, title=_("Audit trail"),
                       entries=entries, services=SERVICES_SHOWN, values=values,
                       service=query.get("service", "referral"), verify_service=chosen,
                       verified=verified, errors=errors or {}, failed=failed)


@blueprint.get("/admin/audit")
@page("admin")
def admin_audit():
    return _audit_page()


@blueprint.post("/admin/audit/verify")
@page("admin")
def admin_audit_verify():
    found, errors = send("verify_audit", build(request.form, VERIFY, prefix="verify-"), VERIFY,
                         prefix="verify-")
    if errors is not None:
        return _audit_page(errors, status=422, failed="verify")
    return _audit_page(verified=found)


# --- dead letters ----------------------------------------------------------------------------------

RETRY = [F("id")]


def _dead_letters_page(errors=None, status=200):
    return render_page("admin_dead_letters.html", status=status, title=_("Dead letters"),
                       parked=call("dead_letters"), errors=errors or {}, notice=notice())


@blueprint.get("/admin/dead-letters")
@page("admin")
def admin_dead_letters():
    return _dead_letters_page()


@blueprint.post("/admin/dead-letters/retry")
@page("admin")
def admin_retry_dead_letter():
    try:
        _retried, errors = send("retry_dead_letter", build(request.form, RETRY), RETRY)
    except service_errors.NotFound:
        return _dead_letters_page({"": [_("No parked message has this id: it was retried "
                                          "already, or never parked.")]}, status=404)
    if errors is not None:
        return _dead_letters_page(errors, status=422)
    return redirect(url_for("web.admin_dead_letters", notice="dead_letter_retried"))
