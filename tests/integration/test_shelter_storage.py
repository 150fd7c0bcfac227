"""The shelter's use cases (services/shelter/usecases) on real SQLite and PostgreSQL databases
built by the migrations."""

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, update

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.shelter import usecases
from services.shelter.tables import beds, incoming, outbox, processed_events

from tests.integration.conftest import caller, count

AGENCY = "erbil-shelter"
STAFF = caller("shelter", AGENCY, "staff.one")
ADMIN = caller("admin", "refnet-admin")


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("shelter", db_url))


def _submitted(reference: str | None = None, **overrides) -> dict:
    payload = {"reference": reference or random_reference(), "population_group": "women",
               "urgency": "emergency", "needs": ["shelter", "legal"], "children_count": 0,
               "beds_needed": 1, "referring_agency": "erbil-police",
               "submitted_at": datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc),
               "survivor_minor": False}
    payload.update(overrides)
    return make_event("referral.submitted", payload, source="referral", correlation_id="corr-s")


def _outbox(db) -> list[dict]:
    """The shelter's events but routing's (offers and flags, tested in test_routing_storage.py)."""
    with db.read() as s:
        return [e for e in (json.loads(b) for b in s.execute(
            select(outbox.c.body).order_by(outbox.c.id)).scalars())
            if e["type"] not in ("shelter.referral_offered", "shelter.referral_unplaced")]


def _received_ref(db) -> str:
    event = _submitted()
    assert usecases.apply_event(db, event, agency=AGENCY) is True
    return event["payload"]["reference"]


# --- incoming referrals --------------------------------------------------------------------------

def test_a_submitted_referral_is_received_once(db):
    event = _submitted(children_count=2, beds_needed=3, population_group="children")
    reference = event["payload"]["reference"]
    assert usecases.apply_event(db, event, agency=AGENCY) is True
    assert usecases.apply_event(db, event, agency=AGENCY) is False  # redelivered
    # a different event about the same referral (a replay by the referral service) adds nothing
    assert usecases.apply_event(db, _submitted(reference), agency=AGENCY) is True

    [view] = usecases.list_incoming(db, STAFF)["items"]
    assert {k: view[k] for k in ("reference", "population_group", "urgency", "needs",
                                 "children_count", "beds_needed", "referring_agency", "status",
                                 "decided_at", "decision_reason")} == {
        "reference": reference, "population_group": "children", "urgency": "emergency",
        "needs": ["shelter", "legal"], "children_count": 2, "beds_needed": 3,
        "referring_agency": "erbil-police", "status": "received", "decided_at": None,
        "decision_reason": None}
    [receipt] = _outbox(db)
    assert (receipt["type"], receipt["source"], receipt["correlation_id"]) == \
        ("shelter.referral_received", "shelter", "corr-s")
    assert {k: receipt["payload"][k] for k in ("reference", "agency")} == {"reference": reference, "agency": AGENCY}
    assert (count(db, incoming), count(db, processed_events)) == (1, 2)


def test_decide_accept_then_a_second_decision_conflicts(db):
    reference = _received_ref(db)
    result = usecases.decide(db, STAFF, reference, "accept", None, correlation_id="corr-d")
    assert (result["reference"], result["status"]) == (reference, "accepted")
    assert result["placement"]["state"] == "waitlisted"  # no facility has a bed for it

    for decision, code in (("accept", None), ("decline", "other")):
        with pytest.raises(Conflict):
            usecases.decide(db, STAFF, reference, decision, "changed our mind", reason_code=code)

    with db.read() as s:
        row = s.execute(select(incoming).where(incoming.c.reference == reference)).one()
    assert (row.status, row.decided_by, row.decision_reason) == ("accepted", "staff.one", None)
    events = _outbox(db)
    assert [e["type"] for e in events] == ["shelter.referral_received", "shelter.referral_accepted",
                                           "shelter.waitlisted"]
    assert events[1]["payload"] == {"reference": reference, "decided_at": events[1]["payload"]["decided_at"],
                                    "agency": AGENCY, "reason_code": None}
    assert events[1]["correlation_id"] == events[2]["correlation_id"] == "corr-d"
    assert [e["reference"] for e in usecases.waitlist(db, STAFF)] == [reference]
    assert usecases.list_incoming(db, STAFF)["items"] == []
    assert [v["reference"] for v in usecases.list_incoming(db, STAFF, "accepted")["items"]] == [reference]


NOTE = "Her brother Karwan threatened the night guard"  # a note that must stay in this service


