"""The police referral as submitted: the body of ``POST /api/v1/referrals``.

The gateway validates it (and documents it in OpenAPI) with this schema; the referral service
validates it again when it takes the sealed submission off the intake queue. It holds personal
data, so it crosses the broker only sealed (see services.common.sealing), never in an event.
"""

import json
from datetime import date

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from .identities import AGENCY
from .references import PATTERN as REFERENCE_PATTERN
from .vocabulary import (CHILD_AGE_BANDS, CHILD_RELATIONSHIPS, CONSENT_BASES, EXPLOITATION_TYPES,
                         ISO_COUNTRIES, NEEDS, SEXES, URGENCIES)

ADULT_AGE = 18


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _text(max_len, **kw):
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


class SurvivorSchema(_Strict):
    """The person referred (personal data: sealed in transit, encrypted at rest)."""
    name = _text(200, required=True, metadata={"description": "Name or alias."})
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    birth_year = fields.Integer(validate=validate.Range(min=1900, max=2100))
    age = fields.Integer(validate=validate.Range(min=0, max=120))
    age_estimated = fields.Boolean(load_default=False)
    nationality = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2 code."})
    languages = fields.List(fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$")),
                            load_default=list, validate=validate.Length(max=10))
    phone = fields.String(validate=validate.Regexp(r"^\+[1-9][0-9]{6,14}$",
                                                   error="Not an E.164 phone number."))

    @validates("nationality")
    def _nationality(self, value, **_):
        if value not in ISO_COUNTRIES:
            raise ValidationError("Not an ISO 3166-1 alpha-2 country code.")

    @validates_schema
    def _age_or_birth_year(self, data, **_):
        if data.get("birth_year") is None and data.get("age") is None:
            raise ValidationError("Give age or birth_year.", field_name="age")
        if data.get("birth_year") is not None and data["birth_year"] > date.today().year:
            raise ValidationError("Birth year is in the future.", field_name="birth_year")


class ChildSchema(_Strict):
    """A child referred with the survivor, as a person of the file: sex, an age band (given, or
    derived from an exact age when only that is known) and how the child is related to the
    survivor (their own child unless said otherwise)."""
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    age = fields.Integer(validate=validate.Range(min=0, max=ADULT_AGE - 1))
    age_band = fields.String(validate=validate.OneOf(CHILD_AGE_BANDS), metadata={
        "description": "0-4, 5-11 or 12-17; required unless `age` is given (then derived)."})
    relationship = fields.String(load_default="child", validate=validate.OneOf(CHILD_RELATIONSHIPS),
                                 metadata={"description": "to the survivor: child (default), "
                                                          "sibling, other_relative, unrelated"})

    @validates_schema
    def _age_band(self, data, **_):
        """A child has an age band; an exact age decides it, and a band given with it agrees."""
        if data.get("age") is None:
            if data.get("age_band") is None:
                raise ValidationError("Give the child's age band (0-4, 5-11, 12-17).",
                                      field_name="age_band")
            return
        band = age_band_of(data["age"])
        if data.get("age_band") not in (None, band):
            raise ValidationError(f"Age {data['age']} is in the band {band}.", field_name="age_band")
        data["age_band"] = band


def age_band_of(age: int) -> str:
    """The band of a child's exact age."""
    return "0-4" if age <= 4 else "5-11" if age <= 11 else "12-17"


class ConsentSchema(_Strict):
    """The survivor's consent to the referral and to sharing its status."""
    given = fields.Boolean(required=True)
    recorded_by = _text(200, required=True)
    basis = fields.String(required=True, validate=validate.OneOf(CONSENT_BASES))
    share_status_with_referrer = fields.Boolean(load_default=True)
    share_with_legal = fields.Boolean(load_default=True)
    share_file_with = fields.List(
        fields.String(validate=validate.Regexp("^" + AGENCY.pattern + "$", error="Not an agency id.")),
        load_default=None, allow_none=True, validate=validate.Length(max=20), metadata={
            "description": "The provider agencies the survivor consented to share the FILE "
                           "with. Absent: the provider the referral is addressed to, else every "
                           "provider it is offered to; [] none (each sees the summary until "
                           "shelter staff record consent)."})


