"""Referrals: submit (the police), list, status and timeline, the file as submitted, the
shelter's decision and the police's withdrawal. The referral's status as a FHIR Task is in
``fhir.py``."""

import re

from flask import g, url_for
from marshmallow import Schema, fields, validate

from services.contracts.decisions import DECISIONS, decision_reason_problem
from services.contracts.submission import ReferralSubmissionSchema
from services.contracts.vocabulary import (BEST_INTERESTS_OUTCOMES, DECLINE_REASONS,
                                           GUARDIAN_RELATIONSHIPS, REFER_ON_REASONS,
                                           REFERRAL_STATUSES, SCREENING_REASONS,
                                           WITHDRAWAL_REASONS)

from ..directory import addressee_problem, name_in, request_language
from ..errors import InputError
from ..idempotency import KeyReused
from ..kept import KeptAnswer
from .declare import FILTERED, INPUT, ONE, TOO_LARGE, WRITE, Answer, Ctx, endpoint
from .shapes import Attachment, Strict, answer, integers, strings

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
# who may read a referral's status, and so its FHIR Task (the referral service then applies the
# object rule: own agency, consent); every other role gets 403 here
STATUS_ROLES = ("police", "shelter", "legal")


# --- schemas ---------------------------------------------------------------------------------------

REFER_ON = "refer_on"  # the holder passes the referral to another provider (decision 0039)


class DecisionSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf([*DECISIONS, REFER_ON]),
                             metadata={"description": "accept, decline, or refer_on (to another "
                                                      "provider: `to` and `reason`, a code)."})
    to = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "refer_on only: the agency id of an active shelter provider, not the "
                       "caller's own."})
    reason_code = fields.String(validate=validate.OneOf(DECLINE_REASONS), metadata={
        "description": "Required to decline (and only then): why, as a code. The code is what "
                       "the police's timeline and the FHIR Task show."})
    reason = fields.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "accept or decline: the staff's own note, kept by the shelter service, "
                       "never shared. refer_on: why, a code of " + ", ".join(REFER_ON_REASONS)
                       + " (shown on the police's timeline)."})


class StartScreeningSchema(Strict):
    reason_code = fields.String(required=True, validate=validate.OneOf(SCREENING_REASONS), metadata={
        "description": "What must be assessed before the decision, as a code: shown on the "
                       "police's timeline."})


class BestInterestsBody(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(BEST_INTERESTS_OUTCOMES), metadata={
        "description": "The determination's outcome: only placement_recommended lets the "
                       "minor's referral be accepted."})
    assessed_on = fields.Date(metadata={"description": "The day it was made (today by default)."})


class GuardianBody(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The guardian's name (encrypted at rest, read with the file)"})
    relationship = fields.String(required=True, validate=validate.OneOf(GUARDIAN_RELATIONSHIPS))


class UnplacedQuery(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=validate.Length(max=40))


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
    held_by=fields.String(allow_none=True, metadata={
        "description": "The agency id of the shelter provider that holds the referral"}),
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
                      children_count=fields.Integer(),
                      guardian=fields.Nested(answer(
                          "FileGuardian", name=fields.String(allow_none=True),
                          **strings("relationship recorded_by recorded_at")), allow_none=True,
                          metadata={"description": "A minor survivor's guardian (null: none "
                                                   "recorded); the name is null once anonymised"}),
                      attachments=fields.List(fields.Nested(Attachment), metadata={
                          "description": "The file's documents (identity scans), without their "
                                         "content: GET .../attachments/{attachment_id}"}))


class Placement(Schema):
    state = fields.String(metadata={"description": "held or waitlisted"})
    facility = fields.String()
    population_group = fields.String()
    beds = fields.Integer()
    hold_expires_at = fields.String()
    reason = fields.String()


UnplacedItem = answer("UnplacedItem", strings("reference status unplaced_since"),
                      last_holder=fields.String(allow_none=True))
UnplacedList = answer("UnplacedList", items=fields.List(fields.Nested(UnplacedItem)),
                      next_cursor=fields.String(allow_none=True))
DecisionResult = answer(
    "DecisionResult", strings("reference status decided_at"),
    held_by=fields.String(metadata={"description": "Who holds the referral now (after a "
                                                   "refer_on or a decline: the next provider)"}),
    placement=fields.Nested(Placement, metadata={
        "description": "After an accept: the hold, or the waitlist entry."}))
WithdrawResult = answer("WithdrawResult", strings("reference status withdrawn_at"))
Guardian = answer("Guardian", strings("reference name relationship recorded_by recorded_at"))
BestInterests = answer("BestInterests", strings("reference outcome assessed_by assessed_on recorded_at"))
ScreeningStarted = answer("ScreeningStarted", strings("reference status reason_code started_at held_by"))


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
    g.setdefault("access_fields", {})["reference"] = reference  # the request's access line
    status_url = url_for("api.referral_status", reference=reference)
    return Answer({"reference": reference, "status": "submitted", "status_url": status_url},
                  headers={"Location": status_url})


@endpoint("GET", "/referrals", roles=STATUS_ROLES,
          summary="List the caller's referrals, newest first (cursor pagination)",
          query=ReferralListQuery, response=ReferralList)
def list_referrals(ctx: Ctx):
    return ctx.rpc("referral", "list_referrals", **ctx.query)


@endpoint("GET", "/referrals/unplaced", roles=("admin",),
          summary="Referrals no provider was left for, flagged to the admins (no personal data)",
          query=UnplacedQuery, response=UnplacedList, errors=FILTERED)
