"""The HTTP API under /api/v1: views, and their registration from the endpoint table."""

import json
import re

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, url_for

from services.contracts.submission import ReferralSubmissionSchema

from . import schemas
from .calendar import hearings_calendar
from .endpoints import ALL_ROLES, Endpoint
from .errors import ApiProblem
from .tokens import InvalidToken, verify_token

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class Ctx:
    """What a view gets: who is calling, the validated body and query, the raw JSON, and the
    request headers a view reads (``Idempotency-Key``)."""

    def __init__(self, identity, data, query, raw, headers=None):
        self.identity, self.data, self.query, self.raw = identity, data, query, raw
        self.headers = request.headers if headers is None else headers
        # the request's id travels with the identity, into every service's audit trail
        self.caller = {**identity.as_caller(), "correlation_id": g.correlation_id}

    def rpc(self, service: str, method: str, **kwargs):
        return current_app.extensions["refnet.rpc"].call(service, method, caller=self.caller, **kwargs)


# --- views --------------------------------------------------------------------------------------

def submit_referral(ctx: Ctx):
    key = ctx.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise ApiProblem(400, "invalid-header", "Invalid header",
                         "Idempotency-Key must be 1 to 200 visible ASCII characters",
                         field="Idempotency-Key")
    intake = current_app.extensions["refnet.intake"]
    reference = intake.reference(ctx.identity.agency, key)
    intake.submit(ctx.raw, reference=reference, agency=ctx.identity.agency,
                  user=ctx.identity.user, correlation_id=g.correlation_id)
    status_url = url_for("api.referral_status", reference=reference)
    return {"reference": reference, "status": "submitted", "status_url": status_url}, 202, {
        "Location": status_url}


def list_referrals(ctx: Ctx):
    return ctx.rpc("referral", "list_referrals", **ctx.query)


def referral_status(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "get_status", reference=reference)


FHIR_JSON = "application/fhir+json"
# who may read a referral's status, and so its FHIR Task (the referral service then applies the
# object rule: own agency, consent); every other role gets 403 here
STATUS_ROLES = ("police", "shelter", "legal")


def referral_fhir_task(ctx: Ctx, reference: str):
    task = ctx.rpc("referral", "get_fhir_task", reference=reference)
    # in the order the service built it (resourceType first, as FHIR JSON is usually written)
    return Response(json.dumps(task), status=200, mimetype=FHIR_JSON)


def referral_file(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "get_file", reference=reference)


def decide(ctx: Ctx, reference: str):
    if ctx.data["decision"] == "decline" and not ctx.data.get("reason"):
        raise ApiProblem(422, "invalid-input", "Invalid input", "A decline needs a reason.",
                         field="reason", errors=[{"field": "reason", "message": "Required to decline."}])
    return ctx.rpc("shelter", "decide", reference=reference, decision=ctx.data["decision"],
                   reason=ctx.data.get("reason"), correlation_id=g.correlation_id)


def withdraw(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "withdraw", reference=reference, reason=ctx.data.get("reason"),
                   correlation_id=g.correlation_id)


def incoming(ctx: Ctx):
    status = ctx.query["status"]
    return ctx.rpc("shelter", "list_incoming", status=None if status == "all" else status)


def set_capacity(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "set_capacity", facility=facility,
                   population_group=ctx.data["population_group"], capacity=ctx.data["capacity"],
                   correlation_id=g.correlation_id, reason=ctx.data.get("reason"))


def set_out_of_service(ctx: Ctx, facility: str):
    returning = ctx.data.get("expected_return")
    return ctx.rpc("shelter", "set_out_of_service", facility=facility,
                   population_group=ctx.data["population_group"], beds=ctx.data["beds"],
                   reason=ctx.data.get("reason"),
                   expected_return=returning.isoformat() if returning else None,
                   correlation_id=g.correlation_id)


def capacity_history(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "capacity_history", facility=facility)


def admit(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "admit", facility=facility, reference=ctx.data["reference"],
                   case_manager=ctx.data["case_manager"], correlation_id=g.correlation_id)


def discharge(ctx: Ctx, facility: str, admission_id: str):
    if not admission_id.isdigit() or len(admission_id) > 12:
        raise ApiProblem(404, "not-found", "Not found", "No such admission.", field="admission")
    return ctx.rpc("shelter", "discharge", facility=facility, admission_id=int(admission_id),
                   outcome=ctx.data["outcome"], correlation_id=g.correlation_id)


def waitlist(ctx: Ctx):
    return ctx.rpc("shelter", "waitlist", population_group=ctx.query.get("population_group"))


