"""Legal pages: cases, court cases, the hearings calendar, documents (requested from an authority,
and uploaded: powers of attorney and court summonses) and labour disputes.
The hearings calendar is also the police's, the shelter's and a court's (each role its slice)."""

from datetime import date, timedelta

from flask import abort, redirect, request, url_for

from services.contracts.vocabulary import (CHARGE_STATUTES, COURT_CASE_STATUSES, DISPUTE_CLAIMS,
                                           DISPUTE_STATUSES, DOCUMENT_KINDS, DOCUMENT_STATUSES,
                                           HEARING_OUTCOMES, LAWYER_CHANGE_REASONS,
                                           LEGAL_CLOSURE_REASONS, LEGAL_REOPEN_REASONS, STANDINGS,
                                           VERDICTS)

from .. import api
from . import attachments
from .common import hearing_local, notice
from .core import (allowed, answer, at_once, blueprint, call, clock, identity, page, render_page,
                   today, upload_form)
from .forms import F, build, send
from .i18n import gettext as _
from .names import load_survivor_names

OPEN_CASE = [F("reference"), F("lawyer")]
NOTE = [F("text", "text")]
SESSION = [F("held_on"), F("topic"), F("lawyer")]
COURT_CASE = [F("court"), F("case_number"), F("standing"), F("status"), F("charges.0.statute"),
              F("charges.0.description")]
DOCUMENT = [F("kind"), F("authority"), F("requested_on")]
DISPUTE = [F("employer"), F("claims", "list"), F("amount_claimed", "int"), F("currency"),
           F("opened_on")]
COURT_STATUS = [F("status"), F("verdict")]
HEARING = [F("starts_at"), F("time_zone"), F("purpose"), F("attendance_required", "bool")]
OUTCOME = [F("outcome"), F("note"), F("new_starts_at"), F("time_zone")]
DOCUMENT_STATUS = [F("status"), F("on")]
DISPUTE_UPDATE = [F("status"), F("outcome"), F("amount_recovered", "int")]
CASE_END = [F("reason_code")]  # closing or reopening the case
LAWYER = [F("lawyer"), F("reason_code")]

VOCABULARY = {"statutes": CHARGE_STATUTES, "standings": STANDINGS, "kinds": DOCUMENT_KINDS,
              "claims": DISPUTE_CLAIMS, "court_statuses": COURT_CASE_STATUSES, "verdicts": VERDICTS,
              "outcomes": HEARING_OUTCOMES, "document_statuses": DOCUMENT_STATUSES,
              "dispute_statuses": DISPUTE_STATUSES, "closure_reasons": LEGAL_CLOSURE_REASONS,
              "reopen_reasons": LEGAL_REOPEN_REASONS, "lawyer_reasons": LAWYER_CHANGE_REASONS}


def _local(value: str | None) -> str | None:
    """A ``datetime-local`` input (2026-12-10T09:30) is already the API's local form."""
    return value.strip() if value and value.strip() else None


# --- cases -----------------------------------------------------------------------------------------

def _cases_page(errors=None, status=200):
    cases, eligible = at_once(lambda: call("list_cases"), lambda: call("legal_eligible"))
    with_case = {c["reference"] for c in cases}
    values = request.form if request.method == "POST" else {"lawyer": identity().user}
    return render_page("legal_cases.html", status=status, title=_("Cases"), cases=cases,
                       eligible=[e for e in eligible if e["reference"] not in with_case],
                       errors=errors or {}, values=values, notice=notice())


@blueprint.get("/legal/cases")
@page("legal")
def legal_cases():
    return _cases_page()


@blueprint.post("/legal/cases")
@page("legal")
def legal_open_case():
    case, errors = send("open_case", build(request.form, OPEN_CASE), OPEN_CASE)
    if errors is not None:
        return _cases_page(errors, status=422)
    return redirect(url_for("web.legal_case", case_id=case["case_id"], notice="case_opened"))


