"""HTTP request and response schemas of the gateway (the police submission's schema is the
shared contract in services.contracts.submission). OpenAPI is generated from these."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.contracts.vocabulary import DISCHARGE_OUTCOMES, POPULATION_GROUPS, REFERRAL_STATUSES


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class DecisionSchema(_Strict):
    decision = fields.String(required=True, validate=validate.OneOf(["accept", "decline"]))
    reason = fields.String(validate=validate.Length(min=1, max=500),
                           metadata={"description": "Required to decline; shown on the timeline."})


class WithdrawSchema(_Strict):
    reason = fields.String(validate=validate.Length(min=1, max=500))


class CapacitySchema(_Strict):
    population_group = fields.String(required=True, validate=validate.OneOf(POPULATION_GROUPS))
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000))
    reason = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "Why (kept in the capacity history)."})


class OutOfServiceSchema(_Strict):
    population_group = fields.String(required=True, validate=validate.OneOf(POPULATION_GROUPS))
    beds = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000),
                          metadata={"description": "Beds of the group out of service now (0 returns all)."})
    reason = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "Required when beds > 0, e.g. 'water damage'."})
    expected_return = fields.Date(metadata={"description": "Required when beds > 0."})


STAFF_ID = r"^[A-Za-z0-9._@-]{1,100}$"


class AdmissionSchema(_Strict):
    reference = fields.String(required=True, validate=validate.Regexp(r"^RN-[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$"))
    case_manager = fields.String(required=True, validate=validate.Regexp(STAFF_ID),
                                 metadata={"description": "The case manager's staff user id (not a name)."})


class DischargeSchema(_Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(DISCHARGE_OUTCOMES))


class WaitlistQuery(_Strict):
    population_group = fields.String(validate=validate.OneOf(POPULATION_GROUPS))


class ReorderSchema(_Strict):
    priority = fields.Integer(required=True, strict=True, validate=validate.Range(min=-100, max=100),
                              metadata={"description": "Higher goes first; 0 is the default order "
                                                       "(urgency, then longest wait)."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CensusQuery(_Strict):
    date = fields.Date(metadata={"description": "YYYY-MM-DD (UTC); today when absent."})


class ReferralListQuery(_Strict):
    status = fields.String(validate=validate.OneOf(REFERRAL_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=validate.Length(max=40))


class IncomingQuery(_Strict):
    status = fields.String(load_default="received",
                           validate=validate.OneOf(["received", "accepted", "declined", "withdrawn", "all"]))


class SubmissionAccepted(Schema):
    reference = fields.String()
    status = fields.String()
    status_url = fields.String()


class TimelineEntry(Schema):
    at = fields.String()
    agency = fields.String()
    status = fields.String()
    note = fields.String()
    kind = fields.String(metadata={"description": "legal for court status and hearing entries"})
    hearing_at = fields.String(metadata={"description": "UTC start of a scheduled hearing"})


class ReferralStatus(Schema):
    reference = fields.String()
    status = fields.String()
    timeline = fields.List(fields.Nested(TimelineEntry))
    legal = fields.Dict(metadata={"description": "Court status and hearings, for the agencies "
                                                 "allowed to see them"})


class ReferralListItem(Schema):
    reference = fields.String()
    status = fields.String()
    urgency = fields.String()
    population_group = fields.String()
    submitted_at = fields.String()
    updated_at = fields.String()


class ReferralList(Schema):
    items = fields.List(fields.Nested(ReferralListItem))
    next_cursor = fields.String(allow_none=True)


class ReferralFile(Schema):
    reference = fields.String()
    status = fields.String()
    referring_agency = fields.String()
    submitted_at = fields.String()
    population_group = fields.String()
    beds_needed = fields.Integer()
    submission = fields.Dict()


class Placement(Schema):
    state = fields.String(metadata={"description": "held or waitlisted"})
    facility = fields.String()
    population_group = fields.String()
    beds = fields.Integer()
    hold_expires_at = fields.String()
    reason = fields.String()


class DecisionResult(Schema):
    reference = fields.String()
    status = fields.String()
    decided_at = fields.String()
    placement = fields.Nested(Placement, metadata={"description": "After an accept: the hold, or the waitlist entry."})


class WithdrawResult(Schema):
    reference = fields.String()
    status = fields.String()
    withdrawn_at = fields.String()


class IncomingReferral(Schema):
    reference = fields.String()
    population_group = fields.String()
    urgency = fields.String()
    needs = fields.List(fields.String())
    children_count = fields.Integer()
    beds_needed = fields.Integer()
    referring_agency = fields.String()
    status = fields.String()
    received_at = fields.String()
    decided_at = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)


class BedCount(Schema):
    facility = fields.String()
    facility_name = fields.String()
    population_group = fields.String()
    capacity = fields.Integer()
    out_of_service = fields.Integer()
    occupied = fields.Integer()
    held = fields.Integer()
    available = fields.Integer(metadata={"description": "capacity - out_of_service - occupied - held"})
    updated_at = fields.String()


class Place(Schema):
    reference = fields.String()
    state = fields.String()
    population_group = fields.String()
    beds = fields.Integer()
    admission_id = fields.Integer(allow_none=True)
    case_manager = fields.String(allow_none=True)
    held_at = fields.String(allow_none=True)
    hold_expires_at = fields.String(allow_none=True)
    admitted_at = fields.String(allow_none=True)
    discharged_at = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)


class BoardGroup(BedCount):
    out_of_service_reason = fields.String(allow_none=True)
    out_of_service_until = fields.String(allow_none=True)
    places = fields.List(fields.Nested(Place))


class BedBoard(Schema):
    facility = fields.String()
    facility_name = fields.String()
    groups = fields.List(fields.Nested(BoardGroup))


class CensusCount(Schema):
    residents = fields.Integer()
    beds_occupied = fields.Integer()


class DailyCensus(Schema):
    facility = fields.String()
    facility_name = fields.String()
    date = fields.String()
    arrivals = fields.List(fields.Nested(Place))
    expected_arrivals = fields.List(fields.Nested(Place))
    departures = fields.List(fields.Nested(Place))
    census = fields.Dict(keys=fields.String(), values=fields.Nested(CensusCount))


class AdmissionResult(Schema):
    admission_id = fields.Integer()
    reference = fields.String()
    facility = fields.String()
    population_group = fields.String()
    beds = fields.Integer()
    case_manager = fields.String()
    admitted_at = fields.String()
    state = fields.String()
    plan_id = fields.Integer(metadata={"description": "The care plan opened with the admission."})


class DischargeResult(Schema):
    admission_id = fields.Integer()
    reference = fields.String()
    facility = fields.String()
    population_group = fields.String()
    beds = fields.Integer()
    outcome = fields.String()
    discharged_at = fields.String()
    state = fields.String()
    offered_to = fields.List(fields.String(), metadata={"description": "Waitlisted references the freed beds were offered to."})


class WaitlistEntry(Schema):
    reference = fields.String()
    population_group = fields.String()
    position = fields.Integer()
    beds = fields.Integer()
    urgency = fields.String()
    waitlisted_at = fields.String()
    priority = fields.Integer()
    priority_reason = fields.String(allow_none=True)
    priority_set_by = fields.String(allow_none=True)
    priority_set_at = fields.String(allow_none=True)


class CapacityChange(Schema):
    population_group = fields.String()
    change = fields.String()
    capacity = fields.Integer()
    out_of_service = fields.Integer()
    occupied = fields.Integer()
    held = fields.Integer()
    reason = fields.String(allow_none=True)
    changed_by = fields.String()
    changed_at = fields.String()


class HsdsUnit(Schema):
    id = fields.String()
    name = fields.String()
    identifier = fields.String()


class HsdsCapacity(Schema):
    id = fields.String()
    unit = fields.Nested(HsdsUnit)
    available = fields.Integer()
    maximum = fields.Integer()
    description = fields.String()
    updated = fields.String()


class HsdsService(Schema):
    """An Open Referral HSDS 3.1 ``service`` (only the fields this export fills)."""
    id = fields.String()
    name = fields.String()
    description = fields.String()
    status = fields.String()
    last_modified = fields.String(allow_none=True)
    capacities = fields.List(fields.Nested(HsdsCapacity))


class Availability(Schema):
    facilities = fields.List(fields.Nested(BedCount))
    as_of = fields.String(metadata={"description": "When these counts were read from the shelter "
                                                   "service (at most a second ago)"})


class EligibleReferral(Schema):
    reference = fields.String()
    status = fields.String()
    eligible_since = fields.String()


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    field = fields.String()
    errors = fields.List(fields.Dict())
    correlation_id = fields.String()


# --- legal representation (issue 5) ------------------------------------------------------------

from services.contracts.vocabulary import (CHARGE_STATUTES, COURT_CASE_STATUSES,  # noqa: E402
                                           DISPUTE_CLAIMS, DISPUTE_STATUSES, DOCUMENT_KINDS,
                                           DOCUMENT_STATUSES, HEARING_OUTCOMES, STANDINGS, VERDICTS)

_ID = {"metadata": {"description": "Opaque id (32 hex characters)."}}
_LOCAL = ("The court's local date and time without an offset, e.g. 2026-12-10T09:30; "
          "stored in UTC with the zone.")


class OpenCaseBody(_Strict):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=40))
    lawyer = fields.String(required=True, validate=validate.Length(min=1, max=100),
                           metadata={"description": "The lawyer assigned (user id)."})


class SessionBody(_Strict):
    held_on = fields.Date(required=True)
    topic = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lawyer = fields.String(validate=validate.Length(min=1, max=100))


class NoteBody(_Strict):
    text = fields.String(required=True, validate=validate.Length(min=1, max=10_000),
                         metadata={"description": "Legal note: the legal team only, ever."})


class ChargeBody(_Strict):
    statute = fields.String(required=True, validate=validate.OneOf(CHARGE_STATUTES),
                            metadata={"description": "law-6-2018 (Anti-Human Trafficking Law No. 6 "
                                                     "of 2018) or other (name it in description)."})
    description = fields.String(validate=validate.Length(min=1, max=300))


class CourtCaseBody(_Strict):
    court = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$"),
                          metadata={"description": "Court id, e.g. erbil-criminal-court."})
    case_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    charges = fields.List(fields.Nested(ChargeBody), required=True,
                          validate=validate.Length(min=1, max=20))
    standing = fields.String(required=True, validate=validate.OneOf(STANDINGS))
    status = fields.String(load_default="investigation",
                           validate=validate.OneOf(["investigation", "filed"]))


class CourtStatusBody(_Strict):
    status = fields.String(required=True, validate=validate.OneOf(COURT_CASE_STATUSES))
    verdict = fields.String(validate=validate.OneOf(VERDICTS),
                            metadata={"description": "Required with status verdict, only then."})


class HearingBody(_Strict):
    starts_at = fields.String(required=True, validate=validate.Length(min=10, max=40),
                              metadata={"description": _LOCAL})
    time_zone = fields.String(load_default="Asia/Baghdad", validate=validate.Length(min=1, max=64),
                              metadata={"description": "IANA zone of the court (Asia/Baghdad)."})
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=200))
    attendance_required = fields.Boolean(required=True)


class HearingOutcomeBody(_Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(HEARING_OUTCOMES))
    note = fields.String(validate=validate.Length(min=1, max=500),
                         metadata={"description": "What happened (legal team and the court only)."})
    new_starts_at = fields.String(validate=validate.Length(min=10, max=40),
                                  metadata={"description": "Postponed to: " + _LOCAL})
    time_zone = fields.String(validate=validate.Length(min=1, max=64))


class HearingsQuery(_Strict):
    from_ = fields.Date(data_key="from", metadata={"description": "First day (courts' time zone)."})
    to = fields.Date(metadata={"description": "Last day, inclusive."})


class DocumentRequestBody(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    authority = fields.String(required=True, validate=validate.Length(min=1, max=200))
    requested_on = fields.Date()


class DocumentStatusBody(_Strict):
    status = fields.String(required=True, validate=validate.OneOf(DOCUMENT_STATUSES))
    on = fields.Date()


class DisputeBody(_Strict):
    employer = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "Employer or recruitment company."})
    claims = fields.List(fields.String(validate=validate.OneOf(DISPUTE_CLAIMS)), required=True,
                         validate=validate.Length(min=1, max=3))
    amount_claimed = fields.Integer(strict=True, validate=validate.Range(min=0))
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    opened_on = fields.Date()


class DisputeUpdateBody(_Strict):
    status = fields.String(required=True, validate=validate.OneOf(DISPUTE_STATUSES))
    outcome = fields.String(validate=validate.Length(min=1, max=500))
    amount_recovered = fields.Integer(strict=True, validate=validate.Range(min=0))


class LegalCase(Schema):
    case_id = fields.String(**_ID)
    reference = fields.String()
    lawyer = fields.String()
    status = fields.String()
    opened_at = fields.String()
    opened_by = fields.String()


class Charge(Schema):
    statute = fields.String()
    description = fields.String(allow_none=True)


class Hearing(Schema):
    """Shaped per role: shelter gets hearing_id, reference, court, times, attendance_required;
    police add status; a court adds court_case_id, case_number, purpose, outcome_note; the legal
    team also reference and case_id."""
    hearing_id = fields.String(**_ID)
    reference = fields.String()
    case_id = fields.String()
    court_case_id = fields.String()
    case_number = fields.String()
    court = fields.String()
    starts_at = fields.String(metadata={"description": "UTC"})
    starts_at_local = fields.String()
    local_date = fields.String()
    local_time = fields.String()
    time_zone = fields.String()
    attendance_required = fields.Boolean()
    purpose = fields.String()
    status = fields.String()
    outcome_note = fields.String(allow_none=True)
    postponed_from = fields.String(allow_none=True)


class HearingWithNext(Hearing):
    next_hearing = fields.Nested(Hearing, allow_none=True)


class CourtCase(Schema):
    court_case_id = fields.String(**_ID)
    case_id = fields.String()
    reference = fields.String()
    court = fields.String()
    case_number = fields.String()
    charges = fields.List(fields.Nested(Charge))
    standing = fields.String()
    status = fields.String()
    verdict = fields.String(allow_none=True)
    updated_at = fields.String()
    status_history = fields.List(fields.Dict())
    hearings = fields.List(fields.Nested(Hearing))


class CounsellingSession(Schema):
    session_id = fields.String(**_ID)
    held_on = fields.String()
    topic = fields.String()
    lawyer = fields.String()


class LegalNote(Schema):
    note_id = fields.String(**_ID)
    author = fields.String()
    text = fields.String()
    created_at = fields.String()


class DocumentRequest(Schema):
    document_id = fields.String(**_ID)
    case_id = fields.String()
    kind = fields.String()
    authority = fields.String()
    status = fields.String()
    requested_on = fields.String()
    submitted_on = fields.String(allow_none=True)
    issued_on = fields.String(allow_none=True)
    rejected_on = fields.String(allow_none=True)
    updated_at = fields.String()


class LabourDispute(Schema):
    dispute_id = fields.String(**_ID)
    case_id = fields.String()
    employer = fields.String()
    claims = fields.List(fields.String())
    amount_claimed = fields.Integer(allow_none=True)
    amount_recovered = fields.Integer(allow_none=True)
    currency = fields.String(allow_none=True)
    status = fields.String()
    outcome = fields.String(allow_none=True)
    opened_on = fields.String()
    updated_at = fields.String()


class LegalCaseDetail(LegalCase):
    notes = fields.List(fields.Nested(LegalNote))
    counselling_sessions = fields.List(fields.Nested(CounsellingSession))
    court_cases = fields.List(fields.Nested(CourtCase))
    hearings = fields.List(fields.Nested(Hearing))
    documents = fields.List(fields.Nested(DocumentRequest))
    labour_disputes = fields.List(fields.Nested(LabourDispute))


class Accompaniment(Schema):
    task = fields.String()
    status = fields.String()
    reminded_at = fields.String()
    due_at = fields.String()


class ResidentHearing(Schema):
    hearing_id = fields.String()
    reference = fields.String()
    court = fields.String()
    starts_at = fields.String()
    starts_at_local = fields.String()
    time_zone = fields.String()
    attendance_required = fields.Boolean()
    status = fields.String()
    accompaniment = fields.Nested(Accompaniment, allow_none=True)


class LegalTimelineSummary(Schema):
    court_cases = fields.List(fields.Dict())
    hearings = fields.List(fields.Dict())


# --- care plans, first-week milestones, care notes (issue 4): shelter staff only ---------------

from services.contracts.vocabulary import (CARE_SERVICES, CASH_PURPOSES,  # noqa: E402
                                           MILESTONE_STATES, MILESTONES, PLAN_ITEM_STATUSES)

SCREENING_OUTCOMES = ("no_concerns", "support_recommended", "specialist_referral")


class PlansQuery(_Strict):
    facility = fields.String(validate=validate.Length(min=1, max=64))
    case_manager = fields.String(validate=validate.Regexp(STAFF_ID))
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "closed", "all"]))


class MilestonesQuery(_Strict):
    state = fields.String(validate=validate.OneOf(MILESTONE_STATES),
                          metadata={"description": "done, due or overdue; all when absent"})
    facility = fields.String(validate=validate.Length(min=1, max=64))
    case_manager = fields.String(validate=validate.Regexp(STAFF_ID))


class PlanUpdateBody(_Strict):
    goals = fields.String(validate=validate.Length(min=1, max=5000),
                          metadata={"description": "The person's own goals, in their words "
                                                   "(encrypted at rest)."})
    psychologist = fields.String(validate=validate.Regexp(STAFF_ID),
                                 metadata={"description": "Staff user id; set by the case manager."})


class CashBody(_Strict):
    purpose = fields.String(required=True, validate=validate.OneOf(CASH_PURPOSES))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000_000))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))


class PlanItemBody(_Strict):
    service = fields.String(required=True, validate=validate.OneOf(CARE_SERVICES))
    owner = fields.String(required=True, validate=validate.Regexp(STAFF_ID),
                          metadata={"description": "Staff user id of who carries the item out."})
    starts_on = fields.Date()
    due_on = fields.Date()
    cash = fields.Nested(CashBody, metadata={"description": "Required for cash_assistance."})


class PlanItemUpdateBody(_Strict):
    status = fields.String(validate=validate.OneOf(PLAN_ITEM_STATUSES),
                           metadata={"description": "done pays a cash item: it needs the approval "
                                                    "of a second staff member first (409)."})
    owner = fields.String(validate=validate.Regexp(STAFF_ID))
    starts_on = fields.Date()
    due_on = fields.Date()


class CareNoteBody(_Strict):
    text = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class ScreeningBody(_Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(SCREENING_OUTCOMES))
    summary = fields.String(validate=validate.Length(min=1, max=10_000))


class MilestoneView(Schema):
    milestone = fields.String(metadata={"description": ", ".join(MILESTONES)})
    due_at = fields.String()
    done_at = fields.String(allow_none=True)
    done_by = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "done, due or overdue"})
    overdue_notified_at = fields.String(allow_none=True)


class CashView(Schema):
    purpose = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    approved_by = fields.String(allow_none=True)
    approved_at = fields.String(allow_none=True)
    paid_by = fields.String(allow_none=True)
    paid_at = fields.String(allow_none=True)


class LegalReferralView(Schema):
    request_id = fields.String()
    referred_at = fields.String()


class PlanItemView(Schema):
    item_id = fields.Integer()
    plan_id = fields.Integer()
    service = fields.String()
    owner = fields.String()
    status = fields.String()
    starts_on = fields.String(allow_none=True)
    due_on = fields.String(allow_none=True)
    created_at = fields.String()
    requested_by = fields.String()
    updated_at = fields.String()
    completed_at = fields.String(allow_none=True)
    cash = fields.Nested(CashView, allow_none=True)
    legal_referral = fields.Nested(LegalReferralView, allow_none=True)


class PlanSummary(Schema):
    plan_id = fields.Integer()
    admission_id = fields.Integer()
    reference = fields.String()
    facility = fields.String()
    case_manager = fields.String()
    psychologist = fields.String(allow_none=True)
    status = fields.String()
    opened_at = fields.String()
    agreed_at = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    updated_at = fields.String()
    updated_by = fields.String()
    milestones = fields.Dict(metadata={"description": "how many milestones are done, due, overdue"})


class CarePlan(PlanSummary):
    goals = fields.String(allow_none=True)
    milestones = fields.List(fields.Nested(MilestoneView))
    items = fields.List(fields.Nested(PlanItemView))


class CareNote(Schema):
    note_id = fields.Integer()
    plan_id = fields.Integer()
    author = fields.String()
    text = fields.String()
    created_at = fields.String()


class Screening(Schema):
    plan_id = fields.Integer()
    psychologist = fields.String()
    outcome = fields.String()
    summary = fields.String(allow_none=True)
    screened_at = fields.String()
    updated_at = fields.String()


class ListedMilestone(MilestoneView):
    plan_id = fields.Integer()
    reference = fields.String()
    admission_id = fields.Integer()
    facility = fields.String()
    case_manager = fields.String()


class MilestoneGroup(Schema):
    facility = fields.String()
    case_manager = fields.String()
    count = fields.Integer()
    milestones = fields.List(fields.Nested(ListedMilestone))


class MilestoneList(Schema):
    state = fields.String(allow_none=True)
    as_of = fields.String()
    count = fields.Integer()
    groups = fields.List(fields.Nested(MilestoneGroup))


class LegalReferralRequest(Schema):
    request_id = fields.String()
    reference = fields.String()
    service = fields.String()
    requested_at = fields.String()
    received_at = fields.String()


# --- privacy (issue 6) -------------------------------------------------------------------------

class ConsentBody(_Strict):
    audience = fields.String(required=True, validate=validate.OneOf(["referring_police", "legal_team"]))
    share = fields.Boolean(required=True, metadata={"description": "The survivor's choice"})
    purpose = fields.String(validate=validate.Length(min=1, max=200),
                            metadata={"description": "What sharing is for (required to share)"})
    until = fields.Date(metadata={"description": "Consent ends after this day (UTC)"})


class ConsentAudience(Schema):
    share = fields.Boolean()
    until = fields.String(allow_none=True)
    withdrawn_at = fields.String(allow_none=True)


class ConsentRecord(Schema):
    audience = fields.String()
    share = fields.Boolean()
    purpose = fields.String(allow_none=True)
    until = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.String()


class ConsentState(Schema):
    reference = fields.String()
    referring_police = fields.Nested(ConsentAudience)
    legal_team = fields.Nested(ConsentAudience)
    history = fields.List(fields.Nested(ConsentRecord))


class NameSearchBody(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "Matched by keyed hash; sent in the body so it "
                                                  "never appears in a URL or an access log"})


class NameSearchHit(Schema):
    reference = fields.String()
    status = fields.String()
    submitted_at = fields.String()


class AuditQuery(_Strict):
    service = fields.String(load_default="referral",
                            validate=validate.OneOf(["referral", "shelter", "legal"]))
    object = fields.String(validate=validate.Length(min=1, max=120),
                           metadata={"description": "e.g. referral:RN-... or legal_case:<id>"})
    actor = fields.String(validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AuditEntry(Schema):
    id = fields.Integer()
    at = fields.String()
    actor = fields.String()
    role = fields.String()
    agency = fields.String()
    action = fields.String()
    object = fields.String()
    outcome = fields.String()
    correlation_id = fields.String(allow_none=True)
    hash = fields.String()


class RevocationBody(_Strict):
    jti = fields.String(validate=validate.Length(min=1, max=64))
    user = fields.String(validate=validate.Length(min=1, max=100))


class RevocationResult(Schema):
    revoked = fields.String()


# --- FHIR export (issue 10): the referral's status as a FHIR R4 Task --------------------------

class FhirCoding(Schema):
    system = fields.String()
    code = fields.String()
    display = fields.String()


class FhirCodeableConcept(Schema):
    coding = fields.List(fields.Nested(FhirCoding))
    text = fields.String()


class FhirIdentifier(Schema):
    use = fields.String()
    system = fields.String()
    value = fields.String()


class FhirReference(Schema):
    reference = fields.String()
    type = fields.String()
    identifier = fields.Nested(FhirIdentifier)


class FhirMeta(Schema):
    profile = fields.List(fields.String())


class FhirTask(Schema):
    """A FHIR R4 Task of the SDOHCC Task for Referral Management profile (docs/decisions/0025):
    no name, no phone; ``for`` is a per-referral pseudonym, requester and owner agency ids."""
    resourceType = fields.String(metadata={"description": "Task"})
    id = fields.String(metadata={"description": "The referral's reference"})
    meta = fields.Nested(FhirMeta)
    identifier = fields.List(fields.Nested(FhirIdentifier))
    status = fields.String(metadata={"description": "requested, accepted, in-progress, completed, "
                                                    "rejected or cancelled (SDOHCC referral task "
                                                    "status: never received or ready)"})
    statusReason = fields.Nested(FhirCodeableConcept, metadata={
        "description": "When rejected or cancelled: the decline or withdrawal reason"})
    businessStatus = fields.Nested(FhirCodeableConcept,
                                   metadata={"description": "refnet's own referral status"})
    intent = fields.String(metadata={"description": "order"})
    priority = fields.String()
    code = fields.Nested(FhirCodeableConcept)
    focus = fields.Nested(FhirReference)
    for_ = fields.Nested(FhirReference, data_key="for")
    authoredOn = fields.String()
    lastModified = fields.String()
    requester = fields.Nested(FhirReference)
    owner = fields.Nested(FhirReference)


# --- reports (issue 10) ----------------------------------------------------------------------

class ReportQuery(_Strict):
    from_ = fields.Date(data_key="from", required=True,
                        metadata={"description": "First day of the period (UTC), YYYY-MM-DD."})
    to = fields.Date(required=True, metadata={"description": "Last day, inclusive."})
    audience = fields.String(load_default="public", validate=validate.OneOf(["internal", "public"]),
                             metadata={"description": "internal (exact counts; shelter staff "
                                                      "only) or public (suppressed)."})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "json, or csv (text/csv, one line per value; "
                                                    "a suppressed value is x)."})

    @validates_schema
    def _order(self, data, **_):
        for name, key in (("from_", "from"), ("to", "to")):
            if name in data and not 1900 <= data[name].year <= 2999:
                raise ValidationError("A year from 1900 to 2999.", field_name=key)
        if "from_" in data and "to" in data:
            if data["to"] < data["from_"]:
                raise ValidationError("to is before from.", field_name="to")
            if (data["to"] - data["from_"]).days >= 3660:
                raise ValidationError("A period is at most 3660 days.", field_name="to")


_Count = lambda: fields.Integer(allow_none=True)  # noqa: E731 - None: suppressed


class ReportTable(Schema):
    name = fields.String()
    title = fields.String()
    row_label = fields.String(allow_none=True)
    column_label = fields.String(allow_none=True)
    rows = fields.List(fields.String())
    columns = fields.List(fields.String())
    cells = fields.List(fields.List(_Count()))
    row_totals = fields.List(_Count(), allow_none=True)
    column_totals = fields.List(_Count(), allow_none=True)
    total = _Count()
    suppressed = fields.Integer(metadata={"description": "How many values are suppressed (null)."})


class ReportMeasure(Schema):
    name = fields.String()
    title = fields.String()
    unit = fields.String()
    n = _Count()
    value = fields.Float(allow_none=True)
    q1 = fields.Float(allow_none=True)
    median = fields.Float(allow_none=True)
    q3 = fields.Float(allow_none=True)


class ReportPeriod(Schema):
    from_ = fields.String(data_key="from")
    to = fields.String()


class ReportSuppression(Schema):
    applied = fields.Boolean()
    threshold = fields.Integer()
    rule = fields.String()
    suppressed_values = fields.Integer()


class ReportSummary(Schema):
    period = fields.Nested(ReportPeriod)
    audience = fields.String()
    headline = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    tables = fields.List(fields.Nested(ReportTable))
    measures = fields.List(fields.Nested(ReportMeasure))
    suppression = fields.Nested(ReportSuppression)
