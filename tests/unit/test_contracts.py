"""The shared message contracts: the police submission, the event envelope and payloads,
references, and the broker topology names."""

import copy
import re
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from marshmallow import RAISE, ValidationError

from services.contracts import envelope as env
from services.contracts import references, topology
from services.contracts.events import EVENT_SCHEMAS, latest_version
from services.contracts.submission import ReferralSubmissionSchema, SubmitReferralV1, age_of

from .conftest import REF, REF2, WHEN

SCHEMA = ReferralSubmissionSchema()


def errors_of(body) -> dict:
    with pytest.raises(ValidationError) as info:
        SCHEMA.load(body)
    return info.value.messages


# --- the police submission -------------------------------------------------------------------------

@pytest.mark.parametrize("child,field", [({"sex": "female"}, "age_band"),
                                         ({"sex": "male", "age": 6, "age_band": "0-4"}, "age_band"),
                                         ({"sex": "male", "age_band": "5-11", "relationship": "friend"},
                                          "relationship")])
def test_a_child_without_an_age_band_or_a_known_relationship_is_refused(body, child, field):
    with pytest.raises(ValidationError) as info:
        SCHEMA.load({**body, "children": [child]})
    assert field in info.value.messages["children"][0]


def test_a_child_of_unknown_age_is_a_person_with_an_age_band(body):
    loaded = SCHEMA.load({**body, "children": [{"sex": "male", "age_band": "0-4",
                                                "relationship": "sibling"}]})
    assert loaded["children"] == [{"sex": "male", "age_band": "0-4", "relationship": "sibling"}]


def test_canonical_body_is_accepted_as_it_stands(body):
    original = copy.deepcopy(body)
    loaded = SCHEMA.load(body)
    assert body == original  # loading does not mutate the input
    assert loaded["survivor"]["name"] == "Amina K."
    assert loaded["survivor"]["birth_year"] == 1998
    assert loaded["identified_on"] == date(2026, 11, 20)
    # an exact age decides the band; a child is the survivor's own unless said otherwise
    assert loaded["children"] == [{"sex": "female", "age": 6, "age_band": "5-11",
                                   "relationship": "child"}]
    assert loaded["consent"]["basis"] == "informed_consent"


def test_optional_fields_get_their_defaults(body):
    del body["children"]
    del body["survivor"]["languages"]
    del body["survivor"]["age_estimated"]
    loaded = SCHEMA.load(body)
    assert loaded["children"] == []
    assert loaded["survivor"]["languages"] == []
    assert loaded["survivor"]["age_estimated"] is False


@pytest.mark.parametrize("path,field", [
    ((), "nickname"),
    (("survivor",), "passport_no"),
    (("consent",), "witness"),
    (("officer",), "badge"),
])
def test_unknown_fields_are_refused(body, path, field):
    target = body
    for key in path:
        target = target[key]
    target[field] = "x"
    messages = errors_of(body)
    for key in path:
        messages = messages[key]
    assert field in messages


def test_unknown_field_inside_a_child_is_refused(body):
    body["children"][0]["name"] = "Sara"
    assert "name" in errors_of(body)["children"][0]


@pytest.mark.parametrize("mutate,field_path", [
    (lambda b: b["survivor"].update(birth_year="nineteen"), ("survivor", "birth_year")),
    (lambda b: b["survivor"].update(languages="am"), ("survivor", "languages")),
    (lambda b: b["survivor"].update(age_estimated="perhaps"), ("survivor", "age_estimated")),
    (lambda b: b.update(exploitation_types="labour"), ("exploitation_types",)),
    (lambda b: b.update(identified_on=20261120), ("identified_on",)),
    (lambda b: b.update(identified_on="20 Nov 2026"), ("identified_on",)),
    (lambda b: b.update(children={"sex": "female", "age": 6}), ("children",)),
    (lambda b: b.update(consent="yes"), ("consent",)),
    (lambda b: b.update(officer=["Officer Hawre"]), ("officer",)),
    (lambda b: b["consent"].update(given="sure"), ("consent", "given")),
])
def test_wrong_types_are_refused(body, mutate, field_path):
    mutate(body)
    messages = errors_of(body)
    for key in field_path:
        assert key in messages
        messages = messages[key]


