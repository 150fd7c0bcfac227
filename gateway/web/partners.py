"""Partner referrals' pages (docs/decisions/0040): a partner agency's list of what was referred
to it, with accept, decline (a reason) and done (an outcome) forms; and, in the shelter's care
area, the form that refers a care-plan item to a partner agency. Through the API's endpoints
(``api.perform``), as every page."""

from flask import redirect, request, url_for

from services.contracts.vocabulary import (PARTNER_DECLINE_REASONS, PARTNER_OUTCOMES,
                                           PARTNER_REFERRAL_STATUSES, PARTNER_SERVICES,
                                           ROLE_AGENCY_KINDS)

from .common import notice
from .core import blueprint, call, page, render_page
from .forms import F, build, send
from .i18n import gettext as _

ANSWER = [F("status"), F("reason_code"), F("outcome_code")]
REFERRAL = [F("partner_agency"), F("service")]


def _list_page(errors=None, failed=None, status=200):
    chosen = request.args.get("status")
    query = {"status": chosen} if chosen in PARTNER_REFERRAL_STATUSES else {}
    items = call("list_partner_referrals", query=query)
    return render_page("partner_referrals.html", status=status, title=_("Referred to us"),
                       items=items, chosen=chosen if query else "",
                       statuses=PARTNER_REFERRAL_STATUSES, reasons=PARTNER_DECLINE_REASONS,
                       outcomes=PARTNER_OUTCOMES, errors=errors or {}, failed=failed,
                       values=request.form if request.method == "POST" else {},
                       notice=notice())


@blueprint.get("/partner/referrals")
@page("partner")
def partner_referrals():
    return _list_page()


@blueprint.post("/partner/referrals/<partner_referral_id>/status")
@page("partner")
def partner_answer(partner_referral_id):
    _, errors = send("answer_partner_referral", build(request.form, ANSWER), ANSWER,
                     partner_referral_id=partner_referral_id)
    if errors is not None:
        return _list_page(errors, failed=partner_referral_id, status=422)
    return redirect(url_for("web.partner_referrals", notice="saved"))


def _refer_page(errors=None, status=200):
    values = request.form if request.method == "POST" else request.args
    return render_page("partner_refer.html", status=status, title=_("Refer to a partner agency"),
                       services=PARTNER_SERVICES, errors=errors or {}, values=values,
                       partner_kinds=ROLE_AGENCY_KINDS["partner"], notice=notice())


@blueprint.get("/shelter/partner-referrals/new")
@page("shelter")
def shelter_partner_referral_form():
    return _refer_page()


@blueprint.post("/shelter/partner-referrals")
@page("shelter")
def shelter_refer_to_partner():
    plan_id, item_id = request.form.get("plan_id", ""), request.form.get("item_id", "")
    if not plan_id.strip().isdigit() or not item_id.strip().isdigit():
        errors = {name: [_("Enter a whole number.")] for name, value in
                  (("plan_id", plan_id), ("item_id", item_id)) if not value.strip().isdigit()}
        return _refer_page(errors, status=422)
    errors = send("refer_plan_item_to_partner", build(request.form, REFERRAL), REFERRAL,
                  plan_id=plan_id.strip(), item_id=item_id.strip())[1]
    if errors is not None:
        return _refer_page(errors, status=422)
    return redirect(url_for("web.shelter_partner_referral_form", notice="referred_to_partner"))
