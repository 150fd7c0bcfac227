"""Shelter capacity on real SQLite and PostgreSQL (no broker): holds on accept, the waitlist,
hold expiry run by two "replicas" at once, admissions, discharges, refusals that change
nothing, and many simultaneous accepts that never overbook.

Fixtures live in this file on purpose (tests/integration/conftest.py is being changed by
others); the package's conftest still monkey-patches eventlet, so threads here are green and
psycopg2 is cooperative: PostgreSQL sees truly concurrent transactions.
"""

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.migrations import upgrade
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.shelter import usecases
from services.shelter.tables import beds, capacity_history, incoming, outbox, placements
from refnet.harness import postgres as support_postgres

ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
STAFF = Caller(user="intake.one", role="shelter", agency="erbil-shelter")
POLICE = Caller(user="officer.one", role="police", agency="erbil-tip-unit")
FACILITY = "test-shelter"
HOLD = timedelta(hours=48)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / ('shelter-' + uuid.uuid4().hex[:6] + '.db')}"
    else:
        url = support_postgres.create_database("refnet_it_capacity")
    upgrade("shelter", url)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
        if request.param == "postgres":
            support_postgres.drop_database(url)


def facility(db, **capacity):
    usecases.register_facility(db, ADMIN, FACILITY, "Test shelter", provider="erbil-shelter")
    for group, n in capacity.items():
        usecases.set_capacity(db, ADMIN, FACILITY, group, n)


def referral(db, group="women", urgency="urgent", children=0) -> str:
    """A referral the shelter received (as the referral.submitted event would bring it)."""
    reference = random_reference()
    event = make_event("referral.submitted", {
        "reference": reference, "population_group": group, "urgency": urgency,
        "needs": ["shelter"], "children_count": children, "beds_needed": 1 + children,
        "referring_agency": "erbil-tip-unit", "submitted_at": datetime.now(timezone.utc),
        "survivor_minor": False}, source="referral")
    assert usecases.apply_event(db, event, agency="erbil-shelter")
    return reference


def accept(db, reference, hold=HOLD):
    return usecases.decide(db, STAFF, reference, "accept", None, hold=hold)


def counts(db, group="women") -> dict:
    with db.read() as s:
        r = s.execute(select(beds).where(beds.c.facility_id == FACILITY,
                                         beds.c.population_group == group)).first()
    return {"capacity": r.capacity, "out_of_service": r.out_of_service, "occupied": r.occupied,
            "held": r.held}


def states(db) -> dict:
    with db.read() as s:
        return {r.reference: r.state for r in s.execute(select(placements))}


def outbox_types(db) -> list[str]:
    with db.read() as s:
        return [r.type for r in s.execute(select(outbox.c.type).order_by(outbox.c.id))]


def assert_counts_agree(db):
    """The invariant: counters equal the sum of the placements that take beds, and
    available = capacity - out of service - occupied - held is never negative."""
    with db.read() as s:
        for r in s.execute(select(beds)).all():
            held = s.execute(select(func.coalesce(func.sum(placements.c.beds), 0)).where(
                placements.c.facility_id == r.facility_id,
                placements.c.population_group == r.population_group,
                placements.c.state == "held")).scalar_one()
            occupied = s.execute(select(func.coalesce(func.sum(placements.c.beds), 0)).where(
                placements.c.facility_id == r.facility_id,
                placements.c.population_group == r.population_group,
                placements.c.state == "admitted")).scalar_one()
            assert (r.held, r.occupied) == (held, occupied), r
            assert r.capacity - r.out_of_service - r.occupied - r.held >= 0, r


# --- holds, waitlist, admission, discharge ---------------------------------------------------

def test_accept_holds_beds_or_waitlists_and_a_second_accept_is_refused(db):
    facility(db, women=1, children=3)
    first, second = referral(db), referral(db)
    family = referral(db, group="children", children=2)

    held = accept(db, first)
    assert held["status"] == "accepted" and held["placement"]["state"] == "held"
    assert held["placement"]["facility"] == FACILITY
    waiting = accept(db, second)
    assert waiting["placement"]["state"] == "waitlisted"
    assert "no women bed free" in waiting["placement"]["reason"]
    assert accept(db, family)["placement"]["beds"] == 3
    assert counts(db, "children")["held"] == 3

    with pytest.raises(Conflict):
        accept(db, first)
    assert counts(db) == {"capacity": 1, "out_of_service": 0, "occupied": 0, "held": 1}
    assert outbox_types(db).count("shelter.bed_held") == 2
    assert outbox_types(db).count("shelter.waitlisted") == 1
    assert_counts_agree(db)