@pytest.mark.parametrize("path", [
    ("survivor",), ("exploitation_types",), ("identified_on",), ("identified_place",), ("needs",),
    ("urgency",), ("consent",), ("officer",),
    ("survivor", "name"), ("survivor", "sex"), ("survivor", "nationality"),
    ("consent", "given"), ("consent", "recorded_by"), ("consent", "basis"),
    ("officer", "name"), ("officer", "unit"),
])
def test_missing_required_fields_are_refused(body, path):
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    messages = errors_of(body)
    for key in path:
        messages = messages[key]
    assert any("Missing" in m for m in messages)


@pytest.mark.parametrize("value,field", [
    ("labour", "urgency"), ("", "identified_place"),
])
def test_bad_values_are_refused(body, value, field):
    body[field] = value
    assert field in errors_of(body)


@pytest.mark.parametrize("code", ["XX", "et", "ETH", "UK", ""])
def test_bad_nationality_code(body, code):
    body["survivor"]["nationality"] = code
    assert "nationality" in errors_of(body)["survivor"]


@pytest.mark.parametrize("phone", ["07501234567", "+0750123456", "+96475 0123 4567", "+1234", "+964750123456789012"])
def test_bad_phone(body, phone):
    body["survivor"]["phone"] = phone
    assert errors_of(body)["survivor"]["phone"] == ["Not an E.164 phone number."]


def test_future_identified_on_is_refused(body):
    body["identified_on"] = (date.today() + timedelta(days=1)).isoformat()
    assert errors_of(body)["identified_on"] == ["Date is in the future."]


def test_identified_today_is_accepted(body):
    body["identified_on"] = date.today().isoformat()
    assert SCHEMA.load(body)["identified_on"] == date.today()


def test_future_birth_year_is_refused(body):
    body["survivor"]["birth_year"] = date.today().year + 1
    assert "birth_year" in errors_of(body)["survivor"]


def test_neither_age_nor_birth_year(body):
    del body["survivor"]["birth_year"]
    assert errors_of(body)["survivor"]["age"] == ["Give age or birth_year."]


def test_age_instead_of_birth_year_is_enough(body):
    del body["survivor"]["birth_year"]
    body["survivor"]["age"] = 28
    assert SCHEMA.load(body)["survivor"]["age"] == 28


@pytest.mark.parametrize("consent", [
    {"given": False, "recorded_by": "Officer Hawre", "basis": "informed_consent"},
    {"given": True, "recorded_by": "Officer Hawre", "basis": "best_interest"},
    {"given": False, "recorded_by": "Officer Hawre", "basis": "best_interest"},
])
def test_adult_without_informed_consent_is_refused(body, consent):
    body["consent"] = consent
    assert "consent.given" in errors_of(body)


@pytest.mark.parametrize("survivor_age", [{"age": 15}, {"birth_year": 2012}])
def test_minor_without_best_interest_basis_is_refused(body, survivor_age):
    del body["survivor"]["birth_year"]
    body["survivor"].update(survivor_age)
    assert "consent.basis" in errors_of(body)


def test_minor_on_best_interest_basis_is_accepted_without_consent(body):
    del body["survivor"]["birth_year"]
    body["survivor"]["age"] = 15
    body["consent"] = {"given": False, "recorded_by": "Officer Hawre", "basis": "best_interest"}
    assert SCHEMA.load(body)["consent"]["basis"] == "best_interest"


def test_child_must_be_a_minor(body):
    body["children"] = [{"sex": "male", "age": 18}]
    assert "age" in errors_of(body)["children"][0]


