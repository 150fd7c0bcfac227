"""Event payload contracts, one marshmallow schema per (type, version).

Rules: payloads carry opaque references, status codes, population groups, dates and agency
identifiers, never names, birth dates, phone numbers, narratives or addresses. A contract is
never edited in place: a change is a new class with the next version, registered below, and
consumers keep reading the older versions.
"""

from marshmallow import RAISE, Schema, fields, validate

from .references import PATTERN as REFERENCE_PATTERN
from .vocabulary import (AGENCY_KINDS, AGENCY_SERVICES, OFFER_REASONS, PARTNER_DECLINE_REASONS,
                         PARTNER_OUTCOMES, PARTNER_REFERRAL_STATUSES, PARTNER_SERVICES,
                         REFER_ON_REASONS, SCREENING_REASONS, UNPLACED_REASONS)
from .vocabulary import REFERRAL_STATUSES, STATUS_CHANGES, TASK_KINDS, TASK_STATUSES
from .vocabulary import (CLOSABLE_REFERRAL_STATUSES, CLOSURE_REASONS, CLOSURE_REASONS_V2,
                         CONSENT_AUDIENCES, COURT_CASE_STATUSES,
                         DECLINE_REASONS, DISCHARGE_OUTCOMES, DOCUMENT_KINDS, DOCUMENT_STATUSES,
                         FOLLOW_UP_OUTCOMES, HEARING_OUTCOMES,
                         LEGAL_REFERRAL_SERVICES, MILESTONES, NEEDS, POPULATION_GROUPS,
                         STALE_REFERRAL_STATUSES, URGENCIES, VERDICTS, WITHDRAWAL_REASONS)
from .vocabulary import LEGAL_CLOSURE_REASONS, LEGAL_REOPEN_REASONS

Reference = lambda: fields.String(required=True, validate=validate.Regexp(REFERENCE_PATTERN))  # noqa: E731
Agency = lambda **kw: fields.String(validate=validate.Length(min=1, max=100), **kw)  # noqa: E731
When = lambda: fields.AwareDateTime(required=True)  # noqa: E731
Facility = lambda: fields.String(required=True, validate=validate.Length(min=1, max=64))  # noqa: E731
Group = lambda: fields.String(required=True, validate=validate.OneOf(POPULATION_GROUPS))  # noqa: E731
Beds = lambda: fields.Integer(required=True, validate=validate.Range(min=1, max=21))  # noqa: E731
StaffId = lambda: fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._@-]{1,100}$"))  # noqa: E731
AdmissionId = lambda: fields.Integer(required=True, validate=validate.Range(min=1))  # noqa: E731


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


class ReferralDecisionV2(ReferralDecisionV1):
    """v1 plus who referred, whether the survivor lets that agency see status, and the shelter
    that decided: the legal service gives the referring police and the shelter their slice of
    hearings from these (docs/decisions/0010).
    """
    referring_agency = Agency(required=True)
    share_status_with_referrer = fields.Boolean(required=True)
    shelter_agency = Agency(required=True)


class ReferralWithdrawnV1(_Payload):
    """The referring police withdrew a referral."""
    reference = Reference()
    withdrawn_at = When()


class ReferralWithdrawnV2(ReferralWithdrawnV1):
    """v1 plus why, as a code: the police's own note stays in the referral service."""
    reason_code = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_REASONS))


class ReferralClosedV1(_Payload):
    """The referral service closed a referral that stopped moving before admission, with the
    reason's code and the status it stopped in (retention; no free text)."""
    reference = Reference()
    reason = fields.String(required=True, validate=validate.OneOf(CLOSURE_REASONS))
    previous_status = fields.String(required=True, validate=validate.OneOf(STALE_REFERRAL_STATUSES))
    closed_at = When()


