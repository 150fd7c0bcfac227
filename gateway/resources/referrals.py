"""Referrals: submit (the police), list, status and timeline, the file as submitted, the
shelter's decision and the police's withdrawal. The referral's status as a FHIR Task is in
``fhir.py``."""

import re

from flask import url_for
from marshmallow import Schema, fields, validate

from services.contracts.decisions import DECISIONS, decision_reason_problem
from services.contracts.submission import ReferralSubmissionSchema
from services.contracts.vocabulary import DECLINE_REASONS, REFERRAL_STATUSES, WITHDRAWAL_REASONS

from ..directory import addressee_problem, name_in, request_language
from ..errors import InputError
from ..idempotency import KeyReused
from .declare import INPUT, ONE, TOO_LARGE, WRITE, Answer, Ctx, endpoint
from .shapes import Strict, answer, integers, strings

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
# who may read a referral's status, and so its FHIR Task (the referral service then applies the
# object rule: own agency, consent); every other role gets 403 here
STATUS_ROLES = ("police", "shelter", "legal")


# --- schemas ---------------------------------------------------------------------------------------

class DecisionSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(list(DECISIONS)))
    reason_code = fields.String(validate=validate.OneOf(DECLINE_REASONS), metadata={
        "description": "Required to decline (and only then): why, as a code. The code is what "
                       "the police's timeline and the FHIR Task show."})
    reason = fields.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "The staff's own note; kept by the shelter service, never shared."})


class WithdrawSchema(Strict):
    reason_code = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_REASONS),
                                metadata={"description": "Why, as a code: shown on the "
                                                         "timeline and the FHIR Task."})
    reason = fields.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "The police's own note; kept on the referral's record, never shared."})