def test_age_of_prefers_stated_age():
    assert age_of({"age": 30, "birth_year": 2010}, date(2026, 1, 1)) == 30
    assert age_of({"birth_year": 2000}, date(2026, 1, 1)) == 25  # the lowest age 2000 allows


def test_a_birth_year_that_allows_a_minor_counts_as_a_minor():
    """Born in 2008, identified in 2026: 17 or 18; treated as 17 to protect a child."""
    assert age_of({"birth_year": 2008}, date(2026, 12, 31)) == 17
    assert age_of({"birth_year": 2007}, date(2026, 1, 1)) == 18


def test_submit_command_contract():
    command = {"command_id": str(uuid.uuid4()), "reference": REF, "agency": "erbil-police",
               "submitted_by": "officer-1", "submitted_at": WHEN.isoformat(),
               "sealed_submission": "abc"}
    loaded = SubmitReferralV1().load(command)
    assert loaded["correlation_id"] is None
    with pytest.raises(ValidationError) as info:
        SubmitReferralV1().load({**command, "reference": "RN-1234"})
    assert "reference" in info.value.messages


# --- events -----------------------------------------------------------------------------------------

SAMPLES = {
    "referral.submitted": {"reference": REF, "population_group": "children", "urgency": "urgent",
                           "needs": ["shelter", "legal"], "children_count": 1, "beds_needed": 2,
                           "referring_agency": "erbil-police", "submitted_at": WHEN,
                           "requested_provider": "erbil-shelter", "service_languages": ["ar", "ku"],
                           "survivor_minor": False},
    "referral.agency_changed": {"agency": "erbil-shelter", "kind": "shelter_provider",
                                "active": True, "region": "Erbil", "services": ["shelter", "legal"],
                                "spoken_languages": ["ar", "ckb", "en"], "routing_order": 1,
                                "changed_at": WHEN},
    "referral.accepted": {"reference": REF, "decided_at": WHEN, "legal_consent": True,
                          "referring_agency": "erbil-police", "share_status_with_referrer": True,
                          "shelter_agency": "erbil-shelter"},
    "referral.declined": {"reference": REF, "decided_at": WHEN, "legal_consent": False,
                          "referring_agency": "erbil-police", "share_status_with_referrer": False,
                          "shelter_agency": "erbil-shelter"},
    "referral.withdrawn": {"reference": REF, "withdrawn_at": WHEN, "reason_code": "returned_home"},
    "referral.closed": {"reference": REF, "reason": "declined_settled", "previous_status": "declined",
                        "closed_at": WHEN},
    "referral.consent_changed": {"reference": REF, "audience": "provider",
                                 "agency": "duhok-shelter", "granted": True, "until": None,
                                 "changed_at": WHEN},
    "shelter.referral_offered": {"reference": REF, "agency": "duhok-shelter",
                                 "previous_agency": "erbil-shelter", "why": "referred_on",
                                 "reason_code": "language", "offered_at": WHEN,
                                 "answer_due_at": WHEN},
    "shelter.referral_unplaced": {"reference": REF, "previous_agency": "duhok-shelter",
                                  "reason": "no_provider_left", "flagged_at": WHEN},
    "shelter.screening_started": {"reference": REF, "agency": "duhok-shelter",
                                  "reason_code": "age_assessment", "started_at": WHEN},
    "shelter.resident_transferred": {"reference": REF, "from_agency": "erbil-shelter",
                                     "to_agency": "duhok-shelter", "from_facility": "erbil-1",
                                     "to_facility": "duhok-1", "population_group": "women",
                                     "beds": 1, "care_plan_shared": True, "transferred_at": WHEN},
    "shelter.partner_referral_changed": {"reference": REF, "partner_referral_id": "c" * 32,
                                         "agency": "erbil-shelter",
                                         "partner_agency": "iom-erbil",
                                         "service": "return_reintegration", "status": "done",
                                         "reason_code": None,
                                         "outcome_code": "service_delivered", "changed_at": WHEN},
    "shelter.referral_received": {"reference": REF, "received_at": WHEN, "agency": "erbil-shelter"},
    "shelter.referral_accepted": {"reference": REF, "decided_at": WHEN, "agency": "erbil-shelter",
                                  "reason_code": None},
    "shelter.referral_declined": {"reference": REF, "decided_at": WHEN, "agency": "erbil-shelter",
                                  "reason_code": "no_bed_in_group"},
    "shelter.capacity_changed": {"facility": "erbil-1", "population_group": "women", "capacity": 10,
                                 "out_of_service": 2, "occupied": 3, "held": 1, "available": 4,
                                 "change": "out_of_service",
                                 "changed_at": WHEN},
    "shelter.bed_held": {"reference": REF, "facility": "erbil-1", "population_group": "children",
                         "beds": 2, "held_at": WHEN, "expires_at": WHEN + timedelta(hours=48),
                         "offered_from_waitlist": False, "agency": "erbil-shelter"},
    "shelter.hold_expired": {"reference": REF, "facility": "erbil-1", "population_group": "women",
                             "beds": 1, "expired_at": WHEN, "agency": "erbil-shelter"},
    "shelter.waitlisted": {"reference": REF, "population_group": "men", "beds": 1,
                           "urgency": "emergency", "waitlisted_at": WHEN, "agency": "erbil-shelter"},
    "shelter.admitted": {"reference": REF, "admission_id": 7, "facility": "erbil-1",
                         "population_group": "women", "beds": 1, "case_manager": "cm.one",
                         "admitted_at": WHEN, "agency": "erbil-shelter"},
    "shelter.discharged": {"reference": REF, "admission_id": 7, "facility": "erbil-1",
                           "population_group": "women", "beds": 1, "outcome": "reintegrated",
                           "discharged_at": WHEN, "agency": "erbil-shelter"},
    "shelter.milestone_overdue": {"reference": REF, "admission_id": 7,
                                  "milestone": "legal_rights_briefing",
                                  "due_at": WHEN + timedelta(days=7), "facility": "erbil-1",
                                  "case_manager": "cm.one", "noticed_at": WHEN + timedelta(days=8),
                                  "agency": "erbil-shelter", "facility_manager": "mgr.one"},
    "shelter.task_changed": {"task_id": "9" * 32, "kind": "cash_approval", "status": "to_arrange",
                             "reference": REF, "agency": "erbil-shelter", "facility": "erbil-1",
                             "assignee": None, "requested_by": "cm.one",
                             "due_at": WHEN + timedelta(days=1), "changed_by": "cm.one",
                             "changed_at": WHEN},
    "referral.status_changed": {"reference": REF, "change": "accepted", "status": "accepted",
                                "agency": "erbil-shelter", "referring_agency": "erbil-police",
                                "submitted_by": "officer.one", "urgency": "urgent",
                                "share_status_with_referrer": True, "changed_at": WHEN},
    "shelter.legal_referral_requested": {"reference": REF, "request_id": "f" * 32,
                                         "service": "court_representation", "requested_at": WHEN,
                                         "agency": "erbil-shelter"},
    "legal.case_opened": {"reference": REF, "case_id": "a" * 32, "opened_at": WHEN},
    "legal.case_closed": {"reference": REF, "case_id": "a" * 32, "closed_at": WHEN,
                          "reason_code": "proceedings_concluded"},
    "legal.case_reopened": {"reference": REF, "case_id": "a" * 32, "reopened_at": WHEN,
                            "reason_code": "appeal_lodged"},
    "legal.court_status_changed": {"reference": REF, "case_id": "a" * 32, "court_case_id": "b" * 32,
                                   "court": "erbil-criminal-court", "status": "verdict",
                                   "previous_status": "trial", "verdict": "convicted",
                                   "changed_at": WHEN, "lawyer": "lawyer.one"},
    "legal.hearing_scheduled": {"reference": REF, "court_case_id": "b" * 32, "hearing_id": "c" * 32,
                                "court": "erbil-criminal-court", "starts_at": WHEN,
                                "time_zone": "Asia/Baghdad", "attendance_required": True,
                                "postponed_from": None, "scheduled_at": WHEN},
    "legal.hearing_outcome": {"reference": REF, "court_case_id": "b" * 32, "hearing_id": "c" * 32,
                              "court": "erbil-criminal-court", "outcome": "postponed",
                              "next_hearing_id": "d" * 32, "recorded_at": WHEN},
    "legal.hearing_reminder": {"reference": REF, "hearing_id": "c" * 32,
                               "court": "erbil-criminal-court", "starts_at": WHEN,
                               "time_zone": "Asia/Baghdad", "due_at": WHEN, "sent_at": WHEN,
                               "case_id": "a" * 32, "lawyer": "lawyer.one",
                               "shelter_agency": "erbil-shelter"},
    "legal.document_status_changed": {"reference": REF, "document_id": "e" * 32, "kind": "passport",
                                      "status": "issued", "changed_at": WHEN},
    "shelter.follow_up_ended": {"reference": REF, "ended_at": WHEN, "agency": "erbil-shelter",
                                "last_outcome": "reached_safe"},
}
# SAMPLES hold the latest version of each event; older versions that consumers still read:
OLDER_SAMPLES = {
    ("referral.submitted", 2): {"reference": REF, "population_group": "children",
                                "urgency": "urgent", "needs": ["shelter"], "children_count": 1,
                                "beds_needed": 2, "referring_agency": "erbil-police",
                                "submitted_at": WHEN, "requested_provider": None,
                                "service_languages": ["ar"]},
    ("referral.closed", 1): {"reference": REF, "reason": "no_decision", "previous_status": "received",
                             "closed_at": WHEN},
    ("legal.case_closed", 1): {"reference": REF, "case_id": "a" * 32, "closed_at": WHEN},
    ("shelter.milestone_overdue", 1): {"reference": REF, "admission_id": 7,
                                       "milestone": "legal_rights_briefing",
                                       "due_at": WHEN + timedelta(days=7), "facility": "erbil-1",
                                       "case_manager": "cm.one",
                                       "noticed_at": WHEN + timedelta(days=8),
                                       "agency": "erbil-shelter"},
    ("legal.court_status_changed", 1): {"reference": REF, "case_id": "a" * 32,
                                        "court_case_id": "b" * 32,
                                        "court": "erbil-criminal-court", "status": "verdict",
                                        "previous_status": "trial", "verdict": "convicted",
                                        "changed_at": WHEN},
    ("legal.hearing_reminder", 1): {"reference": REF, "hearing_id": "c" * 32,
                                    "court": "erbil-criminal-court", "starts_at": WHEN,
                                    "time_zone": "Asia/Baghdad", "due_at": WHEN, "sent_at": WHEN},
    ("referral.submitted", 1): {"reference": REF, "population_group": "children",
                                "urgency": "urgent", "needs": ["shelter", "legal"],
                                "children_count": 1, "beds_needed": 2,
                                "referring_agency": "erbil-police", "submitted_at": WHEN},
    ("referral.consent_changed", 1): {"reference": REF, "audience": "legal_team",
                                      "granted": False, "until": None, "changed_at": WHEN},
    ("shelter.capacity_changed", 1): {"facility": "erbil-1", "population_group": "women",
                                      "capacity": 10, "occupied": 3, "held": 1, "available": 6,
                                      "changed_at": WHEN},
    ("referral.accepted", 1): {"reference": REF, "decided_at": WHEN, "legal_consent": True},
    ("referral.declined", 1): {"reference": REF, "decided_at": WHEN, "legal_consent": False},
    ("referral.withdrawn", 1): {"reference": REF, "withdrawn_at": WHEN},
    ("shelter.referral_accepted", 1): {"reference": REF, "decided_at": WHEN,
                                       "agency": "erbil-shelter", "reason": None},
    ("shelter.referral_declined", 1): {"reference": REF, "decided_at": WHEN,
                                       "agency": "erbil-shelter", "reason": "no family room"},
    ("shelter.milestone_overdue", 1): {"reference": REF, "admission_id": 7,
                                       "milestone": "legal_rights_briefing",
                                       "due_at": WHEN + timedelta(days=7), "facility": "erbil-1",
                                       "case_manager": "cm.one",
                                       "noticed_at": WHEN + timedelta(days=8),
                                       "agency": "erbil-shelter"},
    ("legal.court_status_changed", 1): {"reference": REF, "case_id": "a" * 32,
                                        "court_case_id": "b" * 32, "court": "erbil-criminal-court",
                                        "status": "filed", "previous_status": None,
                                        "verdict": None, "changed_at": WHEN},
    ("legal.hearing_reminder", 1): {"reference": REF, "hearing_id": "c" * 32,
                                    "court": "erbil-criminal-court", "starts_at": WHEN,
                                    "time_zone": "Asia/Baghdad", "due_at": WHEN, "sent_at": WHEN},
}