class ReferralClosedV2(_Payload):
    """v1 widened to every end (issue 21): a decline or withdrawal that settled, or the
    follow-up after discharge that ended, closes the referral too. Reasons and previous
    statuses are v1's and more; a consumer of v1 keeps reading the stale closures."""
    reference = Reference()
    reason = fields.String(required=True, validate=validate.OneOf(CLOSURE_REASONS_V2))
    previous_status = fields.String(required=True, validate=validate.OneOf(CLOSABLE_REFERRAL_STATUSES))
    closed_at = When()


class ShelterReferralReceivedV1(_Payload):
    """The shelter received a referral."""
    reference = Reference()
    received_at = When()
    agency = Agency(required=True)


class ShelterDecisionV1(_Payload):
    """Shelter staff accepted or declined a referral. ``reason`` is the staff's short reason."""
    reference = Reference()
    decided_at = When()
    agency = Agency(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ShelterDecisionV2(_Payload):
    """Shelter staff accepted or declined a referral; a decline says why as a code. No free
    text: v1's ``reason`` is gone (the staff's note stays in the shelter service,
    docs/decisions/0036). Not a subclass of v1, which would carry ``reason`` on."""
    reference = Reference()
    decided_at = When()
    agency = Agency(required=True)
    reason_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(DECLINE_REASONS))


class ShelterCapacityChangedV1(_Payload):
    """A facility's beds of one group changed (counts only)."""
    facility = Facility()
    population_group = Group()
    capacity = fields.Integer(required=True, validate=validate.Range(min=0))
    occupied = fields.Integer(required=True, validate=validate.Range(min=0))
    held = fields.Integer(required=True, validate=validate.Range(min=0))
    available = fields.Integer(required=True)
    changed_at = When()


class ShelterCapacityChangedV2(ShelterCapacityChangedV1):
    """V1 plus beds out of service (available = capacity - out_of_service - occupied - held)
    and what changed. No names, no address."""
    out_of_service = fields.Integer(required=True, validate=validate.Range(min=0))
    change = fields.String(required=True, validate=validate.OneOf(["capacity", "out_of_service"]))


class _BedsOfReferral(_Payload):
    """What every placement event of a facility's beds carries (not itself a contract)."""
    reference = Reference()
    facility = Facility()
    population_group = Group()
    beds = Beds()
    agency = Agency(required=True)


class _Stay(_BedsOfReferral):
    """A placement event of one admission (not itself a contract)."""
    admission_id = AdmissionId()


class ShelterBedHeldV1(_BedsOfReferral):
    """Beds are held for an accepted referral until ``expires_at`` (``offered_from_waitlist``:
    the beds freed up and went to the first waitlisted referral of the group)."""
    held_at = When()
    expires_at = When()
    offered_from_waitlist = fields.Boolean(required=True)


class ShelterHoldExpiredV1(_BedsOfReferral):
    """The person did not arrive before the deadline: the beds were released and offered on."""
    expired_at = When()


class ShelterWaitlistedV1(_Payload):
    """An accepted referral waits for a bed of its group (none fits now)."""
    reference = Reference()
    population_group = Group()
    beds = Beds()
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    waitlisted_at = When()
    agency = Agency(required=True)


class ShelterAdmittedV1(_Stay):
    """The person arrived: beds occupied; ``case_manager`` is a staff user id, not a name."""
    case_manager = StaffId()
    admitted_at = When()


class ShelterDischargedV1(_Stay):
    """A resident left the shelter, with the outcome's code."""
    outcome = fields.String(required=True, validate=validate.OneOf(DISCHARGE_OUTCOMES))
    discharged_at = When()

# --- care plans: codes, ids and times only; no goals, notes or screening results ---------------

class ShelterMilestoneOverdueV1(_Payload):
    """A first-week milestone of a resident passed its due time without being done (sent once
    per milestone). ``case_manager`` is a staff user id; no names, no notes."""
    reference = Reference()
    admission_id = AdmissionId()
    milestone = fields.String(required=True, validate=validate.OneOf(MILESTONES))
    due_at = When()
    facility = Facility()
    case_manager = StaffId()
    noticed_at = When()
    agency = Agency(required=True)