class ReferralListQuery(Strict):
    status = fields.String(validate=validate.OneOf(REFERRAL_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=validate.Length(max=40))


SubmissionAccepted = answer("SubmissionAccepted", strings("reference status status_url"))
TimelineEntry = answer(
    "TimelineEntry", strings("at agency status note"),
    agency_name=fields.String(metadata={"description": "The agency's name in the directory, in "
                                                       "the request's language (else English)"}),
    reason_code=fields.String(metadata={"description": "On a decline or withdrawal: why, as a "
                                                       "code (unknown before codes were kept)"}),
    kind=fields.String(metadata={"description": "legal for court status and hearing entries; "
                                                 "partner for a care-plan item referred to a "
                                                 "partner agency (the provider's staff only)"}),
    partner_agency=fields.String(metadata={"description": "On a partner entry: the partner agency"}),
    hearing_at=fields.String(metadata={"description": "UTC start of a scheduled hearing"}))
ReferralStatus = answer(
    "ReferralStatus", strings("reference status"),
    timeline=fields.List(fields.Nested(TimelineEntry)),
    legal=fields.Dict(metadata={"description": "Court status and hearings, for the agencies "
                                               "allowed to see them"}))
ReferralListItem = answer("ReferralListItem", strings(
    "reference status urgency population_group submitted_at updated_at"))
ReferralList = answer("ReferralList", items=fields.List(fields.Nested(ReferralListItem)),
                      next_cursor=fields.String(allow_none=True))
ReferralFile = answer("ReferralFile",
                      strings("reference status referring_agency submitted_at population_group"),
                      integers("beds_needed"),
                      submission=fields.Dict(allow_none=True, metadata={
                          "description": "The submission as sent; null once anonymised."}),
                      anonymised=fields.Boolean(metadata={
                          "description": "True once retention removed the file's personal data."}),
                      file_shared=fields.Boolean(metadata={
                          "description": "False: the survivor did not consent to share the file "
                                         "with your agency; the answer is the status-level "
                                         "summary (no submission)"}),
                      urgency=fields.String(), needs=fields.List(fields.String()),
                      service_languages=fields.List(fields.String()),
                      children_count=fields.Integer())


class Placement(Schema):
    state = fields.String(metadata={"description": "held or waitlisted"})
    facility = fields.String()
    population_group = fields.String()
    beds = fields.Integer()
    hold_expires_at = fields.String()
    reason = fields.String()


DecisionResult = answer(
    "DecisionResult", strings("reference status decided_at"),
    placement=fields.Nested(Placement, metadata={
        "description": "After an accept: the hold, or the waitlist entry."}))
WithdrawResult = answer("WithdrawResult", strings("reference status withdrawn_at"))


# --- views -----------------------------------------------------------------------------------------

@endpoint("POST", "/referrals", roles=("police",),
          summary="Submit a referral (durable hand-off; answers 202 with the reference)",
          body=ReferralSubmissionSchema, response=SubmissionAccepted, status=202,
          errors=INPUT | TOO_LARGE, headers=("Idempotency-Key",))
def submit_referral(ctx: Ctx):
    key = ctx.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise InputError("Idempotency-Key must be 1 to 200 visible ASCII characters",
                         "Idempotency-Key", status=400, code="invalid-header",
                         title="Invalid header")
    addressed_to = ctx.data.get("addressed_to")
    if addressed_to is not None:  # a provider of the directory, active (absent: the network)
        problem = addressee_problem(ctx.extensions["refnet.directory"], addressed_to)
        if problem:
            raise InputError(problem, "addressed_to", [{"field": "addressed_to", "message": problem}])
    intake = ctx.extensions["refnet.intake"]
    reference = intake.reference(ctx.identity.agency, key)
    if key is not None:
        try:
            ctx.extensions["refnet.idempotency"].claim(reference, ctx.raw)
        except KeyReused:
            raise InputError("This Idempotency-Key came with a different body before; the first "
                             "submission stands. Send a new referral with a new key.",
                             "Idempotency-Key", status=422, code="idempotency-key-reused",
                             title="Idempotency key reused") from None
    intake.submit(ctx.raw, reference=reference, agency=ctx.identity.agency,
                  user=ctx.identity.user, correlation_id=ctx.correlation_id)
    status_url = url_for("api.referral_status", reference=reference)
    return Answer({"reference": reference, "status": "submitted", "status_url": status_url},
                  headers={"Location": status_url})


@endpoint("GET", "/referrals", roles=STATUS_ROLES,
          summary="List the caller's referrals, newest first (cursor pagination)",
          query=ReferralListQuery, response=ReferralList)
def list_referrals(ctx: Ctx):
    return ctx.rpc("referral", "list_referrals", **ctx.query)


@endpoint("GET", "/referrals/<reference>/status", roles=STATUS_ROLES,
          summary="Current status and timeline of a referral", response=ReferralStatus, errors=ONE)
def referral_status(ctx: Ctx, reference: str):
    answer = ctx.rpc("referral", "get_status", reference=reference)
    language = request_language()
    for entry in (answer or {}).get("timeline") or ():  # the directory's name beside the id
        if "agency_names" in entry:
            entry["agency_name"] = name_in({"names": entry.pop("agency_names")}, language,
                                           entry["agency"])
    return answer


@endpoint("GET", "/referrals/<reference>", roles=("shelter",),
          summary="The referral file as submitted (shelter staff with the survivor's consent to "
                  "share it with their agency; else the status-level summary)",
          response=ReferralFile,
          errors=ONE)
def referral_file(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "get_file", reference=reference)


def _decline_needs_reason_code(data: dict) -> None:
    """The decision contract's rule (services/contracts/decisions.py), checked before any call:
    a decline needs a reason code, an accept takes none; a refused decision makes no service
    call at all. A note alone (the API before codes) is refused the same way."""
    problem = decision_reason_problem(data["decision"], data.get("reason_code"))
    if problem:
        raise InputError("A decline needs a reason code." if problem.startswith("Required")
                         else problem, "reason_code",
                         [{"field": "reason_code", "message": problem}])


@endpoint("POST", "/referrals/<reference>/decision", roles=("shelter",),
          summary="Accept or decline a received referral", body=DecisionSchema,
          response=DecisionResult, errors=WRITE, changes_beds=True)
def decide(ctx: Ctx, reference: str):
    _decline_needs_reason_code(ctx.data)
    return ctx.rpc("shelter", "decide", reference=reference, decision=ctx.data["decision"],
                   reason_code=ctx.data.get("reason_code"), reason=ctx.data.get("reason"),
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/referrals/<reference>/withdraw", roles=("police",),
          summary="Withdraw a referral the caller's agency submitted", body=WithdrawSchema,
          response=WithdrawResult, errors=WRITE, changes_beds=True)
def withdraw(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "withdraw", reference=reference,
                   reason_code=ctx.data["reason_code"], reason=ctx.data.get("reason"),
                   correlation_id=ctx.correlation_id)