def sample(key: tuple[str, int]) -> dict:
    return OLDER_SAMPLES.get(key) or SAMPLES[key[0]]

# Personal data must never travel in an event (it would spread to every consumer and the
# dead-letter queue). Exact names, and fragments no event field name may contain.
FORBIDDEN_FIELDS = {"name", "full_name", "alias", "phone", "telephone", "birth_year", "birth_date",
                    "date_of_birth", "dob", "age", "sex", "address", "narrative", "circumstances",
                    "nationality", "languages", "identified_place", "survivor", "officer",
                    "children", "submission", "file", "email"}
FORBIDDEN_FRAGMENTS = ("name", "phone", "birth", "address", "narrative", "circumstance", "email",
                       "passport")


def test_every_registered_event_has_a_sample():
    assert {t for (t, _v) in EVENT_SCHEMAS} == set(SAMPLES)


@pytest.mark.parametrize("key", sorted(EVENT_SCHEMAS), ids=lambda k: f"{k[0]}-v{k[1]}")
def test_every_event_schema_forbids_unknown_fields(key):
    schema = EVENT_SCHEMAS[key]()
    assert schema.unknown == RAISE
    data = {k: env._jsonable(v) for k, v in sample(key).items()}
    schema.load(data)  # the sample itself is valid...
    with pytest.raises(ValidationError) as info:
        schema.load({**data, "survivor_name": "Amina K."})  # ...and one extra key is not
    assert "survivor_name" in info.value.messages