def reorder_waitlist(ctx: Ctx, reference: str):
    return ctx.rpc("shelter", "reorder_waitlist", reference=reference,
                   priority=ctx.data["priority"], reason=ctx.data["reason"])


def bed_board(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "bed_board", facility=facility)


def daily_census(ctx: Ctx, facility: str):
    day = ctx.query.get("date")
    return ctx.rpc("shelter", "daily_census", facility=facility, date=day.isoformat() if day else None)


def hsds(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "hsds_service", facility=facility)


def availability(ctx: Ctx):
    rows, as_of = current_app.extensions["refnet.availability"].get(
        lambda: ctx.rpc("shelter", "availability"))
    return {"facilities": rows, "as_of": as_of}


def legal_eligible(ctx: Ctx):
    return ctx.rpc("legal", "list_eligible")


# --- legal representation (issue 5): every role check is repeated in the legal service ----------

def _iso(value):
    return value.isoformat() if value is not None else None


def open_case(ctx: Ctx):
    return ctx.rpc("legal", "open_case", reference=ctx.data["reference"], lawyer=ctx.data["lawyer"],
                   correlation_id=g.correlation_id), 201, {}


def list_cases(ctx: Ctx):
    return ctx.rpc("legal", "list_cases")


def get_case(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "get_case", case_id=case_id)


def add_session(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "add_session", case_id=case_id, held_on=_iso(ctx.data["held_on"]),
                   topic=ctx.data["topic"], lawyer=ctx.data.get("lawyer")), 201, {}


def add_note(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "add_note", case_id=case_id, text=ctx.data["text"]), 201, {}


def file_court_case(ctx: Ctx, case_id: str):
    d = ctx.data
    return ctx.rpc("legal", "file_court_case", case_id=case_id, court=d["court"],
                   case_number=d["case_number"], charges=d["charges"], standing=d["standing"],
                   status=d["status"], correlation_id=g.correlation_id), 201, {}


def list_court_cases(ctx: Ctx):
    return ctx.rpc("legal", "list_court_cases")


def get_court_case(ctx: Ctx, court_case_id: str):
    return ctx.rpc("legal", "get_court_case", court_case_id=court_case_id)


def change_court_status(ctx: Ctx, court_case_id: str):
    return ctx.rpc("legal", "change_court_status", court_case_id=court_case_id,
                   status=ctx.data["status"], verdict=ctx.data.get("verdict"),
                   correlation_id=g.correlation_id)


def schedule_hearing(ctx: Ctx, court_case_id: str):
    d = ctx.data
    return ctx.rpc("legal", "schedule_hearing", court_case_id=court_case_id,
                   starts_at=d["starts_at"], time_zone=d["time_zone"], purpose=d["purpose"],
                   attendance_required=d["attendance_required"],
                   correlation_id=g.correlation_id), 201, {}


def record_outcome(ctx: Ctx, hearing_id: str):
    d = ctx.data
    return ctx.rpc("legal", "record_outcome", hearing_id=hearing_id, outcome=d["outcome"],
                   note=d.get("note"), new_starts_at=d.get("new_starts_at"),
                   time_zone=d.get("time_zone"), correlation_id=g.correlation_id)


def list_hearings(ctx: Ctx):
    return ctx.rpc("legal", "list_hearings", from_date=_iso(ctx.query.get("from_")),
                   to_date=_iso(ctx.query.get("to")))


