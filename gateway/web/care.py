"""The shelter's care plan pages: the list of residents' plans and one plan with its goals, the
psychologist the case manager names, the items (owner, dates, status; cash requests and their
second staff member's approval; a legal item referred to the legal team), the four first-week
milestones, the case notes, medical reports (any staff adds one; only the plan's case manager
and psychologist list and download them) and, for those two only, the screening result.

Every read and change goes through the API's care endpoints (gateway/resources/care.py), so
the shelter service's rules decide: a refusal of the input (422) is shown beside its field, a
refusal of the change (409: not possible in the plan's or item's state; 403: a requester
approving their own cash request, someone other than the case manager naming the psychologist)
beside the field or button it concerns, and nothing is changed. The screening section is only
asked for when the person is the plan's case manager or psychologist, and a refusal hides it:
other staff see nothing of it, not an error page.
"""

import re

from flask import redirect, request, url_for

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts.interpreters import STATUSES as INTERPRETER_STATUSES
from services.contracts.vocabulary import (CARE_SERVICES, CASH_PURPOSES, LEGAL_REFERRAL_SERVICES,
                                           PLAN_ITEM_STATUSES, SCREENING_OUTCOMES)

from . import attachments
from .common import notice
from .core import blueprint, call, identity, page, render_page, upload_form
from .forms import INPUT_ERRORS, F, build, field_errors
from .i18n import gettext as _, lazy_gettext as _l
from .names import load_survivor_names, provider_facilities

PLAN_STATUSES = ("open", "closed", "all")
PER_PAGE = 25
MARKABLE = ("legal_rights_briefing", "plan_agreed")  # marked done here; the screening by its result

GOALS = [F("goals", "text")]
PSYCHOLOGIST = [F("psychologist")]
# "cash" is known so that the service's refusal of the cash details as a whole ("cash
# assistance needs purpose, amount and currency") lands on their fieldset; no input is named so
NEW_ITEM = [F("service"), F("owner"), F("starts_on"), F("due_on"), F("cash"),
            F("cash.purpose"), F("cash.amount", "int"), F("cash.currency")]
ITEM = [F("status"), F("owner"), F("starts_on"), F("due_on")]
NOTE = [F("text", "text")]
SCREENING = [F("outcome"), F("summary", "text")]
LANGUAGES = [F("languages", "csv"), F("interpreter_needed", "bool")]
BOOKING = [F("language"), F("status")]

# What a person reads for the shelter service's refusals of a change (409, 403) and its checks
# of personal text, in their language; anything else gets the general "not possible now".
REFUSALS = {
    "must not be empty": _l("Required."),
    "must not be before starts_on": _l("The due date is before the start date."),
    "a staff user id: 1-100 characters of letters, digits . _ - @":
        _l("A staff user id (letters, digits and . _ - @), not a name."),
    "cash assistance needs purpose, amount and currency":
        _l("Cash assistance needs a purpose, an amount and a currency."),
    "only a cash_assistance item has cash details":
        _l("Only a cash assistance item has a purpose, an amount and a currency."),
    "an ISO 4217 code such as IQD or USD": _l("A currency code such as IQD or USD."),
    "cash assistance is paid only after a second staff member approved it":
        _l("Cash is paid only after a second staff member approved it."),
    "the staff member who requested cash assistance cannot approve it; a second staff member must":
        _l("You requested this cash: a second staff member must approve it."),
    "only cash assistance needs an approval": _l("Only cash assistance needs an approval."),
    "only the plan's case manager assigns its psychologist":
        _l("Only the plan's case manager names its psychologist."),
    "only the plan's psychologist records the screening result":
        _l("Only the plan's psychologist records the screening result."),
    "assign the plan's psychologist first (PUT the plan with psychologist)":
        _l("The case manager names the plan's psychologist first."),
    "a cancelled item cannot be referred": _l("A cancelled item cannot be referred."),
    "the item was already referred to the legal team":
        _l("The item was already referred to the legal team."),
    "the item changed meanwhile; read it and try again":
        _l("This item changed meanwhile. Nothing was changed: look at it again."),
    "the screening is done by recording its result (PUT .../screening)":
        _l("The screening is done when the psychologist records its result."),
    "the case manager is assigned at admission": _l("The case manager is assigned at admission."),
}
_REFUSAL_PATTERNS = [
    (re.compile(r"^an item that is \w+ cannot become \w+$"),
     _l("The item cannot move to this status from its present one.")),
    (re.compile(r"^already approved by .*$"), _l("Already approved.")),
    (re.compile(r"^an item that is \w+ cannot be approved$"),
     _l("A done or cancelled item cannot be approved.")),
    (re.compile(r"^plan \d+ is closed .*$"),
     _l("The plan is closed: the resident was discharged.")),
    (re.compile(r"^only .* items go to the legal team$"),
     _l("Only legal counselling, court representation, identity documents and labour "
        "mediation items go to the legal team.")),
]