@pytest.mark.parametrize("key", sorted(EVENT_SCHEMAS), ids=lambda k: f"{k[0]}-v{k[1]}")
def test_no_event_carries_personal_data_fields(key):
    names = set(EVENT_SCHEMAS[key]().fields)
    assert names, "an event schema without fields"
    assert not names & FORBIDDEN_FIELDS
    for name in names:
        assert not any(fragment in name for fragment in FORBIDDEN_FRAGMENTS), name


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_make_and_parse_event_round_trip(event_type):
    envelope = env.make_event(event_type, SAMPLES[event_type], source=event_type.split(".")[0],
                              correlation_id="req-12345678")
    assert envelope["type"] == event_type
    assert envelope["version"] == latest_version(event_type)
    assert uuid.UUID(envelope["event_id"])
    assert datetime.fromisoformat(envelope["occurred_at"]).tzinfo is not None
    parsed_envelope, payload = env.parse_event(envelope)
    assert parsed_envelope["event_id"] == uuid.UUID(envelope["event_id"])
    assert parsed_envelope["correlation_id"] == "req-12345678"
    expected = dict(SAMPLES[event_type])
    if event_type.startswith("shelter.referral_accepted"):
        expected["reason_code"] = None
    assert payload == expected


def test_make_event_turns_datetimes_into_utc_iso_text():
    local = datetime(2026, 11, 20, 12, 30, tzinfo=timezone(timedelta(hours=3)))
    envelope = env.make_event("referral.withdrawn", {"reference": REF, "withdrawn_at": local,
                                                     "reason_code": "other"},
                              source="referral", occurred_at=local)
    assert envelope["payload"]["withdrawn_at"] == "2026-11-20T09:30:00+00:00"
    assert envelope["occurred_at"] == "2026-11-20T09:30:00+00:00"