def unplaced_referrals(ctx: Ctx):
    return ctx.rpc("referral", "list_unplaced", **ctx.query)


@endpoint("GET", "/referrals/<reference>/status", roles=STATUS_ROLES,
          summary="Current status and timeline of a referral", response=ReferralStatus, errors=ONE)
def referral_status(ctx: Ctx, reference: str):
    # police and legal answers may come from this worker's copy (gateway/statuscopy.py), so
    # the answer is read, never changed: the directory's names go into a new one, which the
    # copy keeps beside it per language (written and encoded once while the copy lasts)
    kept = ctx.extensions["refnet.statuscopy"].get(
        reference, ctx.identity.role, ctx.identity.agency,
        lambda: ctx.rpc("referral", "get_status", reference=reference))
    language = request_language()
    if isinstance(kept, KeptAnswer):
        return kept.form(language, lambda: KeptAnswer(_presented(kept, language)))
    return _presented(kept or {}, language)


def _presented(kept: dict, language: str) -> dict:
    """The status answer as the API gives it: the agencies' names in ``language``, without the
    copy's own ``valid_until``."""
    answer = {key: value for key, value in kept.items() if key != "valid_until"}
    if "timeline" in answer:
        answer["timeline"] = [_named(entry, language) for entry in answer["timeline"] or ()]
    return answer


def _named(entry: dict, language: str) -> dict:
    """A timeline entry with the directory's name of its agency beside the id."""
    if "agency_names" not in entry:
        return entry
    named = {key: value for key, value in entry.items() if key != "agency_names"}
    named["agency_name"] = name_in({"names": entry["agency_names"]}, language, entry["agency"])
    return named


@endpoint("GET", "/referrals/<reference>", roles=("shelter",),
          summary="The referral file as submitted (shelter staff with the survivor's consent to "
                  "share it with their agency; else the status-level summary)",
          response=ReferralFile,
          errors=ONE)
def referral_file(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "get_file", reference=reference)


def _refer_on_names_a_provider_and_a_code(data: dict) -> None:
    """A refer-on names the provider (``to``) and why (``reason``, a code), and takes no
    decline code; whether ``to`` is an active provider other than the caller's is the shelter
    service's check (its copy of the providers), answered 422 naming ``to``."""
    problems = []
    if not data.get("to"):
        problems.append({"field": "to", "message": "Required to refer on."})
    if data.get("reason") not in REFER_ON_REASONS:
        problems.append({"field": "reason",
                         "message": f"must be one of {', '.join(REFER_ON_REASONS)}"})
    if data.get("reason_code") is not None:
        problems.append({"field": "reason_code", "message": "Only a decline takes a reason code."})
    if problems:
        raise InputError(problems[0]["message"], problems[0]["field"], problems)


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
          summary="Accept, decline or refer on a received referral your provider holds",
          body=DecisionSchema, response=DecisionResult, errors=WRITE, changes_beds=True)
def decide(ctx: Ctx, reference: str):
    if ctx.data["decision"] == REFER_ON:
        _refer_on_names_a_provider_and_a_code(ctx.data)
        return ctx.rpc("shelter", "decide", reference=reference, decision=REFER_ON,
                       to=ctx.data["to"], reason_code=ctx.data["reason"],
                       correlation_id=ctx.correlation_id)
    if ctx.data.get("to") is not None:
        raise InputError("Only a refer_on names a provider.", "to",
                         [{"field": "to", "message": "Only a refer_on names a provider."}])
    _decline_needs_reason_code(ctx.data)
    return ctx.rpc("shelter", "decide", reference=reference, decision=ctx.data["decision"],
                   reason_code=ctx.data.get("reason_code"), reason=ctx.data.get("reason"),
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/referrals/<reference>/screening", roles=("shelter",),
          summary="Start screening a received referral your provider holds, before deciding",
          body=StartScreeningSchema, response=ScreeningStarted, errors=WRITE)
def start_screening(ctx: Ctx, reference: str):
    return ctx.rpc("shelter", "start_screening", reference=reference,
                   reason_code=ctx.data["reason_code"], correlation_id=ctx.correlation_id)


@endpoint("PUT", "/referrals/<reference>/guardian", roles=("shelter",),
          summary="Record the guardian of a minor survivor",
          body=GuardianBody, response=Guardian, errors=WRITE)
def set_guardian(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "set_guardian", reference=reference, name=ctx.data["name"],
                   relationship=ctx.data["relationship"])


@endpoint("POST", "/referrals/<reference>/best-interests", roles=("shelter",),
          summary="Record a minor survivor's best-interests determination before the placement decision",
          body=BestInterestsBody, response=BestInterests, errors=WRITE)
def record_best_interests(ctx: Ctx, reference: str):
    day = ctx.data.get("assessed_on")
    return ctx.rpc("shelter", "record_best_interests", reference=reference,
                   outcome=ctx.data["outcome"], assessed_on=day.isoformat() if day else None)


@endpoint("POST", "/referrals/<reference>/withdraw", roles=("police",),
          summary="Withdraw a referral the caller's agency submitted", body=WithdrawSchema,
          response=WithdrawResult, errors=WRITE, changes_beds=True, changes_status=True)
def withdraw(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "withdraw", reference=reference,
                   reason_code=ctx.data["reason_code"], reason=ctx.data.get("reason"),
                   correlation_id=ctx.correlation_id)
