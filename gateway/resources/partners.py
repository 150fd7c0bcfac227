"""Partner referrals (docs/decisions/0040): a care-plan item referred to a partner agency by the
provider's staff, and the partner's own view: what was referred to their agency, with status,
codes and dates only (no plan, no note, no file), and their answers. The shelter service checks
the roles and the agency again."""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.contracts.identities import AGENCY
from services.contracts.vocabulary import (PARTNER_DECLINE_REASONS, PARTNER_OUTCOMES,
                                           PARTNER_REFERRAL_STATUSES, PARTNER_SERVICES,
                                           ROLE_AGENCY_KINDS)

from ..directory import require_kind

from .care import CARE_ROLES, PlanItemView, _plan
from .declare import FILTERED, WRITE, Ctx, endpoint
from .shapes import Strict, answer, numeric_id, strings

PARTNER_ROLES = ("partner",)   # staff of a partner agency: these endpoints only
ANSWERS = tuple(s for s in PARTNER_REFERRAL_STATUSES if s != "sent")


# --- schemas ---------------------------------------------------------------------------------------

class PartnerReferralBody(Strict):
    partner_agency = fields.String(required=True, validate=validate.Regexp(
        "^" + AGENCY.pattern + "$", error="Not an agency id."), metadata={
            "description": "The partner agency's id in the directory"})
    service = fields.String(required=True, validate=validate.OneOf(PARTNER_SERVICES))


class PartnerReferralsQuery(Strict):
    status = fields.String(validate=validate.OneOf(PARTNER_REFERRAL_STATUSES))


class PartnerAnswerBody(Strict):
    status = fields.String(required=True, validate=validate.OneOf(ANSWERS), metadata={
        "description": "accepted; declined (with reason_code); done (with outcome_code, once "
                       "accepted)"})
    reason_code = fields.String(validate=validate.OneOf(PARTNER_DECLINE_REASONS))
    outcome_code = fields.String(validate=validate.OneOf(PARTNER_OUTCOMES))

    @validates_schema
    def _codes(self, data, **_):
        status = data.get("status")
        if (status == "declined") != ("reason_code" in data):
            raise ValidationError("a decline, and only a decline, takes a reason_code",
                                  field_name="reason_code")
        if (status == "done") != ("outcome_code" in data):
            raise ValidationError("done, and only done, takes an outcome_code",
                                  field_name="outcome_code")


PartnerReferral = answer(
    "PartnerReferral",
    strings("partner_referral_id reference agency partner_agency service status sent_at updated_at"),
    **strings("reason_code outcome_code", allow_none=True))


# --- views -----------------------------------------------------------------------------------------

@endpoint("POST", "/shelter/plans/<plan_id>/items/<item_id>/partner-referral", roles=CARE_ROLES,
          summary="Refer a plan item to a partner agency (status comes back: sent, accepted, "
                  "declined with a code, done with an outcome code)",
          body=PartnerReferralBody, response=PlanItemView, status=201, errors=WRITE)
def refer_plan_item_to_partner(ctx: Ctx, plan_id: str, item_id: str):
    d = ctx.data
    require_kind(ctx.extensions["refnet.directory"], d["partner_agency"],
                 ROLE_AGENCY_KINDS["partner"], "partner_agency")
    return ctx.rpc("shelter", "refer_plan_item_to_partner", plan_id=_plan(plan_id),
                   item_id=numeric_id(item_id, "item"), partner_agency=d["partner_agency"],
                   service_code=d["service"], correlation_id=ctx.correlation_id)


@endpoint("GET", "/partner-referrals", roles=PARTNER_ROLES,
          summary="What was referred to your partner agency: reference, service, status, dates "
                  "(no file, no notes)",
          query=PartnerReferralsQuery, response=PartnerReferral, many=True, errors=FILTERED)
def list_partner_referrals(ctx: Ctx):
    return ctx.rpc("shelter", "list_partner_referrals", status=ctx.query.get("status"))


@endpoint("POST", "/partner-referrals/<partner_referral_id>/status", roles=PARTNER_ROLES,
          summary="Accept, decline (a reason code) or complete (an outcome code) a referral to "
                  "your agency",
          body=PartnerAnswerBody, response=PartnerReferral, errors=WRITE)
def answer_partner_referral(ctx: Ctx, partner_referral_id: str):
    d = ctx.data
    return ctx.rpc("shelter", "answer_partner_referral",
                   partner_referral_id=partner_referral_id, status=d["status"],
                   reason_code=d.get("reason_code"), outcome_code=d.get("outcome_code"),
                   correlation_id=ctx.correlation_id)