def test_decline_needs_a_reason_code_keeps_its_note_and_sends_only_the_code(db):
    reference = _received_ref(db)
    for code in (None, "   ", "full up"):  # no code, or one that is not a decline reason
        with pytest.raises(InvalidInput) as info:
            usecases.decide(db, STAFF, reference, "decline", NOTE, reason_code=code)
        assert info.value.field == "reason_code"
    with pytest.raises(InvalidInput):
        usecases.decide(db, STAFF, reference, "maybe", None)
    assert [e["type"] for e in _outbox(db)] == ["shelter.referral_received"]  # nothing changed
    assert usecases.decide(db, STAFF, reference, "decline", NOTE,
                           reason_code="safety_risk_to_residents")["status"] == "declined"
    with pytest.raises(Conflict):
        usecases.decide(db, STAFF, reference, "decline", "again", reason_code="other")
    [view] = usecases.list_incoming(db, STAFF, "declined")["items"]
    assert (view["decision_reason_code"], view["decision_reason"]) == (
        "safety_risk_to_residents", NOTE)
    events = _outbox(db)
    assert [e["type"] for e in events] == ["shelter.referral_received", "shelter.referral_declined"]
    assert (events[1]["version"], events[1]["payload"]["reason_code"]) == (2, "safety_risk_to_residents")
    assert "Karwan" not in json.dumps(events)


def test_decide_refuses_unknown_referrals_and_other_roles(db):
    reference = _received_ref(db)
    with pytest.raises(NotFound):
        usecases.decide(db, STAFF, random_reference(), "accept", None)
    with pytest.raises(NotFound):
        usecases.decide(db, STAFF, "not-a-reference", "accept", None)
    with pytest.raises(Forbidden):
        usecases.decide(db, caller("police", "erbil-police"), reference, "accept", None)
    with pytest.raises(Forbidden):
        usecases.list_incoming(db, caller("legal", "legal-aid"))
    with pytest.raises(InvalidInput):
        usecases.list_incoming(db, STAFF, "lost")["items"]
    assert [e["type"] for e in _outbox(db)] == ["shelter.referral_received"]


def test_a_withdrawal_closes_an_undecided_or_accepted_referral_only(db):
    open_ref, accepted_ref, declined_ref = _received_ref(db), _received_ref(db), _received_ref(db)
    usecases.decide(db, STAFF, accepted_ref, "accept", None)  # waitlisted: no facility yet
    usecases.decide(db, STAFF, declined_ref, "decline", "not for us", reason_code="outside_mandate")
    for reference in (open_ref, accepted_ref, declined_ref):
        withdrawn = make_event("referral.withdrawn", {"reference": reference,
                                                      "withdrawn_at": datetime.now(timezone.utc),
                                                      "reason_code": "placed_elsewhere"},
                               source="referral")
        assert usecases.apply_event(db, withdrawn, agency=AGENCY) is True
        assert usecases.apply_event(db, withdrawn, agency=AGENCY) is False
    assert sorted(v["reference"] for v in usecases.list_incoming(db, STAFF, "withdrawn")["items"]) == \
        sorted([open_ref, accepted_ref])
    assert [v["reference"] for v in usecases.list_incoming(db, STAFF, "declined")["items"]] == [declined_ref]
    assert usecases.waitlist(db, STAFF) == []  # the withdrawn referral left the waitlist


# --- beds ----------------------------------------------------------------------------------------

def test_set_capacity_and_availability(db):
    usecases.register_facility(db, ADMIN, "erbil-1", "Erbil shelter", provider="erbil-shelter")
    with pytest.raises(Conflict) as twice:  # ids are never reused: the first is left as it is
        usecases.register_facility(db, ADMIN, "erbil-1", "renamed?", provider="erbil-shelter")
    assert twice.value.field == "facility"
    view = usecases.set_capacity(db, STAFF, "erbil-1", "women", 10, correlation_id="corr-c")
    assert {k: view[k] for k in ("facility", "population_group", "capacity", "occupied", "held", "available")} == \
        {"facility": "erbil-1", "population_group": "women", "capacity": 10, "occupied": 0,
         "held": 0, "available": 10}
    usecases.set_capacity(db, ADMIN, "erbil-1", "women", 12)
    [row] = usecases.availability(db, caller("police", "erbil-police"))
    assert {k: row[k] for k in ("facility", "facility_name", "population_group", "capacity", "available")} == \
        {"facility": "erbil-1", "facility_name": "Erbil shelter", "population_group": "women",
         "capacity": 12, "available": 12}
    events = _outbox(db)
    assert [(e["type"], e["payload"]["capacity"]) for e in events] == \
        [("shelter.capacity_changed", 10), ("shelter.capacity_changed", 12)]
    assert events[0]["correlation_id"] == "corr-c"


