"""Care of a resident, for shelter staff only (checked again in the shelter service): care
plans and their items, case notes, the screening result, the first-week milestones and the
follow-up after discharge."""

from marshmallow import fields, validate

from services.contracts.vocabulary import (CARE_SERVICES, CASH_PURPOSES, FOLLOW_UP_OUTCOMES,
                                           FOLLOW_UP_STATES, MILESTONE_STATES, MILESTONES,
                                           PLAN_ITEM_STATUSES, SCREENING_OUTCOMES)

from services.contracts.htcds import LISTS as HTCDS_LISTS
from services.contracts.htcds import MAX_COUNTRIES
from services.contracts.interpreters import OCCASIONS as INTERPRETER_OCCASIONS

from .declare import FILTERED, ONE, WRITE, Ctx, endpoint
from .shapes import (Attachment, InterpreterBody, Strict, answer, integers, iso, numeric_id, sized,
                     staff_id, strings)

CARE_ROLES = ("shelter",)  # care plans, notes, screening, milestones: never police, legal, others


# --- schemas ---------------------------------------------------------------------------------------

class PlansQuery(Strict):
    facility = sized(1, 64)
    case_manager = staff_id()
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "closed", "all"]))


class MilestonesQuery(Strict):
    state = fields.String(validate=validate.OneOf(MILESTONE_STATES),
                          metadata={"description": "done, due or overdue; all when absent"})
    facility = sized(1, 64)
    case_manager = staff_id()


class FollowUpsQuery(Strict):
    state = fields.String(load_default="all", validate=validate.OneOf(["overdue", "due", "all"]),
                          metadata={"description": "overdue (scheduled, due day passed), due "
                                                   "(scheduled, not yet due) or all"})
    mine = fields.Boolean(load_default=False,
                          metadata={"description": "only those whose case manager is the caller"})


class FollowUpBody(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_OUTCOMES))
    contacted_on = fields.Date(required=True, metadata={
        "description": "The day of the contact: not before the discharge, not in the future."})


class PlanUpdateBody(Strict):
    goals = sized(1, 5000, metadata={"description": "The person's own goals, in their words "
                                                   "(encrypted at rest)."})
    psychologist = staff_id(metadata={"description": "Staff user id; set by the case manager."})


class CashBody(Strict):
    purpose = fields.String(required=True, validate=validate.OneOf(CASH_PURPOSES))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000_000))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))


class PlanItemBody(Strict):
    service = fields.String(required=True, validate=validate.OneOf(CARE_SERVICES))
    owner = staff_id(required=True,
                     metadata={"description": "Staff user id of who carries the item out."})
    starts_on = fields.Date()
    due_on = fields.Date()
    cash = fields.Nested(CashBody, metadata={"description": "Required for cash_assistance."})


class PlanItemUpdateBody(Strict):
    status = fields.String(validate=validate.OneOf(PLAN_ITEM_STATUSES),
                           metadata={"description": "done pays a cash item: it needs the approval "
                                                    "of a second staff member first (409)."})
    owner = staff_id()
    starts_on = fields.Date()
    due_on = fields.Date()


class CareNoteBody(Strict):
    text = sized(1, 10_000, required=True)


class LanguagesBody(Strict):
    languages = fields.List(fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$")), required=True,
                            validate=validate.Length(min=1, max=5), metadata={
                                "description": "The person's languages, ISO 639 codes, the one "
                                               "to book an interpreter in first."})
    interpreter_needed = fields.Boolean(required=True)


def _codes(name: str) -> fields.List:
    field, values = HTCDS_LISTS[name]
    return fields.List(fields.String(validate=validate.OneOf(values)), load_default=list,
                       validate=validate.Length(max=len(values)), metadata={
                           "description": f"HTCDS {field}: values as the standard spells them "
                                          "(docs/standards/htcds/values.json)"})


class CaseDataBody(Strict):
    """A resident's Human Trafficking Case Data Standard codes (all of them: replaces)."""
    recruitment_methods = _codes("recruitment_methods")
    methods_of_control = _codes("methods_of_control")
    types_of_exploitation = _codes("types_of_exploitation")
    labour_industries = _codes("labour_industries")
    sex_exploitation_types = _codes("sex_exploitation_types")
    country_of_origin = fields.String(load_default=None, allow_none=True,
                                      validate=validate.Regexp(r"^[A-Z]{2}$"), metadata={
                                          "description": "ISO 3166-1 alpha-2 (HTCDS "
                                                         "prs_Nationality)"})
    countries_of_exploitation = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")), load_default=list,
        validate=validate.Length(max=MAX_COUNTRIES),
        metadata={"description": "ISO 3166-1 alpha-2 (HTCDS hte_Country, hte_Type Exploitation)"})