def hearings_ics(ctx: Ctx):
    hearings = ctx.rpc("legal", "list_hearings", from_date=_iso(ctx.query.get("from_")),
                       to_date=_iso(ctx.query.get("to")))
    return Response(hearings_calendar(hearings), mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="hearings.ics"'})


def request_document(ctx: Ctx, case_id: str):
    d = ctx.data
    return ctx.rpc("legal", "request_document", case_id=case_id, kind=d["kind"],
                   authority=d["authority"], requested_on=_iso(d.get("requested_on")),
                   correlation_id=g.correlation_id), 201, {}


def change_document_status(ctx: Ctx, document_id: str):
    return ctx.rpc("legal", "change_document_status", document_id=document_id,
                   status=ctx.data["status"], on=_iso(ctx.data.get("on")),
                   correlation_id=g.correlation_id)


def open_dispute(ctx: Ctx, case_id: str):
    d = ctx.data
    return ctx.rpc("legal", "open_dispute", case_id=case_id, employer=d["employer"],
                   claims=d["claims"], amount_claimed=d.get("amount_claimed"),
                   currency=d.get("currency"), opened_on=_iso(d.get("opened_on"))), 201, {}


def update_dispute(ctx: Ctx, dispute_id: str):
    d = ctx.data
    return ctx.rpc("legal", "update_dispute", dispute_id=dispute_id, status=d["status"],
                   outcome=d.get("outcome"), amount_recovered=d.get("amount_recovered"))


def shelter_hearings(ctx: Ctx):
    return ctx.rpc("shelter", "list_hearings")


# --- care plans, milestones, care notes (issue 4): shelter staff only, checked again in care ----

def _id(value: str, field: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ApiProblem(404, "not-found", "Not found", f"No such {field}.", field=field)
    return int(value)


def list_plans(ctx: Ctx):
    q = ctx.query
    return ctx.rpc("shelter", "list_plans", facility=q.get("facility"),
                   case_manager=q.get("case_manager"),
                   status=None if q["status"] == "all" else q["status"])


def get_plan(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "get_plan", plan_id=_id(plan_id, "plan"))


def update_plan(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "update_plan", plan_id=_id(plan_id, "plan"),
                   goals=ctx.data.get("goals"), psychologist=ctx.data.get("psychologist"))


def add_plan_item(ctx: Ctx, plan_id: str):
    d = ctx.data
    return ctx.rpc("shelter", "add_plan_item", plan_id=_id(plan_id, "plan"), service_code=d["service"],
                   owner=d["owner"], starts_on=_iso(d.get("starts_on")), due_on=_iso(d.get("due_on")),
                   cash=d.get("cash")), 201, {}


def update_plan_item(ctx: Ctx, plan_id: str, item_id: str):
    d = ctx.data
    return ctx.rpc("shelter", "update_plan_item", plan_id=_id(plan_id, "plan"),
                   item_id=_id(item_id, "item"), status=d.get("status"), owner=d.get("owner"),
                   starts_on=_iso(d.get("starts_on")), due_on=_iso(d.get("due_on")))


def approve_plan_item(ctx: Ctx, plan_id: str, item_id: str):
    return ctx.rpc("shelter", "approve_plan_item", plan_id=_id(plan_id, "plan"),
                   item_id=_id(item_id, "item"))


def refer_plan_item(ctx: Ctx, plan_id: str, item_id: str):
    return ctx.rpc("shelter", "refer_plan_item", plan_id=_id(plan_id, "plan"),
                   item_id=_id(item_id, "item"), correlation_id=g.correlation_id)


def list_care_notes(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "list_care_notes", plan_id=_id(plan_id, "plan"))


def add_care_note(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "add_care_note", plan_id=_id(plan_id, "plan"),
                   text=ctx.data["text"]), 201, {}


def get_screening(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "get_screening", plan_id=_id(plan_id, "plan"))


def record_screening(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "record_screening", plan_id=_id(plan_id, "plan"),
                   outcome=ctx.data["outcome"], summary=ctx.data.get("summary"))


def complete_milestone(ctx: Ctx, plan_id: str, milestone: str):
    return ctx.rpc("shelter", "complete_milestone", plan_id=_id(plan_id, "plan"),
                   milestone=milestone)


def list_milestones(ctx: Ctx):
    q = ctx.query
    return ctx.rpc("shelter", "list_milestones", state=q.get("state"), facility=q.get("facility"),
                   case_manager=q.get("case_manager"))


def legal_referral_requests(ctx: Ctx):
    return ctx.rpc("legal", "list_referral_requests")


# --- reports (issue 10) ---------------------------------------------------------------------------

REPORT_ROLES = ("shelter", "analyst")   # internal audience: shelter staff only (decision 0024)


def report_summary(ctx: Ctx):
    from .reports.csv_export import to_csv
    from .reports.figures import build_summary
    q = ctx.query
    if q["audience"] == "internal" and ctx.identity.role != "shelter":
        raise ApiProblem(403, "forbidden", "Forbidden",
                         f"The {ctx.identity.role} role may read the public audience only.",
                         field="audience")
    period = {"first_day": q["from_"].isoformat(), "last_day": q["to"].isoformat()}
    figures = {service: ctx.rpc(service, "report_figures", **period)
               for service in ("referral", "shelter", "legal")}
    summary = build_summary(figures["referral"], figures["shelter"], figures["legal"], q["audience"])
    if q["format"] == "csv":
        name = f"refnet-report-{period['first_day']}-{period['last_day']}-{q['audience']}.csv"
        return Response(to_csv(summary), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return summary


_LEGAL_ERRORS = (400, 401, 403, 404, 409, 422, 503)
_CARE_ERRORS = (400, 401, 403, 404, 409, 422, 503)
CARE_ROLES = ("shelter",)  # care plans, notes, screening, milestones: never police, legal, others


# --- privacy (issue 6) ----------------------------------------------------------------------------

def get_consent(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "get_consent", reference=reference)


def record_consent(ctx: Ctx, reference: str):
    d = ctx.data
    if d["share"] and not d.get("purpose"):
        raise ApiProblem(422, "invalid-input", "Invalid input", "Sharing needs a purpose.",
                         field="purpose", errors=[{"field": "purpose", "message": "Required to share."}])
    state = ctx.rpc("referral", "record_consent", reference=reference, audience=d["audience"],
                    share=d["share"], purpose=d.get("purpose"), until=_iso(d.get("until")),
                    correlation_id=g.correlation_id)
    # The legal service hears of it by event too; telling it now means the very next read in
    # the legal service (the legal team's cases, the police's hearings) honours the change. A
    # failure here is covered by the event (logged, not raised).
    try:
        changed = state[d["audience"]]
        ctx.rpc("legal", "apply_consent", reference=reference, audience=d["audience"],
                granted=d["share"], until=changed.get("until"),
                changed_at=state["history"][-1]["recorded_at"] if state.get("history") else None)
    except Exception as exc:  # noqa: BLE001 - the event delivers it
        current_app.logger.warning("consent for %s: legal service not told directly (%s); "
                                   "the event will", reference, type(exc).__name__)
    return state


def search_by_name(ctx: Ctx):
    return ctx.rpc("referral", "search_by_name", name=ctx.data["name"])


def audit_trail(ctx: Ctx):
    q = ctx.query
    return ctx.rpc(q["service"], "audit_query", object=q.get("object"), actor=q.get("actor"),
                   limit=q["limit"])


def revoke(ctx: Ctx):
    store = current_app.extensions["refnet.revocations"]
    if bool(ctx.data.get("jti")) == bool(ctx.data.get("user")):
        raise ApiProblem(422, "invalid-input", "Invalid input", "Give jti or user, not both.",
                         field="jti")
    if ctx.data.get("jti"):
        store.revoke_token(ctx.data["jti"])
        return {"revoked": "token"}
    store.revoke_user(ctx.data["user"])
    return {"revoked": "user"}


ENDPOINTS = (
    Endpoint("submit_referral", "POST", "/referrals", submit_referral, ("police",),
             "Submit a referral (durable hand-off; answers 202 with the reference)",
             body=ReferralSubmissionSchema, response=schemas.SubmissionAccepted, status=202,
             errors=(400, 401, 403, 413, 422, 503), headers=("Idempotency-Key",)),
    Endpoint("list_referrals", "GET", "/referrals", list_referrals, ("police", "shelter", "legal"),
             "List the caller's referrals, newest first (cursor pagination)",
             query=schemas.ReferralListQuery, response=schemas.ReferralList),
    Endpoint("referral_status", "GET", "/referrals/<reference>/status", referral_status,
             STATUS_ROLES, "Current status and timeline of a referral",
             response=schemas.ReferralStatus, errors=(401, 403, 404, 503)),
    Endpoint("referral_fhir_task", "GET", "/referrals/<reference>/fhir-task", referral_fhir_task,
             STATUS_ROLES,
             "The referral's status as a FHIR R4 Task (SDOHCC Task for Referral Management); "
             "the same audiences as its status, no names",
             response=schemas.FhirTask, errors=(401, 403, 404, 503), media_type=FHIR_JSON),
    Endpoint("referral_file", "GET", "/referrals/<reference>", referral_file, ("shelter",),
             "The referral file as submitted (shelter staff only)",
             response=schemas.ReferralFile, errors=(401, 403, 404, 503)),
    Endpoint("decide", "POST", "/referrals/<reference>/decision", decide, ("shelter",),
             "Accept or decline a received referral", body=schemas.DecisionSchema,
             response=schemas.DecisionResult, errors=(400, 401, 403, 404, 409, 422, 503), changes_beds=True),
    Endpoint("withdraw", "POST", "/referrals/<reference>/withdraw", withdraw, ("police",),
             "Withdraw a referral the caller's agency submitted", body=schemas.WithdrawSchema,
             response=schemas.WithdrawResult, errors=(400, 401, 403, 404, 409, 422, 503), changes_beds=True),
    Endpoint("incoming", "GET", "/shelter/incoming", incoming, ("shelter",),
             "Incoming referrals awaiting (or past) a decision", query=schemas.IncomingQuery,
             response=schemas.IncomingReferral, many=True),
    Endpoint("set_capacity", "PUT", "/shelters/<facility>/capacity", set_capacity,
             ("shelter", "admin"), "Set the bed capacity of a facility for a population group",
             body=schemas.CapacitySchema, response=schemas.BedCount,
             errors=(400, 401, 403, 404, 409, 422, 503), changes_beds=True),
    Endpoint("availability", "GET", "/shelters/availability", availability, ALL_ROLES,
             "Bed availability per facility and population group (no addresses)",
             response=schemas.Availability, errors=(401, 503)),
    Endpoint("set_out_of_service", "PUT", "/shelters/<facility>/out-of-service", set_out_of_service,
             ("shelter", "admin"), "Set how many beds of a group are out of service, why, until when",
             body=schemas.OutOfServiceSchema, response=schemas.BedCount,
             errors=(400, 401, 403, 404, 409, 422, 503), changes_beds=True),
    Endpoint("capacity_history", "GET", "/shelters/<facility>/capacity-history", capacity_history,
             ("shelter", "admin"), "Every capacity and out-of-service change, newest first",
             response=schemas.CapacityChange, many=True, errors=(401, 403, 404, 503)),
    Endpoint("bed_board", "GET", "/shelters/<facility>/board", bed_board, ("shelter",),
             "Bed board: counts per group and who holds or occupies each place (by reference)",
             response=schemas.BedBoard, errors=(401, 403, 404, 503)),
    Endpoint("daily_census", "GET", "/shelters/<facility>/census", daily_census, ("shelter",),
             "A day's arrivals, expected arrivals, departures and end-of-day census",
             query=schemas.CensusQuery, response=schemas.DailyCensus, errors=(401, 403, 404, 422, 503)),
    Endpoint("admit", "POST", "/shelters/<facility>/admissions", admit, ("shelter",),
             "Admit an accepted referral (its hold becomes occupancy, or a free bed is taken)",
             body=schemas.AdmissionSchema, response=schemas.AdmissionResult, status=201,
             errors=(400, 401, 403, 404, 409, 422, 503), changes_beds=True),
    Endpoint("discharge", "POST", "/shelters/<facility>/admissions/<admission_id>/discharge",
             discharge, ("shelter",), "Discharge a resident with an outcome; the beds go to the waitlist",
             body=schemas.DischargeSchema, response=schemas.DischargeResult,
             errors=(400, 401, 403, 404, 409, 422, 503), changes_beds=True),
    Endpoint("waitlist", "GET", "/shelter/waitlist", waitlist, ("shelter",),
             "The waitlist per group, in the order freed beds are offered",
             query=schemas.WaitlistQuery, response=schemas.WaitlistEntry, many=True,
             errors=(401, 403, 422, 503)),
    Endpoint("reorder_waitlist", "PUT", "/shelter/waitlist/<reference>/priority", reorder_waitlist,
             ("shelter",), "Move a waitlisted referral up or down, with a recorded reason",
             body=schemas.ReorderSchema, response=schemas.WaitlistEntry,
             errors=(400, 401, 403, 404, 422, 503)),
    Endpoint("hsds", "GET", "/shelters/<facility>/hsds", hsds, ALL_ROLES,
             "The facility's service as an Open Referral HSDS 3.1 service with bed capacities",
             response=schemas.HsdsService, errors=(401, 404, 503)),
    Endpoint("legal_eligible", "GET", "/legal/eligible", legal_eligible, ("legal",),
             "Accepted referrals eligible for legal representation",
             response=schemas.EligibleReferral, many=True, errors=(401, 403, 503)),
    # legal representation (issue 5)
    Endpoint("open_case", "POST", "/legal/cases", open_case, ("legal",),
             "Open the legal case of an eligible referral, with a lawyer assigned",
             body=schemas.OpenCaseBody, response=schemas.LegalCase, status=201,
             errors=_LEGAL_ERRORS),
    Endpoint("list_cases", "GET", "/legal/cases", list_cases, ("legal",), "Legal cases",
             response=schemas.LegalCase, many=True, errors=(401, 403, 503)),
    Endpoint("get_case", "GET", "/legal/cases/<case_id>", get_case, ("legal",),
             "A legal case with notes, counselling, court cases, hearings, documents, disputes",
             response=schemas.LegalCaseDetail, errors=(401, 403, 404, 503)),
    Endpoint("add_session", "POST", "/legal/cases/<case_id>/sessions", add_session, ("legal",),
             "Log a counselling session", body=schemas.SessionBody,
             response=schemas.CounsellingSession, status=201, errors=_LEGAL_ERRORS),
    Endpoint("add_note", "POST", "/legal/cases/<case_id>/notes", add_note, ("legal",),
             "Add a legal note (legal team only, never shared)", body=schemas.NoteBody,
             response=schemas.LegalNote, status=201, errors=_LEGAL_ERRORS),
    Endpoint("file_court_case", "POST", "/legal/cases/<case_id>/court-cases", file_court_case,
             ("legal",), "Record a court case (investigation or filed)",
             body=schemas.CourtCaseBody, response=schemas.CourtCase, status=201,
             errors=_LEGAL_ERRORS),
    Endpoint("list_court_cases", "GET", "/court-cases", list_court_cases, ("legal", "court"),
             "Court cases: all for the legal team, a court's own for a court",
             response=schemas.CourtCase, many=True, errors=(401, 403, 503)),
    Endpoint("get_court_case", "GET", "/court-cases/<court_case_id>", get_court_case,
             ("legal", "court"), "A court case with its status history and hearings",
             response=schemas.CourtCase, errors=(401, 403, 404, 503)),
    Endpoint("change_court_status", "POST", "/court-cases/<court_case_id>/status",
             change_court_status, ("legal", "court"),
             "Move a court case along investigation, filed, trial, verdict, appeal, closed",
             body=schemas.CourtStatusBody, response=schemas.CourtCase, errors=_LEGAL_ERRORS),
    Endpoint("schedule_hearing", "POST", "/court-cases/<court_case_id>/hearings",
             schedule_hearing, ("legal", "court"),
             "Schedule a hearing in the court's local time and zone", body=schemas.HearingBody,
             response=schemas.Hearing, status=201, errors=_LEGAL_ERRORS),
    Endpoint("record_outcome", "POST", "/hearings/<hearing_id>/outcome", record_outcome,
             ("legal", "court"), "Record a hearing's outcome (held, postponed to a new time, "
             "cancelled)", body=schemas.HearingOutcomeBody, response=schemas.HearingWithNext,
             errors=_LEGAL_ERRORS),
    Endpoint("list_hearings", "GET", "/hearings", list_hearings,
             ("legal", "court", "shelter", "police"),
             "Hearings between two days, each role its slice", query=schemas.HearingsQuery,
             response=schemas.Hearing, many=True, errors=(401, 403, 422, 503)),
    Endpoint("hearings_ics", "GET", "/hearings/calendar.ics", hearings_ics, ("legal",),
             "The legal team's hearings as an iCalendar feed (text/calendar)",
             query=schemas.HearingsQuery, errors=(401, 403, 422, 503)),
    Endpoint("request_document", "POST", "/legal/cases/<case_id>/documents", request_document,
             ("legal",), "Request an identity card, passport or travel document",
             body=schemas.DocumentRequestBody, response=schemas.DocumentRequest, status=201,
             errors=_LEGAL_ERRORS),
    Endpoint("change_document_status", "POST", "/legal/documents/<document_id>/status",
             change_document_status, ("legal",), "A document request was submitted, issued or "
             "rejected", body=schemas.DocumentStatusBody, response=schemas.DocumentRequest,
             errors=_LEGAL_ERRORS),
    Endpoint("open_dispute", "POST", "/legal/cases/<case_id>/labour-disputes", open_dispute,
             ("legal",), "Open a labour dispute with an employer or recruitment company",
             body=schemas.DisputeBody, response=schemas.LabourDispute, status=201,
             errors=_LEGAL_ERRORS),
    Endpoint("update_dispute", "POST", "/legal/labour-disputes/<dispute_id>", update_dispute,
             ("legal",), "Record the status and outcome of a labour-dispute mediation",
             body=schemas.DisputeUpdateBody, response=schemas.LabourDispute,
             errors=_LEGAL_ERRORS),
    Endpoint("shelter_hearings", "GET", "/shelter/hearings", shelter_hearings, ("shelter",),
             "Residents' upcoming hearings, with the accompaniment task once reminded",
             response=schemas.ResidentHearing, many=True, errors=(401, 403, 503)),
    # care plans, first-week milestones, care notes (issue 4): shelter staff only
    Endpoint("list_plans", "GET", "/shelter/plans", list_plans, CARE_ROLES,
             "Residents' care plans (no personal text), with milestone counts",
             query=schemas.PlansQuery, response=schemas.PlanSummary, many=True,
             errors=(401, 403, 422, 503)),
    Endpoint("get_plan", "GET", "/shelter/plans/<plan_id>", get_plan, CARE_ROLES,
             "A care plan: goals in the person's words, items, first-week milestones",
             response=schemas.CarePlan, errors=(401, 403, 404, 503)),
    Endpoint("update_plan", "PUT", "/shelter/plans/<plan_id>", update_plan, CARE_ROLES,
             "Record the person's goals; the case manager names the plan's psychologist",
             body=schemas.PlanUpdateBody, response=schemas.CarePlan, errors=_CARE_ERRORS),
    Endpoint("add_plan_item", "POST", "/shelter/plans/<plan_id>/items", add_plan_item, CARE_ROLES,
             "Add a plan item (a service with an owner and dates; cash assistance with amount)",
             body=schemas.PlanItemBody, response=schemas.PlanItemView, status=201,
             errors=_CARE_ERRORS),
    Endpoint("update_plan_item", "PUT", "/shelter/plans/<plan_id>/items/<item_id>",
             update_plan_item, CARE_ROLES,
             "Change an item's status, owner or dates (done pays cash: approval first)",
             body=schemas.PlanItemUpdateBody, response=schemas.PlanItemView, errors=_CARE_ERRORS),
    Endpoint("approve_plan_item", "POST", "/shelter/plans/<plan_id>/items/<item_id>/approval",
             approve_plan_item, CARE_ROLES,
             "Approve cash assistance (a second staff member, not the requester)",
             response=schemas.PlanItemView, errors=_CARE_ERRORS),
    Endpoint("refer_plan_item", "POST", "/shelter/plans/<plan_id>/items/<item_id>/legal-referral",
             refer_plan_item, CARE_ROLES,
             "Refer a legal item to the legal team (the event carries reference and service only)",
             response=schemas.PlanItemView, errors=_CARE_ERRORS),
    Endpoint("list_care_notes", "GET", "/shelter/plans/<plan_id>/notes", list_care_notes,
             CARE_ROLES, "Case notes of a plan (shelter staff only)", response=schemas.CareNote,
             many=True, errors=(401, 403, 404, 503)),
    Endpoint("add_care_note", "POST", "/shelter/plans/<plan_id>/notes", add_care_note, CARE_ROLES,
             "Add a case note (encrypted at rest, never in an event)", body=schemas.CareNoteBody,
             response=schemas.CareNote, status=201, errors=_CARE_ERRORS),
    Endpoint("get_screening", "GET", "/shelter/plans/<plan_id>/screening", get_screening,
             CARE_ROLES, "The screening result (the plan's case manager and psychologist only)",
             response=schemas.Screening, errors=(401, 403, 404, 503)),
    Endpoint("record_screening", "PUT", "/shelter/plans/<plan_id>/screening", record_screening,
             CARE_ROLES, "The plan's psychologist records the screening result (milestone done)",
             body=schemas.ScreeningBody, response=schemas.Screening, errors=_CARE_ERRORS),
    Endpoint("complete_milestone", "POST", "/shelter/plans/<plan_id>/milestones/<milestone>/done",
             complete_milestone, CARE_ROLES,
             "Mark the legal rights briefing or the plan agreed as done",
             response=schemas.MilestoneView, errors=_CARE_ERRORS),
    Endpoint("list_milestones", "GET", "/shelter/milestones", list_milestones, CARE_ROLES,
             "First-week milestones of open plans by state, per facility and case manager",
             query=schemas.MilestonesQuery, response=schemas.MilestoneList,
             errors=(401, 403, 422, 503)),
    Endpoint("legal_referral_requests", "GET", "/legal/referral-requests",
             legal_referral_requests, ("legal",),
             "Plan items the shelter referred to the legal team (reference and service only)",
             response=schemas.LegalReferralRequest, many=True, errors=(401, 403, 503)),
    # privacy (issue 6)
    Endpoint("get_consent", "GET", "/referrals/<reference>/consent", get_consent, ("shelter",),
             "The survivor's consent per audience, and every recorded change (who, when, what for)",
             response=schemas.ConsentState, errors=(401, 403, 404, 503)),
    Endpoint("record_consent", "POST", "/referrals/<reference>/consent", record_consent,
             ("shelter",), "Record the survivor's choice for the referring police or the legal "
             "team; a withdrawal holds from the next read", body=schemas.ConsentBody,
             response=schemas.ConsentState, errors=(400, 401, 403, 404, 413, 415, 422, 503)),
    Endpoint("search_by_name", "POST", "/referrals/search", search_by_name, ("shelter",),
             "Find referrals by the survivor's name (keyed hash; the name is never stored in clear)",
             body=schemas.NameSearchBody, response=schemas.NameSearchHit, many=True,
             errors=(400, 401, 403, 413, 415, 422, 503)),
    Endpoint("audit_trail", "GET", "/audit", audit_trail, ("admin",),
             "A service's audit trail by object or actor, newest first",
             query=schemas.AuditQuery, response=schemas.AuditEntry, many=True,
             errors=(401, 403, 422, 503)),
    # reports (issue 10)
    Endpoint("report_summary", "GET", "/reports/summary", report_summary, REPORT_ROLES,
             "Figures for a period: internal (exact; shelter staff) or public (suppressed: no "
             "count from 1 to 10, complementary suppression); JSON, or CSV with format=csv",
             query=schemas.ReportQuery, response=schemas.ReportSummary, also_as=("text/csv",),
             errors=(401, 403, 422, 503)),
    Endpoint("revoke", "POST", "/admin/revocations", revoke, ("admin",),
             "Revoke one token (jti) or every token a user holds now", body=schemas.RevocationBody,
             response=schemas.RevocationResult, errors=(400, 401, 403, 413, 415, 422)),
)


# --- registration ---------------------------------------------------------------------------------

def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "unauthenticated", "Unauthenticated", "A bearer token is required.",
                         field="Authorization", headers={"WWW-Authenticate": 'Bearer realm="refnet"'})
    invalid = ApiProblem(401, "invalid-token", "Unauthenticated", "The token is invalid, expired or revoked.",
                         field="Authorization",
                         headers={"WWW-Authenticate": 'Bearer realm="refnet", error="invalid_token"'})
    try:
        identity = verify_token(current_app.config["TOKEN_SECRET"], token.strip())
    except InvalidToken:
        raise invalid from None
    if current_app.extensions["refnet.revocations"].is_revoked(identity.jti, identity.user,
                                                              identity.issued_at):
        raise invalid
    wait = current_app.extensions["refnet.ratelimit"].take(identity.user)
    if wait:
        raise ApiProblem(429, "rate-limited", "Too many requests",
                         "Too many requests for this user; slow down.",
                         headers={"Retry-After": str(max(1, int(wait + 0.999)))})
    return identity


def _json_body():
    if not request.is_json:
        raise ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                         "Send the body as application/json.", field="body")
    raw = request.get_json(silent=True)
    if raw is None:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", "The body is not valid JSON.",
                         field="body")
    if not isinstance(raw, dict):
        raise ApiProblem(422, "invalid-input", "Invalid input", "The body must be a JSON object.",
                         field="body")
    return raw


BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}
_SCHEMAS = {endpoint.name: (endpoint.body() if endpoint.body else None,
                            endpoint.query() if endpoint.query else None) for endpoint in ENDPOINTS}


def perform(name: str, identity, *, body: dict | None = None, query: dict | None = None,
            headers: dict | None = None, **params):
    """Run one endpoint for an identity: the role check, the body and query schemas and the view
    of the endpoint table, exactly as ``/api/v1`` does after authentication. The web pages
    (gateway/web) call this, so a page can never do or show more than the API gives the same
    person. Raises ``ApiProblem``, marshmallow's ``ValidationError`` or the service's error;
    returns what the view returns (a dict or list, a ``(result, status, headers)`` tuple, or a
    ``Response``)."""
    endpoint = BY_NAME[name]
    if identity.role not in endpoint.roles:
        raise ApiProblem(403, "forbidden", "Forbidden",
                         f"The {identity.role} role may not use this endpoint.")
    body_schema, query_schema = _SCHEMAS[name]
    data = raw = None
    if body_schema is not None:
        raw = body if body is not None else {}
        data = body_schema.load(raw)
    loaded = query_schema.load(query or {}) if query_schema is not None else {}
    result = endpoint.view(Ctx(identity, data, loaded, raw, headers), **params)
    if endpoint.changes_beds:  # beds changed: every worker's availability copy is dropped
        current_app.extensions["refnet.availability"].invalidate()
    return result


def result_of(answer):
    """The result of ``perform`` without its status and headers."""
    return answer[0] if isinstance(answer, tuple) else answer


def _wrap(endpoint: Endpoint):
    def view(**params):
        identity = _authenticate()
        if identity.role not in endpoint.roles:  # before the body is read: 403, never 415/422
            raise ApiProblem(403, "forbidden", "Forbidden",
                             f"The {identity.role} role may not use this endpoint.")
        raw = _json_body() if endpoint.body is not None else None
        result = perform(endpoint.name, identity, body=raw, query=request.args.to_dict(), **params)
        if isinstance(result, Response):  # a view that answers other than JSON (text/calendar)
            return result
        status, headers = endpoint.status, {}
        if isinstance(result, tuple):
            result, status, headers = result
        response = jsonify(result)
        response.status_code = status
        response.headers.extend(headers)
        return response

    view.__name__ = endpoint.name
    return view


def register(app: Flask) -> None:
    blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
    for endpoint in ENDPOINTS:
        blueprint.add_url_rule(endpoint.path, endpoint=endpoint.name, view_func=_wrap(endpoint),
                               methods=[endpoint.method])
    app.register_blueprint(blueprint)