class ShelterLegalReferralRequestedV1(_Payload):
    """Shelter staff referred a plan item to the legal team: only the reference, the service
    asked for and an opaque request id (the shelter's plan stays in the shelter)."""
    reference = Reference()
    request_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))
    service = fields.String(required=True, validate=validate.OneOf(LEGAL_REFERRAL_SERVICES))
    requested_at = When()
    agency = Agency(required=True)

# --- legal ---------------------------------------------------------------------------------
# Legal events carry references, opaque ids (uuid hex), court ids, status codes and times only:
# no names, no charges text, no purpose, no outcome text, no legal notes.

LegalId = lambda **kw: fields.String(validate=validate.Regexp(r"^[0-9a-f]{32}$"), **kw)  # noqa: E731
Court = lambda **kw: fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$"), **kw)  # noqa: E731


class LegalCaseOpenedV1(_Payload):
    """The legal team opened a case for a referral."""
    reference = Reference()
    case_id = LegalId(required=True)
    opened_at = When()


class LegalCaseClosedV1(_Payload):
    """The legal team closed a legal case (none of its court cases is open): the legal hold on
    the referral's records ends, and retention may count from here."""
    reference = Reference()
    case_id = LegalId(required=True)
    closed_at = When()


class _CourtCase(_Payload):
    """What every event of one court case carries (not itself a contract)."""
    reference = Reference()
    court_case_id = LegalId(required=True)
    court = Court(required=True)


class LegalCourtStatusChangedV1(_CourtCase):
    """A court case was filed (``previous_status`` null) or moved along its status machine."""
    case_id = LegalId(required=True)
    status = fields.String(required=True, validate=validate.OneOf(COURT_CASE_STATUSES))
    previous_status = fields.String(load_default=None, allow_none=True,
                                    validate=validate.OneOf(COURT_CASE_STATUSES))
    verdict = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(VERDICTS))
    changed_at = When()


class _Hearing(_CourtCase):
    """What every event of one hearing carries (not itself a contract)."""
    hearing_id = LegalId(required=True)


class LegalHearingScheduledV1(_Hearing):
    """A hearing was set (``postponed_from``: the hearing it replaces, when postponed)."""
    starts_at = When()
    time_zone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    attendance_required = fields.Boolean(required=True)
    postponed_from = LegalId(load_default=None, allow_none=True)
    scheduled_at = When()


class LegalHearingOutcomeV1(_Hearing):
    """A hearing was held, postponed or cancelled."""
    outcome = fields.String(required=True, validate=validate.OneOf(HEARING_OUTCOMES))
    next_hearing_id = LegalId(load_default=None, allow_none=True)
    recorded_at = When()


class LegalHearingReminderV1(_Payload):
    """Sent once, ``lead`` before a hearing the survivor must attend (72 hours by default)."""
    reference = Reference()
    hearing_id = LegalId(required=True)
    court = Court(required=True)
    starts_at = When()
    time_zone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    due_at = When()
    sent_at = When()