def _case_page(case_id, errors=None, failed=None, status=200):
    case = call("get_case", case_id=case_id)
    values = request.form if request.method == "POST" else {}
    documents = attachments.documents(
        "list_case_attachments", "legal", url_for("web.legal_add_attachment", case_id=case_id),
        "web.legal_case_attachment", case_id=case_id)
    return render_page("legal_case.html", status=status, title=_("Legal case"), case=case,
                       errors=errors or {}, failed=failed, values=values, today=today(),
                       documents=documents, notice=notice(), **VOCABULARY)


@blueprint.get("/legal/cases/<case_id>")
@page("legal")
def legal_case(case_id):
    return _case_page(case_id)


def _case_action(case, endpoint, fields, failed, anchor, prefix="", **params):
    """A form on the page of the legal case ``case``: sent to ``endpoint``, back to the case
    at ``anchor``, or the page again with the form ``failed`` showing its errors."""
    _, errors = send(endpoint, build(request.form, fields, prefix=prefix), fields, prefix=prefix,
                     **params)
    if errors is not None:
        if not case:  # a form without its case: only the error page is left
            abort(422)
        return _case_page(case, errors, failed=failed, status=422)
    return redirect(url_for("web.legal_case", case_id=case, notice="saved") + f"#{anchor}")


# the forms that add to a legal case: (path under the case, web endpoint, API endpoint, inputs,
# the form's name and anchor on the page, its inputs' prefix)
CASE_FORMS = (
    ("notes", "legal_add_note", "add_note", NOTE, "notes", "note-"),
    ("sessions", "legal_add_session", "add_session", SESSION, "sessions", "ses-"),
    ("court-cases", "legal_file_court_case", "file_court_case", COURT_CASE, "court-cases", "cc-"),
    ("documents", "legal_request_document", "request_document", DOCUMENT, "documents", "doc-"),
    ("labour-disputes", "legal_open_dispute", "open_dispute", DISPUTE, "disputes", "dis-"),
    ("close", "legal_close_case", "close_legal_case", CASE_END, "close", "end-"),
    ("reopen", "legal_reopen_case", "reopen_legal_case", CASE_END, "reopen", "re-"),
    ("lawyer", "legal_reassign_lawyer", "reassign_lawyer", LAWYER, "lawyer", "law-"),
)


def _case_form(endpoint, fields, form, prefix):
    @page("legal")
    def add_to_case(case_id):
        return _case_action(case_id, endpoint, fields, form, form, prefix, case_id=case_id)
    return add_to_case


for _path, _name, _endpoint, _fields, _form, _prefix in CASE_FORMS:
    blueprint.add_url_rule(f"/legal/cases/<case_id>/{_path}", _name,
                           _case_form(_endpoint, _fields, _form, _prefix), methods=["POST"])


@blueprint.post("/legal/documents/<document_id>/status")
@page("legal")
def legal_document_status(document_id):
    return _case_action(request.form.get("case_id", ""), "change_document_status",
                        DOCUMENT_STATUS, f"doc-{document_id}", "documents",
                        document_id=document_id)


@blueprint.post("/legal/labour-disputes/<dispute_id>")
@page("legal")
def legal_update_dispute(dispute_id):
    return _case_action(request.form.get("case_id", ""), "update_dispute", DISPUTE_UPDATE,
                        f"dis-{dispute_id}", "disputes", dispute_id=dispute_id)


@blueprint.post("/legal/cases/<case_id>/attachments")
@upload_form
@page("legal")
def legal_add_attachment(case_id):
    return attachments.added("add_case_attachment", lambda errors, status: _case_page(
        case_id, errors, failed=attachments.FAILED, status=status), "web.legal_case",
        case_id=case_id)


@blueprint.get("/legal/cases/<case_id>/attachments/<attachment_id>")
@page("legal")
def legal_case_attachment(case_id, attachment_id):
    return attachments.download("read_case_attachment", case_id=case_id,
                                attachment_id=attachment_id)


# --- court cases and hearings (the legal team and the courts) ------------------------------------