def refusal_text(english: str) -> str:
    """What a person reads for one of the shelter service's refusals."""
    text = (english or "").strip()
    if text in REFUSALS:
        return str(REFUSALS[text])
    for pattern, shown in _REFUSAL_PATTERNS:
        if pattern.match(text):
            return str(shown)
    return _("This change is not possible in the current state. Reload the page to see the latest.")


# --- the list --------------------------------------------------------------------------------------

def _facilities() -> list[dict]:
    return [{"id": f["facility"], "name": f["name"]} for f in provider_facilities()]


@blueprint.get("/shelter/plans")
@page("shelter")
def shelter_plans():
    status = request.args.get("status") or "open"
    status = status if status in PLAN_STATUSES else "open"
    mine = request.args.get("mine") in ("1", "true", "on")
    facilities = _facilities()
    facility = request.args.get("facility") or ""
    facility = facility if facility in {f["id"] for f in facilities} else ""
    query = {"status": status}
    if mine:
        query["case_manager"] = identity().user
    if facility:
        query["facility"] = facility
    plans = call("list_plans", query=query)
    # the API answers the whole list (newest first, at most 500): the page shows it a page at a time
    number = request.args.get("page", "1")
    number = int(number) if number.isdigit() and 0 < int(number) < 10_000 else 1
    pages = max(1, -(-len(plans) // PER_PAGE))
    number = min(number, pages)
    shown = plans[(number - 1) * PER_PAGE:number * PER_PAGE]
    load_survivor_names(p["reference"] for p in shown)
    return render_page("shelter_plans.html", title=_("Care plans"), plans=shown, total=len(plans),
                       number=number, pages=pages, chosen_status=status, statuses=PLAN_STATUSES,
                       mine=mine, facilities=facilities, facility=facility, notice=notice())


@blueprint.get("/shelter/plans/for/<reference>")
@page("shelter")
def shelter_plan_for(reference):
    """The care plan of a referral (from the referral page and the bed board): its open plan,
    else its latest; none is a 404 page."""
    plans = [p for p in call("list_plans", query={"status": "all"}) if p["reference"] == reference]
    if not plans:
        raise NotFound("no care plan for this referral")
    chosen = next((p for p in plans if p["status"] == "open"), plans[0])
    return redirect(url_for("web.shelter_plan", plan_id=chosen["plan_id"]))


# --- one plan --------------------------------------------------------------------------------------

def _documents(plan: dict, listed: dict) -> attachments.Documents:
    """The plan's medical reports: any staff adds one; the list comes with the plan for its case
    manager and psychologist (the shelter service's rule), and other staff see a line saying
    so, without the list."""
    plan_id = str(plan["plan_id"])
    return attachments.documents(
        "list_plan_attachments", "shelter", url_for("web.shelter_plan_add_attachment",
                                                    plan_id=plan_id),
        "web.shelter_plan_attachment",
        refused=_("Only the plan's case manager and psychologist see its medical reports."),
        ask=False, items=listed["items"] if listed["listed"] else None, plan_id=plan_id)


def _plan_page(plan_id: str, errors=None, failed=None, status=200):
    # one call for the plan, its notes, and (for its case manager and psychologist) its
    # screening and documents; then the survivor's name from the referral service
    overview = call("get_plan_overview", plan_id=plan_id)
    plan, screening = overview["plan"], overview["screening"]
    load_survivor_names([plan["reference"]])
    return render_page(
        "shelter_plan.html", status=status, title=_("Care plan"), plan=plan,
        notes=overview["notes"], screening_shown=screening["shown"], screening=screening["result"],
        me=identity().user, documents=_documents(plan, overview["documents"]),
        errors=errors or {}, failed=failed, values=request.form if request.method == "POST" else {},
        services=CARE_SERVICES, item_statuses=PLAN_ITEM_STATUSES, purposes=CASH_PURPOSES,
        outcomes=SCREENING_OUTCOMES, legal_services=LEGAL_REFERRAL_SERVICES, markable=MARKABLE,
        interpreter_statuses=INTERPRETER_STATUSES, notice=notice())


@blueprint.get("/shelter/plans/<plan_id>")
@page("shelter")
def shelter_plan(plan_id):
    return _plan_page(plan_id)


def _where(field: str | None, fields: list[F], prefix: str) -> str:
    """The input a refusal of the change belongs to: its field, the status for a cash payment
    awaiting its approval, else the form as a whole ("")."""
    paths = {f.path for f in fields}
    if field == "approval" and "status" in paths:
        field = "status"
    return prefix + field if field in paths else ""


def _refused(exc: Exception, fields: list[F], prefix: str) -> dict[str, list[str]]:
    """The errors of a refused form by input name: the gateway's schema refusals as every form
    shows them (forms.py), the shelter service's own checks and refusals of the change in the
    words of ``REFUSALS``."""
    if isinstance(exc, INPUT_ERRORS) and not (isinstance(exc, InvalidInput)
                                              and exc.detail in REFUSALS):
        return field_errors(exc, fields, prefix=prefix)
    return {_where(getattr(exc, "field", None), fields, prefix): [refusal_text(exc.detail)]}


def _act(plan_id: str, failed: str, endpoint: str, fields: list[F], *, prefix: str = "",
         body: dict | None = None, done: str = "saved", anchor: str | None = None, **params):
    """Send one form of the plan page to ``endpoint``; back to the plan with a notice, or the
    plan again with the form ``failed`` showing the API's refusal beside its field (422 the
    input, 409 not possible in the present state, 403 not for this person): nothing changed."""
    if body is None and fields:
        body = build(request.form, fields, prefix=prefix)
    try:
        call(endpoint, body=body, plan_id=plan_id, **params)
    except (*INPUT_ERRORS, Conflict, Forbidden) as refused:
        code = 409 if isinstance(refused, Conflict) else 403 if isinstance(refused, Forbidden) else 422
        return _plan_page(plan_id, _refused(refused, fields, prefix), failed=failed, status=code)
    return redirect(url_for("web.shelter_plan", plan_id=plan_id, notice=done,
                            _anchor=anchor or failed))


@blueprint.post("/shelter/plans/<plan_id>/goals")
@page("shelter")
def shelter_plan_goals(plan_id):
    # sent as typed, even empty: the API says what a goal must be (never "saved" for nothing)
    return _act(plan_id, "goals", "update_plan", GOALS, body={"goals": request.form.get("goals", "")})


@blueprint.post("/shelter/plans/<plan_id>/psychologist")
@page("shelter")
def shelter_plan_psychologist(plan_id):
    return _act(plan_id, "psychologist", "update_plan", PSYCHOLOGIST,
                body={"psychologist": request.form.get("psychologist", "").strip()})


@blueprint.post("/shelter/plans/<plan_id>/items")
@page("shelter")
def shelter_plan_add_item(plan_id):
    return _act(plan_id, "new-item", "add_plan_item", NEW_ITEM, prefix="new-", done="item_added",
                anchor="items")


@blueprint.post("/shelter/plans/<plan_id>/items/<item_id>")
@page("shelter")
def shelter_plan_item(plan_id, item_id):
    return _act(plan_id, f"item-{item_id}", "update_plan_item", ITEM, prefix=f"item-{item_id}-",
                item_id=item_id)


@blueprint.post("/shelter/plans/<plan_id>/items/<item_id>/approval")
@page("shelter")
def shelter_plan_approve(plan_id, item_id):
    return _act(plan_id, f"approve-{item_id}", "approve_plan_item", [], done="approved",
                anchor=f"item-{item_id}", item_id=item_id)


@blueprint.post("/shelter/plans/<plan_id>/items/<item_id>/legal-referral")
@page("shelter")
def shelter_plan_refer(plan_id, item_id):
    return _act(plan_id, f"legal-{item_id}", "refer_plan_item", [], done="referred_to_legal",
                anchor=f"item-{item_id}", item_id=item_id)


@blueprint.post("/shelter/plans/<plan_id>/milestones/<milestone>/done")
@page("shelter")
def shelter_plan_milestone(plan_id, milestone):
    return _act(plan_id, f"milestone-{milestone}", "complete_milestone", [],
                done="milestone_done", anchor="milestones", milestone=milestone)


@blueprint.post("/shelter/plans/<plan_id>/languages")
@page("shelter")
def shelter_plan_languages(plan_id):
    return _act(plan_id, "languages", "set_languages", LANGUAGES, anchor="interpreters")


@blueprint.post("/shelter/plans/<plan_id>/interpreters/<occasion>")
@page("shelter")
def shelter_plan_interpreter(plan_id, occasion):
    return _act(plan_id, f"interpreter-{occasion}", "set_interpreter", BOOKING,
                prefix=f"interpreter-{occasion}-", anchor="interpreters", occasion=occasion)


@blueprint.post("/shelter/plans/<plan_id>/notes")
@page("shelter")
def shelter_plan_note(plan_id):
    return _act(plan_id, "note", "add_care_note", NOTE, body={"text": request.form.get("text", "")},
                done="note_added", anchor="notes")


@blueprint.post("/shelter/plans/<plan_id>/screening")
@page("shelter")
def shelter_plan_screening(plan_id):
    return _act(plan_id, "screening", "record_screening", SCREENING, done="screening_recorded")


@blueprint.post("/shelter/plans/<plan_id>/attachments")
@upload_form
@page("shelter")
def shelter_plan_add_attachment(plan_id):
    return attachments.added("add_plan_attachment", lambda errors, status: _plan_page(
        plan_id, errors, failed=attachments.FAILED, status=status), "web.shelter_plan",
        plan_id=plan_id)


@blueprint.get("/shelter/plans/<plan_id>/attachments/<attachment_id>")
@page("shelter")
def shelter_plan_attachment(plan_id, attachment_id):
    return attachments.download("read_plan_attachment", plan_id=plan_id,
                                attachment_id=attachment_id)
