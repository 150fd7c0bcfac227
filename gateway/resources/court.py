"""Court cases and hearings, for the legal team and the courts (every role check is repeated in
the legal service): filing a court case, its status, scheduling hearings and their outcomes,
the hearings calendar (each role its slice, and as iCalendar) and residents' hearings for the
shelter."""

from marshmallow import fields, validate

from services.contracts.vocabulary import (CHARGE_STATUTES, COURT_CASE_STATUSES, HEARING_OUTCOMES,
                                           STANDINGS, VERDICTS)

from ..calendar import hearings_calendar
from .declare import FILTERED, LISTING, ONE, WRITE, Answer, Ctx, endpoint
from .shapes import OPAQUE_ID, InterpreterBody, Strict, answer, iso, sized, strings

COURT_ROLES = ("legal", "court")
_LOCAL = ("The court's local date and time without an offset, e.g. 2026-12-10T09:30; "
          "stored in UTC with the zone.")


# --- schemas ---------------------------------------------------------------------------------------

class ChargeBody(Strict):
    statute = fields.String(required=True, validate=validate.OneOf(CHARGE_STATUTES),
                            metadata={"description": "law-6-2018 (Anti-Human Trafficking Law No. 6 "
                                                     "of 2018) or other (name it in description)."})
    description = sized(1, 300)


class CourtCaseBody(Strict):
    court = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$"),
                          metadata={"description": "Court id, e.g. erbil-criminal-court."})
    case_number = sized(1, 64, required=True)
    charges = fields.List(fields.Nested(ChargeBody), required=True,
                          validate=validate.Length(min=1, max=20))
    standing = fields.String(required=True, validate=validate.OneOf(STANDINGS))
    status = fields.String(load_default="investigation",
                           validate=validate.OneOf(["investigation", "filed"]))


class CourtStatusBody(Strict):
    status = fields.String(required=True, validate=validate.OneOf(COURT_CASE_STATUSES))
    verdict = fields.String(validate=validate.OneOf(VERDICTS),
                            metadata={"description": "Required with status verdict, only then."})


class HearingBody(Strict):
    starts_at = fields.String(required=True, validate=validate.Length(min=10, max=40),
                              metadata={"description": _LOCAL})
    time_zone = fields.String(load_default="Asia/Baghdad", validate=validate.Length(min=1, max=64),
                              metadata={"description": "IANA zone of the court (Asia/Baghdad)."})
    purpose = sized(1, 200, required=True)
    attendance_required = fields.Boolean(required=True)


class HearingOutcomeBody(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(HEARING_OUTCOMES))
    note = sized(1, 500, metadata={"description": "What happened (legal team and the court only)."})
    new_starts_at = fields.String(validate=validate.Length(min=10, max=40),
                                  metadata={"description": "Postponed to: " + _LOCAL})
    time_zone = sized(1, 64)


class HearingsQuery(Strict):
    from_ = fields.Date(data_key="from", metadata={"description": "First day (courts' time zone)."})
    to = fields.Date(metadata={"description": "Last day, inclusive."})


Charge = answer("Charge", statute=fields.String(), description=fields.String(allow_none=True))
# Shaped per role: shelter gets hearing_id, reference, court, times, attendance_required; police
# add status; a court adds court_case_id, case_number, purpose, outcome_note; the legal team also
# reference and case_id.
Hearing = answer("Hearing", hearing_id=fields.String(**OPAQUE_ID),
                 **strings("reference case_id court_case_id case_number court"),
                 starts_at=fields.String(metadata={"description": "UTC"}),
                 **strings("starts_at_local local_date local_time time_zone"),
                 attendance_required=fields.Boolean(), **strings("purpose status"),
                 **strings("outcome_note postponed_from", allow_none=True),
                 interpreter=fields.Nested(answer("HearingInterpreter", strings("language status")),
                                           allow_none=True, metadata={
                                               "description": "The survivor's interpreter at the "
                                                              "hearing (legal team and court)"}))
HearingWithNext = answer("HearingWithNext", base=Hearing,
                         next_hearing=fields.Nested(Hearing, allow_none=True))
CourtCase = answer("CourtCase", court_case_id=fields.String(**OPAQUE_ID),
                   **strings("case_id reference court case_number"),
                   charges=fields.List(fields.Nested(Charge)), **strings("standing status"),
                   verdict=fields.String(allow_none=True), updated_at=fields.String(),
                   status_history=fields.List(fields.Dict()),
                   hearings=fields.List(fields.Nested(Hearing)))
CourtCaseMoved = answer("CourtCaseMoved", base=CourtCase, hearings_cancelled=fields.Integer(
    metadata={"description": "How many of its hearings still scheduled ahead its closing "
                             "cancelled (0 for any other status)."}))
Accompaniment = answer("Accompaniment", strings("task status reminded_at due_at"),
                       **strings("task_id assignee", allow_none=True))
