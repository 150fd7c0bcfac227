"""Administrator pages: the agency directory (docs/decisions/0037): every agency with its kind,
region and state; registering one; deactivating and activating. Through ``api.perform``, as
``/api/v1/agencies``."""

from flask import redirect, request, url_for
from flask_babel import gettext as _

from services.contracts.vocabulary import AGENCY_KINDS, AGENCY_SERVICES

from ..errors import ApiProblem
from .common import notice
from .core import blueprint, call, page, render_page
from .forms import F, build, send

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