class ScreeningBody(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(SCREENING_OUTCOMES))
    summary = sized(1, 10_000)


MilestoneView = answer(
    "MilestoneView", milestone=fields.String(metadata={"description": ", ".join(MILESTONES)}),
    due_at=fields.String(), **strings("done_at done_by", allow_none=True),
    state=fields.String(metadata={"description": "done, due or overdue"}),
    overdue_notified_at=fields.String(allow_none=True))
CashView = answer("CashView", purpose=fields.String(), amount=fields.Integer(),
                  currency=fields.String(),
                  **strings("approved_by approved_at paid_by paid_at", allow_none=True))
LegalReferralView = answer("LegalReferralView", strings("request_id referred_at"))
PartnerReferralView = answer(
    "PartnerReferralView",
    strings("partner_referral_id partner_agency service status sent_at updated_at"),
    **strings("reason_code outcome_code", allow_none=True))
PlanItemView = answer("PlanItemView", integers("item_id plan_id"),
                      strings("service owner status"),
                      strings("starts_on due_on", allow_none=True),
                      strings("created_at requested_by updated_at"),
                      completed_at=fields.String(allow_none=True),
                      cash=fields.Nested(CashView, allow_none=True),
                      legal_referral=fields.Nested(LegalReferralView, allow_none=True),
                      partner_referral=fields.Nested(PartnerReferralView, allow_none=True, metadata={
                          "description": "The item's latest referral to a partner agency"}))
PlanSummary = answer(
    "PlanSummary", integers("plan_id admission_id"), strings("reference facility case_manager"),
    psychologist=fields.String(allow_none=True), status=fields.String(),
    opened_at=fields.String(), **strings("agreed_at closed_at", allow_none=True),
    **strings("updated_at updated_by"),
    milestones=fields.Dict(metadata={"description": "how many milestones are done, due, overdue"}))
InterpreterView = answer("InterpreterView", strings("occasion language status updated_by updated_at"),
                         plan_id=fields.Integer())
CaseData = answer("CaseData", **{name: fields.List(fields.String()) for name in HTCDS_LISTS},
                  country_of_origin=fields.String(allow_none=True),
                  countries_of_exploitation=fields.List(fields.String()),
                  **strings("updated_by updated_at"))
RecordedCaseData = answer("RecordedCaseData", base=CaseData, plan_id=fields.Integer())
CarePlan = answer("CarePlan", base=PlanSummary, goals=fields.String(allow_none=True),
                  case_data=fields.Nested(CaseData, allow_none=True, metadata={
                      "description": "The HTCDS codes recorded (null: none yet)"}),
                  languages=fields.List(fields.String()),
                  interpreter_needed=fields.Boolean(allow_none=True),
                  interpreters=fields.List(fields.Nested(InterpreterView), metadata={
                      "description": "An interpreter per first-week occasion: "
                                     + ", ".join(INTERPRETER_OCCASIONS)}),
                  milestones=fields.List(fields.Nested(MilestoneView)),
                  items=fields.List(fields.Nested(PlanItemView)))
CareNote = answer("CareNote", integers("note_id plan_id"), strings("author text created_at"))
Screening = answer("Screening", integers("plan_id"), strings("psychologist outcome"),
                   summary=fields.String(allow_none=True), **strings("screened_at updated_at"))
PlanOverview = answer(
    "PlanOverview", plan=fields.Nested(CarePlan), notes=fields.List(fields.Nested(CareNote)),
    screening=fields.Nested(answer("ScreeningShown", shown=fields.Boolean(), result=fields.Nested(
        Screening, allow_none=True)), metadata={
            "description": "shown: to the plan's case manager and psychologist; result: null "
                           "until recorded"}),
    documents=fields.Nested(answer("DocumentsListed", listed=fields.Boolean(), items=fields.List(
        fields.Nested(Attachment), allow_none=True)), metadata={
            "description": "listed: for the plan's case manager and psychologist (items null "
                           "otherwise)"}))
ListedMilestone = answer("ListedMilestone", integers("plan_id"), strings("reference"),
                         integers("admission_id"), strings("facility case_manager"),
                         base=MilestoneView)
MilestoneGroup = answer("MilestoneGroup", strings("facility case_manager"), integers("count"),
                        milestones=fields.List(fields.Nested(ListedMilestone)))
MilestoneList = answer("MilestoneList", state=fields.String(allow_none=True),
                       as_of=fields.String(), count=fields.Integer(),
                       groups=fields.List(fields.Nested(MilestoneGroup)))