class OfficerSchema(_Strict):
    """The officer who made the referral."""
    name = _text(200, required=True)
    unit = _text(200, required=True)


class ReferralSubmissionSchema(_Strict):
    """The whole police submission."""
    survivor = fields.Nested(SurvivorSchema, required=True)
    exploitation_types = fields.List(fields.String(validate=validate.OneOf(EXPLOITATION_TYPES)),
                                     required=True, validate=validate.Length(min=1, max=6))
    identified_on = fields.Date(required=True)
    identified_place = _text(200, required=True)
    needs = fields.List(fields.String(validate=validate.OneOf(NEEDS)), required=True,
                        validate=validate.Length(min=1, max=6))
    children = fields.List(fields.Nested(ChildSchema), load_default=list,
                           validate=validate.Length(max=20))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    consent = fields.Nested(ConsentSchema, required=True)
    officer = fields.Nested(OfficerSchema, required=True)
    circumstances = fields.String(validate=validate.Length(max=5000),
                                  metadata={"description": "Optional narrative (encrypted at rest)."})
    addressed_to = fields.String(
        allow_none=True, load_default=None,
        validate=validate.Regexp(f"^{AGENCY.pattern}$", error="Not an agency id."),
        metadata={"description": "The shelter provider (an agency id of the directory, "
                                 "`GET /api/v1/agencies`) the referral is addressed to; absent "
                                 "or null: the network. Unknown, inactive or not a "
                                 "shelter_provider: 422 naming addressed_to."})

    @validates("identified_on")
    def _not_future(self, value, **_):
        if value > date.today():
            raise ValidationError("Date is in the future.")

    @validates_schema
    def _consent(self, data, **_):
        """Adults must consent; for a minor the best-interest basis stands in for consent."""
        survivor, consent = data.get("survivor"), data.get("consent")
        if not survivor or not consent or "identified_on" not in data:
            return
        minor = age_of(survivor, data["identified_on"]) < ADULT_AGE
        if minor:
            if consent["basis"] != "best_interest":
                raise ValidationError("A minor is referred on the best_interest basis.",
                                      field_name="consent.basis")
        elif not consent["given"] or consent["basis"] != "informed_consent":
            raise ValidationError("An adult's informed consent to the referral is required.",
                                  field_name="consent.given")


def age_of(survivor: dict, on: date) -> int:
    """The survivor's age on a date: the stated age, else the lowest age the birth year allows.

    A birth year alone cannot tell 17 from 18; erring low protects a child (best-interest
    basis, the children's group) rather than treating a possible minor as an adult.
    """
    if survivor.get("age") is not None:
        return survivor["age"]
    return max(0, on.year - survivor["birth_year"] - 1)


def seal_binding(reference: str, agency: str, submitted_by: str) -> bytes:
    """What an intake command's sealed submission is bound to (AES-GCM associated data): its
    reference, agency and user, which travel in clear beside it. A command whose reference,
    agency or user was changed after sealing does not open."""
    return json.dumps({"v": 1, "reference": reference, "agency": agency,
                       "submitted_by": submitted_by}, sort_keys=True, separators=(",", ":")).encode()


class SubmitReferralV1(_Strict):
    """The intake command the gateway puts on the durable intake queue."""
    command_id = fields.UUID(required=True)
    reference = fields.String(required=True, validate=validate.Regexp(REFERENCE_PATTERN))
    agency = _text(100, required=True)
    submitted_by = _text(100, required=True)
    submitted_at = fields.AwareDateTime(required=True)
    correlation_id = fields.String(allow_none=True, load_default=None)
    sealed_submission = fields.String(required=True, metadata={
        "description": "Sealed JSON body, bound to reference, agency and submitted_by "
                       "(seal_binding)."})