class LegalDocumentStatusChangedV1(_Payload):
    """An identity or travel document moved along its status."""
    reference = Reference()
    document_id = LegalId(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    status = fields.String(required=True, validate=validate.OneOf(DOCUMENT_STATUSES))
    changed_at = When()


class ReferralConsentChangedV1(_Payload):
    """Shelter staff recorded the survivor's choice for one audience. Codes and
    dates only: who recorded it and why stay in the referral service."""
    reference = Reference()
    audience = fields.String(required=True, validate=validate.OneOf(CONSENT_AUDIENCES))
    granted = fields.Boolean(required=True)
    until = fields.AwareDateTime(allow_none=True, load_default=None)
    changed_at = When()


# --- many agencies (docs/decisions/0037): the directory, routing, transfers, partners ----------

Language = lambda: fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$"))  # noqa: E731


class ReferralSubmittedV2(ReferralSubmittedV1):
    """v1 plus the provider the police addressed it to (``addressed_to`` in the API; None: the
    network) and the languages the survivor must be served in (ISO 639 codes): a need that
    routing matches against providers and the status-level summary shows, like ``needs``
    (docs/decisions/0037)."""
    requested_provider = Agency(load_default=None, allow_none=True)
    service_languages = fields.List(Language(), load_default=list)


class ReferralSubmittedV3(ReferralSubmittedV2):
    """v2 plus whether the survivor is a minor (issue 21): the shelter waits for a
    best-interests determination before a minor's placement decision. A yes or no, never an
    age or a birth date."""
    survivor_minor = fields.Boolean(required=True)


class ReferralAgencyChangedV1(_Payload):
    """An agency of the directory was registered or changed (the referral service owns the
    directory). What routing needs: kind, active, region, services, spoken languages and
    routing order."""
    agency = Agency(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(AGENCY_KINDS))
    active = fields.Boolean(required=True)
    region = fields.String(required=True, validate=validate.Length(max=100))
    services = fields.List(fields.String(validate=validate.OneOf(AGENCY_SERVICES)), required=True)
    spoken_languages = fields.List(Language(), required=True)
    routing_order = fields.Integer(load_default=None, allow_none=True)
    changed_at = When()


class ReferralConsentChangedV2(_Payload):
    """v1 plus consent to share the file with one provider: ``audience`` ``provider`` names its
    ``agency``. Codes and dates only."""
    reference = Reference()
    audience = fields.String(required=True, validate=validate.OneOf(
        CONSENT_AUDIENCES + ("provider",)))
    agency = Agency(load_default=None, allow_none=True)
    granted = fields.Boolean(required=True)
    until = fields.AwareDateTime(allow_none=True, load_default=None)
    changed_at = When()


class ShelterReferralOfferedV1(_Payload):
    """A provider now holds a referral: addressed to it, routed to it, or passed on after the
    previous holder declined, referred it on or let it wait past the escalation time."""
    reference = Reference()
    agency = Agency(required=True)                      # the provider that holds it now
    previous_agency = Agency(load_default=None, allow_none=True)
    why = fields.String(required=True, validate=validate.OneOf(OFFER_REASONS))
    reason_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(REFER_ON_REASONS + DECLINE_REASONS))
    offered_at = When()
    answer_due_at = fields.AwareDateTime(load_default=None, allow_none=True)


class ShelterScreeningStartedV1(_Payload):
    """The provider holding a received referral started screening it before its decision
    (issue 21): the reason is a code, the staff's own words stay in the shelter service."""
    reference = Reference()
    agency = Agency(required=True)
    reason_code = fields.String(required=True, validate=validate.OneOf(SCREENING_REASONS))
    started_at = When()


class ShelterReferralUnplacedV1(_Payload):
    """No provider is left to offer a referral to: flagged to the network's admins."""
    reference = Reference()
    previous_agency = Agency(load_default=None, allow_none=True)
    reason = fields.String(required=True, validate=validate.OneOf(UNPLACED_REASONS))
    flagged_at = When()


class ShelterResidentTransferredV1(_Payload):
    """A resident moved to another provider's facility: beds freed at one, taken at the other;
    whether the care plan went with them (the survivor's consent to that provider)."""
    reference = Reference()
    from_agency = Agency(required=True)
    to_agency = Agency(required=True)
    from_facility = Facility()
    to_facility = Facility()
    population_group = Group()
    beds = Beds()
    care_plan_shared = fields.Boolean(required=True)
    transferred_at = When()


class ShelterPartnerReferralChangedV1(_Payload):
    """A care-plan item referred to a partner agency moved: sent, accepted, declined (a code),
    done (an outcome code). Status only."""
    reference = Reference()
    partner_referral_id = fields.String(required=True, validate=validate.Length(min=1, max=32))
    agency = Agency(required=True)          # the provider whose care plan it is
    partner_agency = Agency(required=True)
    service = fields.String(required=True, validate=validate.OneOf(PARTNER_SERVICES))
    status = fields.String(required=True, validate=validate.OneOf(PARTNER_REFERRAL_STATUSES))
    reason_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(PARTNER_DECLINE_REASONS))
    outcome_code = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf(PARTNER_OUTCOMES))
    changed_at = When()