FollowUpView = answer(
    "FollowUpView", integers("follow_up_id admission_id"), strings("reference facility case_manager"),
    integers("months"), strings("discharged_on due_on"),
    state=fields.String(metadata={"description": ", ".join(FOLLOW_UP_STATES)}),
    outcome=fields.String(allow_none=True, metadata={"description": ", ".join(FOLLOW_UP_OUTCOMES)}),
    **strings("contacted_on recorded_at recorded_by ended_at", allow_none=True))
FollowUpList = answer("FollowUpList", strings("state as_of"), integers("count"),
                      follow_ups=fields.List(fields.Nested(FollowUpView)))


# --- views -----------------------------------------------------------------------------------------

def _plan(plan_id: str) -> int:
    return numeric_id(plan_id, "plan")


@endpoint("GET", "/shelter/plans", roles=CARE_ROLES,
          summary="Residents' care plans (no personal text), with milestone counts",
          query=PlansQuery, response=PlanSummary, many=True, errors=FILTERED)
def list_plans(ctx: Ctx):
    q = ctx.query
    return ctx.rpc("shelter", "list_plans", facility=q.get("facility"),
                   case_manager=q.get("case_manager"),
                   status=None if q["status"] == "all" else q["status"])


@endpoint("GET", "/shelter/plans/<plan_id>", roles=CARE_ROLES,
          summary="A care plan: goals in the person's words, items, first-week milestones",
          response=CarePlan, errors=ONE)
def get_plan(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "get_plan", plan_id=_plan(plan_id))


@endpoint("GET", "/shelter/plans/<plan_id>/overview", roles=CARE_ROLES,
          summary="A care plan with its notes, and for its case manager and psychologist its "
                  "screening result and documents: the plan's page in one call, each part "
                  "audited as its own read",
          response=PlanOverview, errors=ONE)
def get_plan_overview(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "get_plan_overview", plan_id=_plan(plan_id))


@endpoint("PUT", "/shelter/plans/<plan_id>", roles=CARE_ROLES,
          summary="Record the person's goals; the case manager names the plan's psychologist",
          body=PlanUpdateBody, response=CarePlan, errors=WRITE)
def update_plan(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "update_plan", plan_id=_plan(plan_id),
                   goals=ctx.data.get("goals"), psychologist=ctx.data.get("psychologist"))


@endpoint("POST", "/shelter/plans/<plan_id>/items", roles=CARE_ROLES,
          summary="Add a plan item (a service with an owner and dates; cash assistance with amount)",
          body=PlanItemBody, response=PlanItemView, status=201, errors=WRITE)
def add_plan_item(ctx: Ctx, plan_id: str):
    d = ctx.data
    return ctx.rpc("shelter", "add_plan_item", plan_id=_plan(plan_id), service_code=d["service"],
                   owner=d["owner"], starts_on=iso(d.get("starts_on")), due_on=iso(d.get("due_on")),
                   cash=d.get("cash"))


@endpoint("PUT", "/shelter/plans/<plan_id>/items/<item_id>", roles=CARE_ROLES,
          summary="Change an item's status, owner or dates (done pays cash: approval first)",
          body=PlanItemUpdateBody, response=PlanItemView, errors=WRITE)
def update_plan_item(ctx: Ctx, plan_id: str, item_id: str):
    d = ctx.data
    return ctx.rpc("shelter", "update_plan_item", plan_id=_plan(plan_id),
                   item_id=numeric_id(item_id, "item"), status=d.get("status"),
                   owner=d.get("owner"), starts_on=iso(d.get("starts_on")),
                   due_on=iso(d.get("due_on")))


@endpoint("POST", "/shelter/plans/<plan_id>/items/<item_id>/approval", roles=CARE_ROLES,
          summary="Approve cash assistance (a second staff member, not the requester)",
          response=PlanItemView, errors=WRITE)
def approve_plan_item(ctx: Ctx, plan_id: str, item_id: str):
    return ctx.rpc("shelter", "approve_plan_item", plan_id=_plan(plan_id),
                   item_id=numeric_id(item_id, "item"))


@endpoint("POST", "/shelter/plans/<plan_id>/items/<item_id>/legal-referral", roles=CARE_ROLES,
          summary="Refer a legal item to the legal team (the event carries reference and service only)",
          response=PlanItemView, errors=WRITE)
def refer_plan_item(ctx: Ctx, plan_id: str, item_id: str):
    return ctx.rpc("shelter", "refer_plan_item", plan_id=_plan(plan_id),
                   item_id=numeric_id(item_id, "item"), correlation_id=ctx.correlation_id)