def test_admit_from_hold_discharge_frees_the_bed_for_the_first_in_line(db):
    facility(db, women=1)
    resident = referral(db)
    routine, emergency, later_emergency = (referral(db, urgency="routine"),
                                           referral(db, urgency="emergency"),
                                           referral(db, urgency="emergency"))
    accept(db, resident)
    for reference in (routine, emergency, later_emergency):
        assert accept(db, reference)["placement"]["state"] == "waitlisted"
    order = [e["reference"] for e in usecases.waitlist(db, STAFF, "women")]
    assert order == [emergency, later_emergency, routine]

    admission = usecases.admit(db, STAFF, FACILITY, resident, "cm.one")
    assert counts(db) == {"capacity": 1, "out_of_service": 0, "occupied": 1, "held": 0}
    board = usecases.bed_board(db, STAFF, FACILITY)
    places = board["groups"][0]["places"]
    assert [(p["reference"], p["state"], p["case_manager"]) for p in places] == [(resident, "admitted", "cm.one")]

    # Staff move the routine referral to the front, with a reason that is recorded.
    moved = usecases.reorder_waitlist(db, STAFF, routine, 5, "medical follow-up nearby")
    assert moved["position"] == 1 and moved["priority_reason"] == "medical follow-up nearby"
    assert moved["priority_set_by"] == "intake.one"

    done = usecases.discharge(db, STAFF, FACILITY, admission["admission_id"], "reintegrated")
    assert done["offered_to"] == [routine]
    assert states(db)[routine] == "held" and states(db)[resident] == "discharged"
    assert counts(db) == {"capacity": 1, "out_of_service": 0, "occupied": 0, "held": 1}
    census = usecases.daily_census(db, STAFF, FACILITY)
    assert [a["reference"] for a in census["arrivals"]] == [resident]
    assert [d["reference"] for d in census["departures"]] == [resident]
    assert census["census"]["women"] == {"residents": 0, "beds_occupied": 0}
    assert_counts_agree(db)


def test_direct_admission_when_a_bed_is_free_and_refusal_when_none(db):
    facility(db, women=1)
    waiting_one, waiting_two = referral(db), referral(db)
    usecases.set_capacity(db, ADMIN, FACILITY, "women", 0)
    accept(db, waiting_one)
    accept(db, waiting_two)
    with pytest.raises(Conflict) as info:
        usecases.admit(db, STAFF, FACILITY, waiting_one, "cm.one")
    assert info.value.field == "facility" and "no women bed free" in info.value.detail
    # a bed comes back: offered to the first in line (a hold), not lost
    usecases.set_capacity(db, ADMIN, FACILITY, "women", 1)
    assert states(db) == {waiting_one: "held", waiting_two: "waitlisted"}
    assert_counts_agree(db)


# --- expiry -------------------------------------------------------------------------------------

def test_an_expired_hold_is_released_once_and_offered_on(db):
    facility(db, women=1)
    holder, next_in_line = referral(db), referral(db)
    accept(db, holder, hold=timedelta(seconds=1))
    accept(db, next_in_line)
    assert usecases.expire_holds(db, now=datetime.now(timezone.utc)) == []  # not yet due

    later = datetime.now(timezone.utc) + timedelta(seconds=5)
    results, errors = [], []

    def replica():
        try:
            results.append(usecases.expire_holds(db, now=later))
        except Exception as exc:  # pragma: no cover - shown on failure
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(sum(results, [])) == [holder]  # applied once across "replicas"
    assert states(db) == {holder: "expired", next_in_line: "held"}
    assert outbox_types(db).count("shelter.hold_expired") == 1
    assert_counts_agree(db)


# --- refusals change nothing -------------------------------------------------------------------

def _snapshot(db):
    with db.read() as s:
        return (s.execute(select(beds).order_by(beds.c.population_group)).all(),
                s.execute(select(placements).order_by(placements.c.id)).all(),
                s.execute(select(func.count()).select_from(outbox)).scalar_one(),
                s.execute(select(func.count()).select_from(capacity_history)).scalar_one(),
                s.execute(select(incoming.c.reference, incoming.c.status)).all())