def test_envelopes_get_distinct_event_ids():
    a = env.make_event("referral.withdrawn", SAMPLES["referral.withdrawn"], source="referral")
    b = env.make_event("referral.withdrawn", SAMPLES["referral.withdrawn"], source="referral")
    assert a["event_id"] != b["event_id"]


@pytest.mark.parametrize("event_type,payload,field", [
    ("referral.withdrawn", {"reference": "RN-NOPE", "withdrawn_at": WHEN}, "reference"),
    ("referral.withdrawn", {"reference": REF, "reason_code": "other"}, "withdrawn_at"),
    ("referral.withdrawn", {"reference": REF, "withdrawn_at": WHEN, "reason_code": "fed up"},
     "reason_code"),
    ("referral.accepted", {"reference": REF, "decided_at": WHEN, "legal_consent": "maybe"}, "legal_consent"),
    ("referral.submitted", {**SAMPLES["referral.submitted"], "population_group": "elderly"}, "population_group"),
    ("referral.submitted", {**SAMPLES["referral.submitted"], "beds_needed": 0}, "beds_needed"),
    ("referral.submitted", {**SAMPLES["referral.submitted"], "name": "Amina K."}, "name"),
    ("shelter.referral_received", {"reference": REF, "received_at": "2026-11-20T09:30:00",
                                   "agency": "erbil-shelter"}, "received_at"),  # naive time
    ("legal.case_closed", {"reference": REF, "case_id": "a" * 32, "closed_at": WHEN},
     "reason_code"),  # v2 says why
    ("legal.case_closed", {**SAMPLES["legal.case_closed"], "reason_code": "appeal_lodged"},
     "reason_code"),  # a reopening's code is no closure's
    ("legal.case_reopened", {**SAMPLES["legal.case_reopened"], "reason_code": "lost_contact"},
     "reason_code"),
])
def test_make_event_refuses_a_payload_that_breaks_its_contract(event_type, payload, field):
    with pytest.raises(ValidationError) as info:
        env.make_event(event_type, payload, source=event_type.split(".")[0])
    assert field in info.value.messages


