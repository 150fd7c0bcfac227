"""Shelter pages: incoming referrals, the file, accept or decline, its documents (identity
scans); the bed board with holds, arrivals and departures; admit and discharge; capacity
changes; first-week milestones; the provider's own facilities (register, rename, close)."""

from datetime import date

from flask import redirect, request, url_for

from services.common.errors import Conflict, NotFound
from services.contracts.submission import ADULT_AGE, age_of
from services.contracts.vocabulary import (BEST_INTERESTS_OUTCOMES, DECLINE_REASONS,
                                           DISCHARGE_OUTCOMES, MILESTONE_STATES, POPULATION_GROUPS,
                                           REFER_ON_REASONS, SCREENING_REASONS)

from ..resources.admissions import INCOMING_STATUSES
from . import attachments
from .common import notice
from .core import (at_once, blueprint, call, identity, page, render_page, safe_next, today,
                   upload_form)
from .forms import F, build, send
from .i18n import gettext as _
from .names import load_survivor_names, provider_facilities

DECISION = [F("decision"), F("reason_code"), F("reason")]
REFER_ON = [F("decision"), F("to"), F("reason")]
SCREENING = [F("reason_code")]
BEST_INTERESTS = [F("outcome"), F("assessed_on")]
ADMISSION = [F("reference"), F("case_manager")]
CAPACITY = [F("population_group"), F("capacity", "int"), F("reason")]
OUT_OF_SERVICE = [F("population_group"), F("beds", "int"), F("reason"), F("expected_return")]
DISCHARGE = [F("outcome")]
FACILITY = [F("facility"), F("name"), F("manager")]
RENAME = [F("name")]
MANAGER = [F("manager")]


def _open(rows: list[dict]) -> list[dict]:
    """``{id, name}`` of the open facilities among ``rows`` (``list_facilities``'s view)."""
    return [{"id": f["facility"], "name": f["name"]} for f in rows if f["status"] == "open"]


def _facilities() -> list[dict]:
    """The signed-in person's provider's open facilities (another provider's are not theirs)."""
    return _open(provider_facilities())


def _default_facility(facilities: list[dict]) -> str | None:
    agency = identity().agency
    for f in facilities:
        if f["id"] == agency:
            return agency
    return facilities[0]["id"] if facilities else None


# --- incoming and the referral file ----------------------------------------------------------------

@blueprint.get("/shelter/incoming")
@page("shelter")
def shelter_incoming():
    status = request.args.get("status") or "received"
    if status not in INCOMING_STATUSES:
        status = "received"
    query = {"status": status}
    if request.args.get("cursor"):
        query["cursor"] = request.args["cursor"]
    page_ = call("incoming", query=query)
    load_survivor_names(r["reference"] for r in page_["items"])
    return render_page("shelter_incoming.html", title=_("Incoming referrals"),
                       rows=page_["items"], next_cursor=page_.get("next_cursor"),
                       chosen_status=status, statuses=INCOMING_STATUSES, notice=notice())


def _status_of(reference: str) -> dict | None:
    """The referral's status and timeline as the holder's staff see them (None: not found)."""
    try:
        return call("referral_status", reference=reference)
    except NotFound:
        return None


def _facilities_and_place(reference: str) -> tuple[list[dict], tuple[str | None, str | None]]:
    """The provider's open facilities, and (facility, state) of the referral's place on their
    bed boards (held or admitted; (None, None): none), in one call to the shelter."""
    answer = call("referral_place", reference=reference)
    place = answer.get("place") or {}
    return _open(answer["facilities"]), (place.get("facility"), place.get("state"))


def _referral_page(reference: str, errors=None, failed=None, status=200):
    # independent of each other: the referral's place is read beside the file and the status,
    # not after them (one round trip less for the page to wait on)
    file, state, (facilities, place) = at_once(
        lambda: call("referral_file", reference=reference), lambda: _status_of(reference),
        lambda: _facilities_and_place(reference))
    if state is None:
        state = {"reference": reference, "status": file.get("status"), "timeline": []}
    # The shelter's own bed board says at once whether beds are held for this referral or the
    # person is admitted; the referral's status (the referral service's) follows a moment
    # later, by event. So a page shown right after this shelter's own admission says
    # "admitted", as its bed board does, before the referral service has applied it.
    place_at, place_state = None, None
    if state["status"] not in ("admitted", "discharged", "closed", "declined", "withdrawn"):
        place_at, place_state = place
    if place_state == "admitted":
        state = {**state, "status": "admitted"}
    admit_at = place_at if place_state == "held" else None
    if place_state is None and state["status"] in ("accepted", "bed_held", "waitlisted"):
        admit_at = _default_facility(facilities)
    undecided = file.get("status") in ("received", "screening") and place_state is None
    minor = _minor(file)
    values = request.form if request.method == "POST" else {"case_manager": identity().user}
    # the identity scans: for the staff who read the file (the referral service's rule); the
    # file carries their list
    documents = None if file.get("file_shared") is False else attachments.documents(
        "list_referral_attachments", "referral",
        url_for("web.shelter_add_attachment", reference=reference),
        "web.shelter_referral_attachment", items=file.get("attachments"), reference=reference)
    return render_page("shelter_referral.html", status=status, title=reference, file=file,
                       state=state, reference=reference, errors=errors or {}, failed=failed,
                       values=values, facilities=facilities, admit_at=admit_at, undecided=undecided,
                       decline_reasons=DECLINE_REASONS, refer_on_reasons=REFER_ON_REASONS,
                       screening_reasons=SCREENING_REASONS, minor=minor,
                       best_interests_outcomes=BEST_INTERESTS_OUTCOMES, documents=documents,
                       notice=notice())