@blueprint.get("/court-cases")
@page("legal", "court")
def court_cases():
    rows = call("list_court_cases")
    return render_page("court_cases.html", title=_("Court cases"), rows=rows, notice=notice())


def _court_case_page(court_case_id, errors=None, failed=None, status=200):
    court_case = call("get_court_case", court_case_id=court_case_id)
    values = request.form if request.method == "POST" else {"hr-time_zone": "Asia/Baghdad",
                                                            "hr-attendance_required": "on"}
    return render_page("court_case.html", status=status, title=_("Court case"), cc=court_case,
                       errors=errors or {}, failed=failed, values=values, notice=notice(),
                       **VOCABULARY)


@blueprint.get("/court-cases/<court_case_id>")
@page("legal", "court")
def court_case(court_case_id):
    return _court_case_page(court_case_id)


def _court_action(court_case, endpoint, fields, body, failed, notice_code, prefix, **params):
    """A form on the page of the court case ``court_case``: sent to ``endpoint``, back to the
    court case, or the page again with the form ``failed`` showing its errors."""
    _, errors = send(endpoint, body, fields, prefix=prefix, **params)
    if errors is not None:
        if not court_case:  # a form without its court case: only the error page is left
            abort(422)
        return _court_case_page(court_case, errors, failed=failed, status=422)
    return redirect(url_for("web.court_case", court_case_id=court_case, notice=notice_code))


@blueprint.post("/court-cases/<court_case_id>/status")
@page("legal", "court")
def court_status(court_case_id):
    return _court_action(court_case_id, "change_court_status", COURT_STATUS,
                         build(request.form, COURT_STATUS, prefix="st-"), "status", "saved",
                         "st-", court_case_id=court_case_id)


@blueprint.post("/court-cases/<court_case_id>/hearings")
@page("legal", "court")
def court_schedule_hearing(court_case_id):
    body = build(request.form, HEARING, prefix="hr-")
    if body.get("starts_at"):
        body["starts_at"] = _local(body["starts_at"])
    return _court_action(court_case_id, "schedule_hearing", HEARING, body, "hearing",
                         "hearing_scheduled", "hr-", court_case_id=court_case_id)


@blueprint.post("/hearings/<hearing_id>/outcome")
@page("legal", "court")
def hearing_outcome(hearing_id):
    prefix = f"ho{hearing_id}-"
    return _court_action(request.form.get("court_case_id", ""), "record_outcome", OUTCOME,
                         build(request.form, OUTCOME, prefix=prefix), f"outcome-{hearing_id}",
                         "saved", prefix, hearing_id=hearing_id)


# --- the hearings calendar ------------------------------------------------------------------------

def _days(value: str | None, default: date) -> str:
    try:
        return date.fromisoformat(value).isoformat() if value else default.isoformat()
    except ValueError:
        return default.isoformat()


@blueprint.get("/hearings")
@page("legal", "court", "shelter", "police")
def hearings():
    day = clock().today()
    first = _days(request.args.get("from"), day - timedelta(days=7))
    last = _days(request.args.get("to"), day + timedelta(days=90))
    rows = call("list_hearings", query={"from": first, "to": last})
    load_survivor_names(h["reference"] for h in rows if h.get("reference"))  # the shelter's only
    days: dict[str, list] = {}
    for h in sorted(rows, key=lambda h: h.get("starts_at") or ""):
        days.setdefault(hearing_local(h)[:10], []).append(h)
    return render_page("hearings.html", title=_("Hearings"), days=days, first=first, last=last,
                       ics=allowed("hearings_ics"))


@blueprint.get("/hearings.ics")
@page("legal")
def hearings_ics():
    query = {k: v for k, v in (("from", request.args.get("from")), ("to", request.args.get("to"))) if v}
    calendar = answer("hearings_ics", query=query)
    calendar.headers["Content-Disposition"] = 'attachment; filename="hearings.ics"'
    return api.respond(calendar)