# --- notifications (docs/decisions/0042): what the notify service needs to address a person ------
# User ids (staff), agency ids, codes and times; never a name or a survivor's personal field.

OptionalStaffId = lambda: fields.String(load_default=None, allow_none=True,  # noqa: E731
                                        validate=validate.Regexp(r"^[A-Za-z0-9._@-]{1,100}$"))


class ReferralStatusChangedV1(_Payload):
    """A step of a referral the referring police may see: a new status (``change`` is the
    status) or an escalation (``change`` ``escalated``; the status stays). Emitted by the
    referral service in the step's transaction, with the survivor's consent to share status
    with the referring police as it stands at that moment: a consumer tells the officer
    (``submitted_by``) and the unit (``referring_agency``) only while it is true."""
    reference = Reference()
    change = fields.String(required=True, validate=validate.OneOf(STATUS_CHANGES))
    status = fields.String(required=True, validate=validate.OneOf(REFERRAL_STATUSES))
    agency = Agency(required=True)               # the agency whose step it was
    referring_agency = Agency(required=True)
    submitted_by = StaffId()
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    share_status_with_referrer = fields.Boolean(required=True)
    changed_at = When()


class LegalHearingReminderV2(LegalHearingReminderV1):
    """v1 plus whom it concerns: the legal case, its lawyer (a user id) and the shelter provider
    that accepted the referral (its accompaniment duty); null from a producer older than v2."""
    case_id = LegalId(load_default=None, allow_none=True)
    lawyer = OptionalStaffId()
    shelter_agency = Agency(load_default=None, allow_none=True)


class LegalCourtStatusChangedV2(LegalCourtStatusChangedV1):
    """v1 plus the legal case's lawyer (a user id; null from a producer older than v2)."""
    lawyer = OptionalStaffId()


class ShelterMilestoneOverdueV2(ShelterMilestoneOverdueV1):
    """v1 plus the facility's manager (a user id; null when the facility names none: then the
    provider's shelter duty desk is told)."""
    facility_manager = OptionalStaffId()


class LegalCaseClosedV2(LegalCaseClosedV1):
    """v1 plus why the legal team closed it, as a code (issue 21; no note travels)."""
    reason_code = fields.String(required=True, validate=validate.OneOf(LEGAL_CLOSURE_REASONS))


class LegalCaseReopenedV1(_Payload):
    """The legal team reopened a closed legal case (not once retention anonymised it): the
    legal hold stands again. Of a case's closings and reopenings, the latest wins."""
    reference = Reference()
    case_id = LegalId(required=True)
    reopened_at = When()
    reason_code = fields.String(required=True, validate=validate.OneOf(LEGAL_REOPEN_REASONS))


class ShelterTaskChangedV1(_Payload):
    """A shelter task was opened, assigned, done or found not needed: court accompaniment of a
    hearing, or a cash request awaiting a second person's approval. Ids, codes and times only."""
    task_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))
    kind = fields.String(required=True, validate=validate.OneOf(TASK_KINDS))
    status = fields.String(required=True, validate=validate.OneOf(TASK_STATUSES))
    reference = Reference()
    agency = Agency(required=True)               # the provider whose task it is
    facility = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=64))
    assignee = OptionalStaffId()
    requested_by = OptionalStaffId()             # a cash request's requester (not its approver)
    due_at = fields.AwareDateTime(load_default=None, allow_none=True)
    changed_by = StaffId()
    changed_at = When()


class ShelterFollowUpEndedV1(_Payload):
    """The follow-up after a resident's discharge ended (issue 21): its last scheduled contact
    was recorded, or a contact found her re-referred, or there was none to make (discharged as
    transferred: ``last_outcome`` null). The referral service closes the referral. Codes only."""
    reference = Reference()
    ended_at = When()
    agency = Agency(required=True)
    last_outcome = fields.String(required=True, allow_none=True,
                                 validate=validate.OneOf(FOLLOW_UP_OUTCOMES))