def _minor(file: dict) -> bool:
    """Whether the file, as this provider may read it, is a minor's (False when only the
    summary is shared: the service still refuses a minor's placement without a determination)."""
    submission = file.get("submission") or {}
    if not submission.get("survivor") or not submission.get("identified_on"):
        return False
    return age_of(submission["survivor"], date.fromisoformat(submission["identified_on"])) < ADULT_AGE


@blueprint.get("/shelter/referrals/<reference>")
@page("shelter")
def shelter_referral(reference):
    return _referral_page(reference)


@blueprint.post("/shelter/referrals/<reference>/decision")
@page("shelter")
def shelter_decide(reference):
    fields = REFER_ON if request.form.get("decision") == "refer_on" else DECISION
    body = build(request.form, fields)
    try:
        errors = send("decide", body, fields, reference=reference)[1]
    except Conflict as refused:
        if refused.field != "best_interests":
            raise
        return _referral_page(reference, {"": [_("A child's placement waits for a best-interests "
                                                 "determination that recommends it.")]},
                              failed="best_interests", status=409)
    if errors is not None:
        failed = "refer_on" if fields is REFER_ON else "decision"
        return _referral_page(reference, errors, failed=failed, status=422)
    if body.get("decision") == "accept":
        done = "accepted"
    else:  # declined or referred on: the referral is another provider's now (or nobody's)
        done = "referred_on" if fields is REFER_ON else "declined"
        return redirect(url_for("web.shelter_incoming", notice=done))
    return redirect(url_for("web.shelter_referral", reference=reference, notice=done))


@blueprint.post("/shelter/referrals/<reference>/screening")
@page("shelter")
def shelter_start_screening(reference):
    body = build(request.form, SCREENING)
    _, errors = send("start_screening", body, SCREENING, reference=reference)
    if errors is not None:
        return _referral_page(reference, errors, failed="screening", status=422)
    return redirect(url_for("web.shelter_referral", reference=reference, notice="screening_started"))


@blueprint.post("/shelter/referrals/<reference>/best-interests")
@page("shelter")
def shelter_best_interests(reference):
    body = build(request.form, BEST_INTERESTS)
    _, errors = send("record_best_interests", body, BEST_INTERESTS, reference=reference)
    if errors is not None:
        return _referral_page(reference, errors, failed="best_interests", status=422)
    return redirect(url_for("web.shelter_referral", reference=reference, notice="saved"))


@blueprint.post("/shelter/referrals/<reference>/attachments")
@upload_form
@page("shelter")
def shelter_add_attachment(reference):
    return attachments.added("add_referral_attachment", lambda errors, status: _referral_page(
        reference, errors, failed=attachments.FAILED, status=status), "web.shelter_referral",
        reference=reference)


@blueprint.get("/shelter/referrals/<reference>/attachments/<attachment_id>")
@page("shelter")
def shelter_referral_attachment(reference, attachment_id):
    return attachments.download("read_referral_attachment", reference=reference,
                                attachment_id=attachment_id)


# --- the bed board -----------------------------------------------------------------------------------

def _board_page(facility: str | None, errors=None, failed=None, status=200):
    facilities = _facilities()
    facility = facility or _default_facility(facilities)
    if facility is None:
        return render_page("shelter_board.html", status=status, title=_("Bed board"), board=None,
                           facilities=facilities, facility=None, errors={}, failed=None, values={},
                           notice=notice())
    board = call("bed_board", facility=facility)
    day = request.args.get("date") or today()
    census = call("daily_census", facility=facility, query={"date": day})
    waiting = call("waitlist")
    load_survivor_names([p["reference"] for g in board["groups"] for p in g.get("places", [])]
                        + [p["reference"] for key in ("arrivals", "expected_arrivals", "departures")
                           for p in census.get(key) or ()]
                        + [w["reference"] for w in waiting])
    values = request.form if request.method == "POST" else {}
    return render_page("shelter_board.html", status=status, title=_("Bed board"), board=board,
                       census=census, waiting=waiting, facilities=facilities, facility=facility,
                       groups=POPULATION_GROUPS, outcomes=DISCHARGE_OUTCOMES, errors=errors or {},
                       failed=failed, values=values, day=day, notice=notice())


@blueprint.get("/shelter/board")
@page("shelter")
def shelter_board():
    return _board_page(request.args.get("facility"))