ResidentHearing = answer("ResidentHearing",
                         strings("hearing_id reference court starts_at starts_at_local time_zone"),
                         attendance_required=fields.Boolean(), status=fields.String(),
                         accompaniment=fields.Nested(Accompaniment, allow_none=True))


# --- views -----------------------------------------------------------------------------------------

@endpoint("POST", "/legal/cases/<case_id>/court-cases", roles=("legal",),
          summary="Record a court case (investigation or filed)", body=CourtCaseBody,
          response=CourtCase, status=201, errors=WRITE)
def file_court_case(ctx: Ctx, case_id: str):
    d = ctx.data
    return ctx.rpc("legal", "file_court_case", case_id=case_id, court=d["court"],
                   case_number=d["case_number"], charges=d["charges"], standing=d["standing"],
                   status=d["status"], correlation_id=ctx.correlation_id)


@endpoint("GET", "/court-cases", roles=COURT_ROLES,
          summary="Court cases: all for the legal team, a court's own for a court",
          response=CourtCase, many=True, errors=LISTING)
def list_court_cases(ctx: Ctx):
    return ctx.rpc("legal", "list_court_cases")


@endpoint("GET", "/court-cases/<court_case_id>", roles=COURT_ROLES,
          summary="A court case with its status history and hearings", response=CourtCase,
          errors=ONE)
def get_court_case(ctx: Ctx, court_case_id: str):
    return ctx.rpc("legal", "get_court_case", court_case_id=court_case_id)


@endpoint("POST", "/court-cases/<court_case_id>/status", roles=COURT_ROLES,
          summary="Move a court case along investigation, filed, trial, verdict, appeal, closed "
                  "(closing it cancels its hearings still scheduled ahead)",
          body=CourtStatusBody, response=CourtCaseMoved, errors=WRITE)
def change_court_status(ctx: Ctx, court_case_id: str):
    return ctx.rpc("legal", "change_court_status", court_case_id=court_case_id,
                   status=ctx.data["status"], verdict=ctx.data.get("verdict"),
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/court-cases/<court_case_id>/hearings", roles=COURT_ROLES,
          summary="Schedule a hearing in the court's local time and zone", body=HearingBody,
          response=Hearing, status=201, errors=WRITE)
def schedule_hearing(ctx: Ctx, court_case_id: str):
    d = ctx.data
    return ctx.rpc("legal", "schedule_hearing", court_case_id=court_case_id,
                   starts_at=d["starts_at"], time_zone=d["time_zone"], purpose=d["purpose"],
                   attendance_required=d["attendance_required"],
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/hearings/<hearing_id>/outcome", roles=COURT_ROLES,
          summary="Record a hearing's outcome (held, postponed to a new time, cancelled)",
          body=HearingOutcomeBody, response=HearingWithNext, errors=WRITE)
def record_outcome(ctx: Ctx, hearing_id: str):
    d = ctx.data
    return ctx.rpc("legal", "record_outcome", hearing_id=hearing_id, outcome=d["outcome"],
                   note=d.get("note"), new_starts_at=d.get("new_starts_at"),
                   time_zone=d.get("time_zone"), correlation_id=ctx.correlation_id)


@endpoint("PUT", "/hearings/<hearing_id>/interpreter", roles=("legal",),
          summary="Book the survivor's interpreter at a hearing, or move the booking on",
          body=InterpreterBody, response=Hearing, errors=WRITE)
def set_hearing_interpreter(ctx: Ctx, hearing_id: str):
    return ctx.rpc("legal", "set_interpreter", hearing_id=hearing_id,
                   language=ctx.data["language"], status=ctx.data["status"])


def _hearings_between(ctx: Ctx):
    return ctx.rpc("legal", "list_hearings", from_date=iso(ctx.query.get("from_")),
                   to_date=iso(ctx.query.get("to")))


@endpoint("GET", "/hearings", roles=("legal", "court", "shelter", "police"),
          summary="Hearings between two days, each role its slice", query=HearingsQuery,
          response=Hearing, many=True, errors=FILTERED)
def list_hearings(ctx: Ctx):
    return _hearings_between(ctx)


@endpoint("GET", "/hearings/calendar.ics", roles=("legal",),
          summary="The legal team's hearings as an iCalendar feed (text/calendar)",
          query=HearingsQuery, errors=FILTERED, media_type="text/calendar")
def hearings_ics(ctx: Ctx):
    return Answer(hearings_calendar(_hearings_between(ctx), now=ctx.clock.now()),
                  headers={"Content-Disposition": 'inline; filename="hearings.ics"'})


@endpoint("GET", "/shelter/hearings", roles=("shelter",),
          summary="Residents' upcoming hearings, with the accompaniment task once reminded",
          response=ResidentHearing, many=True, errors=LISTING)
def shelter_hearings(ctx: Ctx):
    return ctx.rpc("shelter", "list_hearings")