EVENT_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("referral.submitted", 1): ReferralSubmittedV1,
    ("referral.submitted", 2): ReferralSubmittedV2,
    ("referral.submitted", 3): ReferralSubmittedV3,
    ("referral.agency_changed", 1): ReferralAgencyChangedV1,
    ("referral.consent_changed", 2): ReferralConsentChangedV2,
    ("referral.accepted", 1): ReferralDecisionV1,
    ("referral.accepted", 2): ReferralDecisionV2,
    ("referral.declined", 1): ReferralDecisionV1,
    ("referral.declined", 2): ReferralDecisionV2,
    ("referral.withdrawn", 1): ReferralWithdrawnV1,
    ("referral.withdrawn", 2): ReferralWithdrawnV2,
    ("referral.closed", 1): ReferralClosedV1,
    ("referral.closed", 2): ReferralClosedV2,
    ("referral.consent_changed", 1): ReferralConsentChangedV1,
    ("shelter.referral_received", 1): ShelterReferralReceivedV1,
    ("shelter.referral_accepted", 1): ShelterDecisionV1,
    ("shelter.referral_declined", 1): ShelterDecisionV1,
    ("shelter.referral_accepted", 2): ShelterDecisionV2,
    ("shelter.referral_declined", 2): ShelterDecisionV2,
    ("shelter.capacity_changed", 1): ShelterCapacityChangedV1,
    ("shelter.capacity_changed", 2): ShelterCapacityChangedV2,
    ("shelter.bed_held", 1): ShelterBedHeldV1,
    ("shelter.hold_expired", 1): ShelterHoldExpiredV1,
    ("shelter.waitlisted", 1): ShelterWaitlistedV1,
    ("shelter.admitted", 1): ShelterAdmittedV1,
    ("shelter.discharged", 1): ShelterDischargedV1,
    ("shelter.milestone_overdue", 1): ShelterMilestoneOverdueV1,
    ("shelter.legal_referral_requested", 1): ShelterLegalReferralRequestedV1,
    ("shelter.referral_offered", 1): ShelterReferralOfferedV1,
    ("shelter.referral_unplaced", 1): ShelterReferralUnplacedV1,
    ("shelter.screening_started", 1): ShelterScreeningStartedV1,
    ("shelter.resident_transferred", 1): ShelterResidentTransferredV1,
    ("shelter.partner_referral_changed", 1): ShelterPartnerReferralChangedV1,

    ("legal.case_opened", 1): LegalCaseOpenedV1,
    ("legal.case_closed", 1): LegalCaseClosedV1,
    ("legal.court_status_changed", 1): LegalCourtStatusChangedV1,
    ("legal.hearing_scheduled", 1): LegalHearingScheduledV1,
    ("legal.hearing_outcome", 1): LegalHearingOutcomeV1,
    ("legal.hearing_reminder", 1): LegalHearingReminderV1,
    ("legal.document_status_changed", 1): LegalDocumentStatusChangedV1,

    ("referral.status_changed", 1): ReferralStatusChangedV1,
    ("legal.hearing_reminder", 2): LegalHearingReminderV2,
    ("legal.court_status_changed", 2): LegalCourtStatusChangedV2,
    ("shelter.milestone_overdue", 2): ShelterMilestoneOverdueV2,
    ("shelter.task_changed", 1): ShelterTaskChangedV1,
    ("legal.case_closed", 2): LegalCaseClosedV2,
    ("legal.case_reopened", 1): LegalCaseReopenedV1,
    ("shelter.follow_up_ended", 1): ShelterFollowUpEndedV1,
}


def latest_version(event_type: str) -> int:
    """The newest version of an event type (``KeyError`` for an unknown type)."""
    versions = [v for (t, v) in EVENT_SCHEMAS if t == event_type]
    if not versions:
        raise KeyError(event_type)
    return max(versions)
