"""HTTP request and response schemas of the gateway (the police submission's schema is the
shared contract in services.contracts.submission). OpenAPI is generated from these."""

from marshmallow import RAISE, Schema, fields, validate

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


class ReferralStatus(Schema):
    reference = fields.String()
    status = fields.String()
    timeline = fields.List(fields.Nested(TimelineEntry))


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