def test_bad_requests_are_refused_with_a_reason_and_change_nothing(db):
    facility(db, women=2)
    resident, declined = referral(db), referral(db)
    accept(db, resident)
    admission = usecases.admit(db, STAFF, FACILITY, resident, "cm.one")
    usecases.decide(db, STAFF, declined, "decline", "needs specialised care",
                    reason_code="needs_beyond_capacity")
    before = _snapshot(db)

    cases = [
        (lambda: usecases.discharge(db, STAFF, FACILITY, admission["admission_id"], "vanished"),
         InvalidInput, "outcome"),
        (lambda: usecases.admit(db, STAFF, FACILITY, declined, "cm.one"), Conflict, "reference"),
        (lambda: usecases.set_capacity(db, ADMIN, FACILITY, "women", -1), InvalidInput, "capacity"),
        (lambda: usecases.set_capacity(db, ADMIN, FACILITY, "women", 0), Conflict, "capacity"),
        (lambda: usecases.set_out_of_service(db, STAFF, FACILITY, "women", 2, "leak", "2030-01-01"),
         Conflict, "beds"),
        (lambda: usecases.set_out_of_service(db, STAFF, FACILITY, "women", 1, None, "2030-01-01"),
         InvalidInput, "reason"),
        (lambda: usecases.admit(db, STAFF, FACILITY, resident, "cm.one"), Conflict, "reference"),
        (lambda: usecases.admit(db, STAFF, FACILITY, resident, "Case Manager Name"), InvalidInput, "case_manager"),
        (lambda: usecases.discharge(db, STAFF, FACILITY, 9999, "other"), NotFound, "admission"),
        (lambda: usecases.reorder_waitlist(db, STAFF, resident, 3, "why"), NotFound, "reference"),
        (lambda: usecases.admit(db, POLICE, FACILITY, resident, "cm.one"), Exception, None),
    ]
    for call, error, field in cases:
        with pytest.raises(error) as info:
            call()
        if field:
            assert info.value.field == field, (info.value, field)
        assert "Zerya" not in str(info.value)
    assert _snapshot(db) == before


def test_out_of_service_beds_are_not_available_and_are_recorded(db):
    facility(db, women=3)
    view = usecases.set_out_of_service(db, STAFF, FACILITY, "women", 2, "water damage", "2030-01-31")
    assert (view["out_of_service"], view["available"]) == (2, 1)
    first, second = referral(db), referral(db)
    assert accept(db, first)["placement"]["state"] == "held"
    assert accept(db, second)["placement"]["state"] == "waitlisted"
    board = usecases.bed_board(db, STAFF, FACILITY)["groups"][0]
    assert board["out_of_service_reason"] == "water damage"
    assert board["out_of_service_until"] == "2030-01-31"
    # the beds come back: the waitlisted referral is offered one
    usecases.set_out_of_service(db, STAFF, FACILITY, "women", 0, None, None)
    assert states(db)[second] == "held"
    history = usecases.capacity_history_of(db, STAFF, FACILITY)
    assert [h["change"] for h in history][:2] == ["out_of_service", "out_of_service"]
    assert history[1]["reason"] == "water damage" and history[1]["changed_by"] == "intake.one"
    assert_counts_agree(db)


# --- concurrency --------------------------------------------------------------------------------

def test_simultaneous_accepts_never_overbook(db):
    facility(db, women=7)
    references = [referral(db) for _ in range(30)]
    outcomes, errors = [], []
    barrier = threading.Barrier(len(references) + 10)

    def go(reference):
        barrier.wait()
        try:
            outcomes.append(accept(db, reference)["placement"]["state"])
        except Conflict:
            outcomes.append("refused")
        except Exception as exc:  # pragma: no cover
            errors.append(repr(exc))

    # 30 referrals, and 10 more threads accepting the first one again
    threads = [threading.Thread(target=go, args=(r,)) for r in references + [references[0]] * 10]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert outcomes.count("held") == 7
    assert outcomes.count("waitlisted") == 23
    assert outcomes.count("refused") == 10
    assert counts(db) == {"capacity": 7, "out_of_service": 0, "occupied": 0, "held": 7}
    assert sorted(states(db).values()) == ["held"] * 7 + ["waitlisted"] * 23
    assert_counts_agree(db)


def test_events_carry_no_personal_data(db):
    facility(db, women=1)
    reference = referral(db)
    accept(db, reference)
    admission = usecases.admit(db, STAFF, FACILITY, reference, "cm.one")
    usecases.discharge(db, STAFF, FACILITY, admission["admission_id"], "self_exit")
    with db.read() as s:
        bodies = [json.loads(b) for b in s.execute(select(outbox.c.body)).scalars()]
    kinds = {b["type"] for b in bodies}
    assert {"shelter.bed_held", "shelter.admitted", "shelter.discharged",
            "shelter.capacity_changed"} <= kinds
    for body in bodies:
        assert set(body["payload"]) <= {"reference", "facility", "population_group", "beds",
                                         "held_at", "expires_at", "offered_from_waitlist", "agency",
                                         "admission_id", "case_manager", "admitted_at", "outcome",
                                         "discharged_at", "capacity", "out_of_service", "occupied",
                                         "held", "available", "change", "changed_at",
                                         "received_at", "decided_at", "reason_code",
                                         # routing's offer (docs/decisions/0039): agency ids,
                                         # codes and times
                                         "previous_agency", "why", "offered_at",
                                         "answer_due_at"}
