"""HTTP request and response schemas of the gateway (the police submission's schema is the
shared contract in services.contracts.submission). OpenAPI is generated from these."""

from marshmallow import RAISE, Schema, fields, validate

from services.contracts.vocabulary import POPULATION_GROUPS, REFERRAL_STATUSES


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


class DecisionResult(Schema):
    reference = fields.String()
    status = fields.String()
    decided_at = fields.String()


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
    occupied = fields.Integer()
    held = fields.Integer()
    available = fields.Integer()
    updated_at = fields.String()


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