def test_set_capacity_refuses_bad_values(db):
    usecases.register_facility(db, ADMIN, "erbil-1", "Erbil shelter", provider="erbil-shelter")
    usecases.set_capacity(db, STAFF, "erbil-1", "women", 6)
    with db.write() as s:  # beds in use (admissions are not built yet)
        s.execute(update(beds).where(beds.c.facility_id == "erbil-1").values(occupied=3, held=1))

    with pytest.raises(InvalidInput) as negative:
        usecases.set_capacity(db, STAFF, "erbil-1", "women", -1)
    with pytest.raises(Conflict) as below:
        usecases.set_capacity(db, STAFF, "erbil-1", "women", 3)
    with pytest.raises(NotFound):
        usecases.set_capacity(db, STAFF, "nowhere", "women", 5)
    with pytest.raises(InvalidInput):
        usecases.set_capacity(db, STAFF, "erbil-1", "aliens", 5)
    with pytest.raises(InvalidInput):
        usecases.set_capacity(db, STAFF, "erbil-1", "women", True)
    with pytest.raises(Forbidden):
        usecases.set_capacity(db, caller("police", "erbil-police"), "erbil-1", "women", 9)
    assert (negative.value.field, below.value.field) == ("capacity", "capacity")

    [row] = usecases.availability(db, ADMIN)
    assert (row["capacity"], row["occupied"], row["held"], row["available"]) == (6, 3, 1, 2)
    assert count(db, outbox) == 1  # refusals queue nothing

    exactly = usecases.set_capacity(db, STAFF, "erbil-1", "women", 4)  # exactly the beds in use
    assert (exactly["capacity"], exactly["available"]) == (4, 0)
    assert count(db, outbox) == 2


def test_list_facilities_names_every_facility_and_none_before_the_first(db):
    assert usecases.list_facilities(db, ADMIN) == []  # what `refnet up` reads as a new network
    usecases.register_facility(db, ADMIN, "erbil-2", "Second shelter", provider="erbil-shelter")  # no beds yet: still listed
    usecases.register_facility(db, ADMIN, "erbil-1", "Erbil shelter", provider="erbil-shelter")
    usecases.set_capacity(db, STAFF, "erbil-1", "women", 3)
    assert [(f["facility"], f["name"], f["provider"], f["status"])
            for f in usecases.list_facilities(db, STAFF)] == [
        ("erbil-1", "Erbil shelter", "erbil-shelter", "open"),
        ("erbil-2", "Second shelter", "erbil-shelter", "open")]
    assert usecases.list_facilities(db, caller("shelter", "other-shelter")) == []
    with pytest.raises(Forbidden):
        usecases.list_facilities(db, caller("police", "erbil-police"))
    assert count(db, outbox) == 1  # reading queues nothing (the one event is the capacity's)


def test_register_facility_validates(db):
    with pytest.raises(Forbidden) as other:  # staff register their own organisation's only
        usecases.register_facility(db, STAFF, "erbil-2", "x", provider="other-shelter")
    with pytest.raises(InvalidInput) as bad_id:
        usecases.register_facility(db, ADMIN, "bad id!", "x", provider="erbil-shelter")
    with pytest.raises(InvalidInput) as unnamed:  # an administrator names the provider
        usecases.register_facility(db, ADMIN, "erbil-2", "x")
    with pytest.raises(InvalidInput) as bad_provider:
        usecases.register_facility(db, ADMIN, "erbil-2", "x", provider="Not An Id!")
    with pytest.raises(InvalidInput) as no_name:
        usecases.register_facility(db, STAFF, "erbil-2", "  ")
    with pytest.raises(Forbidden):
        usecases.register_facility(db, caller("police", "erbil-police"), "erbil-2", "x")
    assert [e.value.field for e in (other, bad_id, unnamed, bad_provider, no_name)] == [
        "provider", "facility", "provider", "provider", "name"]
    assert usecases.list_facilities(db, ADMIN) == []
    # staff register for their own agency without naming it
    assert usecases.register_facility(db, STAFF, "erbil-2", " Second ")["provider"] == AGENCY
