"""A shelter's residents: incoming referrals awaiting a decision, admission and discharge, and
the waitlist that freed beds are offered to."""

from marshmallow import fields, validate

from services.contracts.vocabulary import DISCHARGE_OUTCOMES, POPULATION_GROUPS

from .declare import FILTERED, WRITE, Ctx, endpoint
from .shapes import Strict, answer, integers, numeric_id, reference_field, staff_id, strings

INCOMING_STATUSES = ("received", "screening", "accepted", "declined", "withdrawn", "closed", "all")


# --- schemas ---------------------------------------------------------------------------------------

class IncomingQuery(Strict):
    status = fields.String(load_default="received", validate=validate.OneOf(INCOMING_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(validate=validate.Length(max=200), metadata={
        "description": "The next_cursor of the page before."})


class AdmissionSchema(Strict):
    reference = reference_field(required=True)
    case_manager = staff_id(required=True,
                            metadata={"description": "The case manager's staff user id (not a name)."})


class DischargeSchema(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(DISCHARGE_OUTCOMES))


class TransferSchema(Strict):
    to_facility = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                metadata={"description": "Another provider's facility with beds "
                                                         "of the resident's population group."})
    case_manager = staff_id(required=True, metadata={
        "description": "The receiving provider's case manager (staff user id)."})


class WaitlistQuery(Strict):
    population_group = fields.String(validate=validate.OneOf(POPULATION_GROUPS))


class ReorderSchema(Strict):
    priority = fields.Integer(required=True, strict=True, validate=validate.Range(min=-100, max=100),
                              metadata={"description": "Higher goes first; 0 is the default order "
                                                       "(urgency, then longest wait)."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


IncomingReferral = answer("IncomingReferral", strings("reference population_group urgency"),
                          needs=fields.List(fields.String()),
                          **integers("children_count beds_needed"),
                          **strings("referring_agency status received_at"),
                          **strings("decided_at decision_reason_code decision_reason", allow_none=True),
                          **strings("held_by offered_at answer_due_at", allow_none=True),
                          service_languages=fields.List(fields.String()),
                          survivor_minor=fields.Boolean(allow_none=True, metadata={
                              "description": "The survivor is a minor: accepting waits for a "
                                             "best-interests determination (null: not known)"}))
IncomingPage = answer("IncomingPage", items=fields.List(fields.Nested(IncomingReferral)),
                      next_cursor=fields.String(allow_none=True))
AdmissionResult = answer(
    "AdmissionResult", integers("admission_id"), strings("reference facility population_group"),
    integers("beds"), strings("case_manager admitted_at state"),
    plan_id=fields.Integer(metadata={"description": "The care plan opened with the admission."}))
DischargeResult = answer(
    "DischargeResult", integers("admission_id"), strings("reference facility population_group"),
    integers("beds"), strings("outcome discharged_at state"),
    offered_to=fields.List(fields.String(), metadata={
        "description": "Waitlisted references the freed beds were offered to."}),
    follow_up=fields.List(fields.Dict(), metadata={
        "description": "The follow-up contacts scheduled ({months, due_on}); none for a "
                       "resident discharged as transferred (GET /shelter/follow-ups)."}))
TransferResult = answer(
    "TransferResult", strings("reference from_facility to_facility from_provider to_provider"),
    integers("admission_id beds plan_id"), strings("population_group case_manager transferred_at"),
    care_plan_shared=fields.Boolean(metadata={
        "description": "Whether the care plan went along (the survivor consented to share with "
                       "the receiving provider); otherwise a new plan opened there."}),
    offered_to=fields.List(fields.String(), metadata={
        "description": "Waitlisted references the freed beds were offered to."}))
WaitlistEntry = answer("WaitlistEntry", strings("reference population_group"),
                       integers("position beds"), strings("urgency waitlisted_at"),
                       integers("priority"),
                       strings("priority_reason priority_set_by priority_set_at", allow_none=True))


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/shelter/incoming", roles=("shelter",),
          summary="The referrals your provider holds, most urgent then newest first (cursor "
                  "pagination)", query=IncomingQuery, response=IncomingPage, errors=FILTERED)
def incoming(ctx: Ctx):
    status = ctx.query["status"]
    return ctx.rpc("shelter", "list_incoming", status=None if status == "all" else status,
                   limit=ctx.query["limit"], cursor=ctx.query.get("cursor"))


@endpoint("POST", "/shelters/<facility>/admissions", roles=("shelter",),
          summary="Admit an accepted referral (its hold becomes occupancy, or a free bed is taken)",
          body=AdmissionSchema, response=AdmissionResult, status=201, errors=WRITE,
          changes_beds=True)
def admit(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "admit", facility=facility, reference=ctx.data["reference"],
                   case_manager=ctx.data["case_manager"], correlation_id=ctx.correlation_id)


@endpoint("POST", "/shelters/<facility>/admissions/<admission_id>/discharge", roles=("shelter",),
          summary="Discharge a resident with an outcome; the beds go to the waitlist",
          body=DischargeSchema, response=DischargeResult, errors=WRITE, changes_beds=True)
def discharge(ctx: Ctx, facility: str, admission_id: str):
    return ctx.rpc("shelter", "discharge", facility=facility,
                   admission_id=numeric_id(admission_id, "admission"),
                   outcome=ctx.data["outcome"], correlation_id=ctx.correlation_id)


@endpoint("POST", "/residents/<reference>/transfer", roles=("shelter", "admin"),
          summary="Move an admitted resident to another provider's facility (beds freed and "
                  "taken in one step; the care plan goes along only with her consent)",
          body=TransferSchema, response=TransferResult, errors=WRITE, changes_beds=True)
def transfer_resident(ctx: Ctx, reference: str):
    return ctx.rpc("shelter", "transfer_resident", reference=reference,
                   to_facility=ctx.data["to_facility"], case_manager=ctx.data["case_manager"],
                   correlation_id=ctx.correlation_id)


@endpoint("GET", "/shelter/waitlist", roles=("shelter",),
          summary="The waitlist per group, in the order freed beds are offered",
          query=WaitlistQuery, response=WaitlistEntry, many=True, errors=FILTERED)
def waitlist(ctx: Ctx):
    return ctx.rpc("shelter", "waitlist", population_group=ctx.query.get("population_group"))


@endpoint("PUT", "/shelter/waitlist/<reference>/priority", roles=("shelter",),
          summary="Move a waitlisted referral up or down, with a recorded reason",
          body=ReorderSchema, response=WaitlistEntry, errors=WRITE - {409})
def reorder_waitlist(ctx: Ctx, reference: str):
    return ctx.rpc("shelter", "reorder_waitlist", reference=reference,
                   priority=ctx.data["priority"], reason=ctx.data["reason"])