def _back(default: str) -> str:
    return safe_next(request.form.get("back"), default)


@blueprint.post("/shelter/facilities/<facility>/admissions")
@page("shelter")
def shelter_admit(facility):
    body = build(request.form, ADMISSION)
    _, errors = send("admit", body, ADMISSION, facility=facility)
    if errors is not None:
        if request.form.get("from") == "referral" and body.get("reference"):
            return _referral_page(body["reference"], errors, failed="admit", status=422)
        return _board_page(facility, errors, failed=f"admit-{body.get('reference', '')}", status=422)
    return redirect(_with_notice(_back(url_for("web.shelter_board", facility=facility)), "admitted"))


def _board_action(facility, endpoint, fields, failed, notice_code, prefix="", **params):
    """A form on the bed board: sent to ``endpoint``, back to the board, or the board again with
    the form ``failed`` showing its errors."""
    _, errors = send(endpoint, build(request.form, fields, prefix=prefix), fields, prefix=prefix,
                     facility=facility, **params)
    if errors is not None:
        return _board_page(facility, errors, failed=failed, status=422)
    return redirect(url_for("web.shelter_board", facility=facility, notice=notice_code))


@blueprint.post("/shelter/facilities/<facility>/admissions/<admission_id>/discharge")
@page("shelter")
def shelter_discharge(facility, admission_id):
    return _board_action(facility, "discharge", DISCHARGE, f"discharge-{admission_id}",
                         "discharged", admission_id=admission_id)


@blueprint.post("/shelter/facilities/<facility>/capacity")
@page("shelter")
def shelter_capacity(facility):
    return _board_action(facility, "set_capacity", CAPACITY, "cap", "saved", "cap-")


@blueprint.post("/shelter/facilities/<facility>/out-of-service")
@page("shelter")
def shelter_out_of_service(facility):
    return _board_action(facility, "set_out_of_service", OUT_OF_SERVICE, "oos", "saved", "oos-")


@blueprint.get("/shelter/facilities/<facility>/history")
@page("shelter")
def shelter_history(facility):
    changes = call("capacity_history", facility=facility)
    return render_page("shelter_history.html", title=_("Capacity changes"), changes=changes,
                       facility=facility)


def _with_notice(url: str, code: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}notice={code}"


# --- first-week milestones -----------------------------------------------------------------------------

@blueprint.get("/shelter/milestones")
@page("shelter")
def shelter_milestones():
    state = request.args.get("state", "overdue")
    query = {"state": state} if state in MILESTONE_STATES else {}
    listing = call("list_milestones", query=query)
    load_survivor_names(m["reference"] for g in listing["groups"] for m in g["milestones"])
    return render_page("shelter_milestones.html", title=_("First-week milestones"), listing=listing,
                       state=state if state in MILESTONE_STATES else "", states=MILESTONE_STATES)


# --- the provider's facilities ---------------------------------------------------------------------

def _facilities_page(errors=None, failed=None, status=200, problem=None):
    rows = call("list_facilities")
    values = request.form if request.method == "POST" else {}
    return render_page("shelter_facilities.html", status=status, title=_("Our facilities"),
                       rows=rows, errors=errors or {}, failed=failed, values=values,
                       problem=problem, notice=notice())


@blueprint.get("/shelter/facilities")
@page("shelter")
def shelter_facilities():
    return _facilities_page()


@blueprint.post("/shelter/facilities")
@page("shelter")
def shelter_register_facility():
    _, errors = send("register_facility", build(request.form, FACILITY), FACILITY)
    if errors is not None:
        return _facilities_page(errors, failed="register", status=422)
    return redirect(url_for("web.shelter_facilities", notice="saved"))


@blueprint.post("/shelter/facilities/<facility>/rename")
@page("shelter")
def shelter_rename_facility(facility):
    prefix = f"rename-{facility}-"
    _, errors = send("rename_facility", build(request.form, RENAME, prefix=prefix), RENAME,
                     prefix=prefix, facility=facility)
    if errors is not None:
        return _facilities_page(errors, failed=f"rename-{facility}", status=422)
    return redirect(url_for("web.shelter_facilities", notice="saved"))


@blueprint.post("/shelter/facilities/<facility>/manager")
@page("shelter")
def shelter_facility_manager(facility):
    prefix = f"manager-{facility}-"
    _, errors = send("set_facility_manager", build(request.form, MANAGER, prefix=prefix), MANAGER,
                     prefix=prefix, facility=facility)
    if errors is not None:
        return _facilities_page(errors, failed=f"manager-{facility}", status=422)
    return redirect(url_for("web.shelter_facilities", notice="saved"))


@blueprint.post("/shelter/facilities/<facility>/close")
@page("shelter")
def shelter_close_facility(facility):
    try:
        call("close_facility", facility=facility)
    except Conflict as refused:  # residents or holds there: said on the page, nothing changed
        return _facilities_page(status=409, failed=f"close-{facility}", problem=str(refused))
    return redirect(url_for("web.shelter_facilities", notice="saved"))
