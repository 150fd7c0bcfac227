"""Event payload contracts, one marshmallow schema per (type, version).

Rules: payloads carry opaque references, status codes, population groups, dates and agency
identifiers, never names, birth dates, phone numbers, narratives or addresses. A contract is
never edited in place: a change is a new class with the next version, registered below, and
consumers keep reading the older versions.
"""

from marshmallow import RAISE, Schema, fields, validate

from .vocabulary import NEEDS, POPULATION_GROUPS, URGENCIES

Reference = lambda: fields.String(required=True, validate=validate.Regexp(r"^RN-[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$"))  # noqa: E731
Agency = lambda **kw: fields.String(validate=validate.Length(min=1, max=100), **kw)  # noqa: E731
When = lambda: fields.AwareDateTime(required=True)  # noqa: E731


class _Payload(Schema):
    class Meta:
        unknown = RAISE


class ReferralSubmittedV1(_Payload):
    """A police submission was recorded by the referral service."""
    reference = Reference()
    population_group = fields.String(required=True, validate=validate.OneOf(POPULATION_GROUPS))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    needs = fields.List(fields.String(validate=validate.OneOf(NEEDS)), required=True)
    children_count = fields.Integer(required=True, validate=validate.Range(min=0, max=20))
    beds_needed = fields.Integer(required=True, validate=validate.Range(min=1, max=21))
    referring_agency = Agency(required=True)
    submitted_at = When()


class ReferralDecisionV1(_Payload):
    """The referral's status moved to accepted or declined (shared with legal and others)."""
    reference = Reference()
    decided_at = When()
    legal_consent = fields.Boolean(required=True)


class ReferralWithdrawnV1(_Payload):
    reference = Reference()
    withdrawn_at = When()


class ShelterReferralReceivedV1(_Payload):
    reference = Reference()
    received_at = When()
    agency = Agency(required=True)


class ShelterDecisionV1(_Payload):
    """Shelter staff accepted or declined a referral. ``reason`` is the staff's short reason."""
    reference = Reference()
    decided_at = When()
    agency = Agency(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ShelterCapacityChangedV1(_Payload):
    facility = fields.String(required=True, validate=validate.Length(min=1, max=64))
    population_group = fields.String(required=True, validate=validate.OneOf(POPULATION_GROUPS))
    capacity = fields.Integer(required=True, validate=validate.Range(min=0))
    occupied = fields.Integer(required=True, validate=validate.Range(min=0))
    held = fields.Integer(required=True, validate=validate.Range(min=0))
    available = fields.Integer(required=True)
    changed_at = When()


EVENT_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("referral.submitted", 1): ReferralSubmittedV1,
    ("referral.accepted", 1): ReferralDecisionV1,
    ("referral.declined", 1): ReferralDecisionV1,
    ("referral.withdrawn", 1): ReferralWithdrawnV1,
    ("shelter.referral_received", 1): ShelterReferralReceivedV1,
    ("shelter.referral_accepted", 1): ShelterDecisionV1,
    ("shelter.referral_declined", 1): ShelterDecisionV1,
    ("shelter.capacity_changed", 1): ShelterCapacityChangedV1,
}


def latest_version(event_type: str) -> int:
    versions = [v for (t, v) in EVENT_SCHEMAS if t == event_type]
    if not versions:
        raise KeyError(event_type)
    return max(versions)