@pytest.mark.parametrize("changes,field", [
    ({"source": "gateway"}, "source"),
    ({"correlation_id": "x" * 101}, "correlation_id"),
])
def test_make_event_refuses_an_envelope_consumers_would_reject(changes, field):
    """make_event must not build an envelope that parse_event (the consumer) refuses: such an
    event would be redelivered and dead-lettered at every consumer."""
    kwargs = {"source": "referral", "correlation_id": None, **changes}
    with pytest.raises(ValidationError) as info:
        env.make_event("referral.withdrawn", SAMPLES["referral.withdrawn"], **kwargs)
    assert field in info.value.messages


def test_parse_event_refuses_a_payload_that_breaks_its_contract():
    envelope = env.make_event("referral.withdrawn", SAMPLES["referral.withdrawn"], source="referral")
    envelope["payload"]["phone"] = "+9647501234567"
    with pytest.raises(ValidationError) as info:
        env.parse_event(envelope)
    assert "phone" in info.value.messages


@pytest.mark.parametrize("field,value", [("event_id", "not-a-uuid"), ("type", "Referral.Submitted"),
                                         ("version", 0), ("source", "police"),
                                         ("occurred_at", "yesterday"), ("payload", ["a"])])
def test_parse_event_refuses_a_malformed_envelope(field, value):
    envelope = env.make_event("referral.withdrawn", SAMPLES["referral.withdrawn"], source="referral")
    envelope[field] = value
    with pytest.raises(ValidationError) as info:
        env.parse_event(envelope)
    assert field in info.value.messages