@endpoint("GET", "/shelter/plans/<plan_id>/notes", roles=CARE_ROLES,
          summary="Case notes of a plan (shelter staff only)", response=CareNote, many=True,
          errors=ONE)
def list_care_notes(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "list_care_notes", plan_id=_plan(plan_id))


@endpoint("POST", "/shelter/plans/<plan_id>/notes", roles=CARE_ROLES,
          summary="Add a case note (encrypted at rest, never in an event)", body=CareNoteBody,
          response=CareNote, status=201, errors=WRITE)
def add_care_note(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "add_care_note", plan_id=_plan(plan_id), text=ctx.data["text"])


@endpoint("GET", "/shelter/plans/<plan_id>/screening", roles=CARE_ROLES,
          summary="The screening result (the plan's case manager and psychologist only)",
          response=Screening, errors=ONE)
def get_screening(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "get_screening", plan_id=_plan(plan_id))


@endpoint("PUT", "/shelter/plans/<plan_id>/screening", roles=CARE_ROLES,
          summary="The plan's psychologist records the screening result (milestone done)",
          body=ScreeningBody, response=Screening, errors=WRITE)
def record_screening(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "record_screening", plan_id=_plan(plan_id),
                   outcome=ctx.data["outcome"], summary=ctx.data.get("summary"))


@endpoint("PUT", "/shelter/plans/<plan_id>/languages", roles=CARE_ROLES,
          summary="Record the person's languages and whether an interpreter is needed",
          body=LanguagesBody, response=CarePlan, errors=WRITE)
def set_languages(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "set_languages", plan_id=_plan(plan_id),
                   languages=ctx.data["languages"],
                   interpreter_needed=ctx.data["interpreter_needed"])


@endpoint("PUT", "/shelter/plans/<plan_id>/case-data", roles=CARE_ROLES,
          summary="Record the resident's Human Trafficking Case Data Standard codes "
                  "(recruitment, means of control, exploitation, countries)",
          body=CaseDataBody, response=RecordedCaseData, errors=WRITE)
def set_case_data(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "set_case_data", plan_id=_plan(plan_id), codes=dict(ctx.data))


@endpoint("PUT", "/shelter/plans/<plan_id>/interpreters/<occasion>", roles=CARE_ROLES,
          summary="Book an interpreter for the screening or the rights briefing, or move the booking on",
          body=InterpreterBody, response=InterpreterView, errors=WRITE)
def set_interpreter(ctx: Ctx, plan_id: str, occasion: str):
    return ctx.rpc("shelter", "set_interpreter", plan_id=_plan(plan_id), occasion=occasion,
                   language=ctx.data["language"], status=ctx.data["status"])


@endpoint("POST", "/shelter/plans/<plan_id>/milestones/<milestone>/done", roles=CARE_ROLES,
          summary="Mark the legal rights briefing or the plan agreed as done",
          response=MilestoneView, errors=WRITE)
def complete_milestone(ctx: Ctx, plan_id: str, milestone: str):
    return ctx.rpc("shelter", "complete_milestone", plan_id=_plan(plan_id), milestone=milestone)


@endpoint("GET", "/shelter/milestones", roles=CARE_ROLES,
          summary="First-week milestones of open plans by state, per facility and case manager",
          query=MilestonesQuery, response=MilestoneList, errors=FILTERED)
def list_milestones(ctx: Ctx):
    q = ctx.query
    return ctx.rpc("shelter", "list_milestones", state=q.get("state"), facility=q.get("facility"),
                   case_manager=q.get("case_manager"))


# --- follow-up after discharge ------------------------------------------------------------------

@endpoint("GET", "/shelter/follow-ups", roles=CARE_ROLES,
          summary="Follow-up contacts after discharge of the caller's provider, overdue first",
          query=FollowUpsQuery, response=FollowUpList, errors=FILTERED)
def list_follow_ups(ctx: Ctx):
    return ctx.rpc("shelter", "list_follow_ups", state=ctx.query["state"], mine=ctx.query["mine"])


@endpoint("POST", "/shelter/follow-ups/<follow_up_id>", roles=CARE_ROLES,
          summary="Record a follow-up contact once: its outcome code and the day it was made",
          body=FollowUpBody, response=FollowUpView, errors=WRITE)
def record_follow_up(ctx: Ctx, follow_up_id: str):
    return ctx.rpc("shelter", "record_follow_up",
                   follow_up_id=numeric_id(follow_up_id, "follow_up"),
                   outcome=ctx.data["outcome"], contacted_on=iso(ctx.data["contacted_on"]))