def test_make_event_with_unknown_type():
    with pytest.raises(env.UnknownEvent):
        env.make_event("referral.teleported", {"reference": REF}, source="referral")


def test_make_event_with_unknown_version():
    with pytest.raises(env.UnknownEvent):
        env.make_event("referral.withdrawn", SAMPLES["referral.withdrawn"], source="referral", version=99)


@pytest.mark.parametrize("event_type,version", [("referral.teleported", 1), ("referral.withdrawn", 3)])
def test_parse_event_with_unknown_type_or_version(event_type, version):
    envelope = env.make_event("referral.withdrawn", SAMPLES["referral.withdrawn"], source="referral")
    envelope.update(type=event_type, version=version)
    with pytest.raises(env.UnknownEvent):
        env.parse_event(envelope)


def test_latest_version_of_unknown_type():
    with pytest.raises(KeyError):
        latest_version("nothing.here")


# --- references -------------------------------------------------------------------------------------

def test_random_reference_format():
    for _ in range(20):
        reference = references.random_reference()
        assert references.PATTERN.match(reference), reference
        assert references.is_reference(reference)
        assert len(reference) == len("RN-") + 4 * 4 + 3


def test_random_references_differ():
    assert len({references.random_reference() for _ in range(50)}) == 50


def test_reference_for_key_is_stable_and_well_formed():
    a = references.reference_for_key(b"secret", "erbil-police", "key-1")
    assert a == references.reference_for_key(b"secret", "erbil-police", "key-1")
    assert references.is_reference(a)


@pytest.mark.parametrize("secret,agency,key", [
    (b"secret", "duhok-police", "key-1"),   # same key, another agency
    (b"secret", "erbil-police", "key-2"),   # another key
    (b"other", "erbil-police", "key-1"),    # another server secret
    (b"secret", "erbil-police\x00key", "-1"),  # the separator keeps (agency, key) apart
])
def test_reference_for_key_differs(secret, agency, key):
    base = references.reference_for_key(b"secret", "erbil-police", "key-1")
    assert references.reference_for_key(secret, agency, key) != base


def test_reference_for_key_agency_key_boundary():
    """('ab', 'c') and ('a', 'bc') must not collide."""
    assert (references.reference_for_key(b"s", "ab", "c")
            != references.reference_for_key(b"s", "a", "bc"))


@pytest.mark.parametrize("text", ["", None, "RN-ABCD-EFGH-IJKL", "RN-abcd-efgh-ijkl-mnop",
                                  "RN-ABCD-EFGH-IJKL-MNO0", "RN-ABCD-EFGH-IJKL-MNO8",
                                  "XX-ABCD-EFGH-IJKL-MNOP", REF + "-QRST", " " + REF])
def test_is_reference_refuses(text):
    assert references.is_reference(text) is False


def test_is_reference_accepts_fixture_references():
    assert references.is_reference(REF) and references.is_reference(REF2)


# --- topology names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("event_type,coded", [
    ("shelter.referral_declined", {"reason_code": "outside_mandate"}),
    ("referral.withdrawn", {"reason_code": "survivor_declined"}),
])
def test_a_decline_or_withdrawal_event_carries_a_code_and_never_free_text(event_type, coded):
    """docs/decisions/0036: the staff's or the police's own words stay with their service."""
    payload = {**SAMPLES[event_type], **coded}
    assert env.make_event(event_type, payload, source=event_type.split(".")[0])["payload"]["reason_code"] == coded["reason_code"]
    with pytest.raises(ValidationError):
        env.make_event(event_type, {**payload, "reason": "the survivor's brother threatened staff"},
                       source=event_type.split(".")[0])
    with pytest.raises(ValidationError):
        env.make_event(event_type, {**payload, "reason_code": "the brother threatened staff"},
                       source=event_type.split(".")[0])
