"""Routing's use cases (services/shelter/usecases/routing.py and intake) on real SQLite and
PostgreSQL databases built by the migrations: the providers copy, the first holder, a decline
and a refer-on passing the referral on, escalation claimed once, the incoming list's cursor
(docs/decisions/0039)."""

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.common.errors import InvalidInput, NotFound
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.shelter import usecases
from services.shelter.domain.routing import Timing
from services.shelter.tables import beds, facilities, incoming, outbox, providers, referral_offers

from tests.integration.conftest import caller, count

DEFAULT = "erbil-shelter"
B, C = "provider-b", "provider-c"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
TIMING = Timing(DEFAULT, urgent=timedelta(minutes=60), routine=timedelta(minutes=240))
STAFF_A, STAFF_B, STAFF_C = (caller("shelter", a, f"staff.{a}") for a in (DEFAULT, B, C))


@pytest.fixture
def db(databases, db_url):
    database = databases.database(databases.migrated("shelter", db_url))
    with database.write() as s:  # the default provider's facility with women's beds
        s.execute(facilities.insert().values(id=DEFAULT, name="Demo", provider=DEFAULT,
                                            created_at=T0))
        s.execute(beds.insert().values(facility_id=DEFAULT, population_group="women",
                                       capacity=5, occupied=0, held=0, updated_at=T0))
    return database


def _apply(db, event_type, payload, now=T0):
    return usecases.apply_event(db, make_event(event_type, payload, source="referral"),
                                agency=DEFAULT, now=now, timing=TIMING)


def _provider(db, agency, kind="shelter_provider", active=True, order=None, languages=("ar",)):
    assert _apply(db, "referral.agency_changed", {
        "agency": agency, "kind": kind, "active": active, "region": "Erbil",
        "services": ["shelter", "legal"], "spoken_languages": list(languages),
        "routing_order": order, "changed_at": T0})


def _submit(db, urgency="urgent", requested=None, now=T0, languages=()):
    reference = random_reference()
    assert _apply(db, "referral.submitted", {
        "reference": reference, "population_group": "women", "urgency": urgency,
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "erbil-police", "submitted_at": now,
        "requested_provider": requested, "service_languages": list(languages),
        "survivor_minor": False}, now)
    return reference


def _holder(db, reference):
    with db.read() as s:
        return s.execute(select(incoming.c.held_by).where(incoming.c.reference == reference)).scalar()


def _events(db, event_type):
    with db.read() as s:
        return [json.loads(b)["payload"] for b in s.execute(
            select(outbox.c.body).where(outbox.c.type == event_type).order_by(outbox.c.id)).scalars()]


def test_the_migration_registers_the_default_provider_and_the_copy_follows_the_directory(db):
    with db.read() as s:
        assert s.execute(select(providers.c.agency, providers.c.active)).all() == [(DEFAULT, True)]
    _provider(db, B, order=2)
    _provider(db, B, order=5, active=False)   # changed: updated, not added
    _provider(db, "legal-x", kind="legal_aid")
    with db.read() as s:
        rows = {r.agency: r for r in s.execute(select(providers))}
    assert set(rows) == {DEFAULT, B}
    assert (rows[B].active, rows[B].routing_order) == (False, 5)


def test_an_addressed_referral_ends_with_its_providers_decline(db):
    """The police chose the provider: its decline returns the referral to them (declined), it
    is offered to nobody else and flagged to nobody, though another provider fits."""
    _provider(db, DEFAULT, order=1)
    _provider(db, B, order=2)
    reference = _submit(db, requested=DEFAULT)
    assert _holder(db, reference) == DEFAULT
    answer = usecases.decide(db, STAFF_A, reference, "decline", None, reason_code="outside_mandate",
                             now=T0 + timedelta(minutes=5), timing=TIMING)
    assert (answer["status"], _holder(db, reference)) == ("declined", DEFAULT)
    assert [(e["agency"], e["why"]) for e in _events(db, "shelter.referral_offered")] == [
        (DEFAULT, "addressed")]
    assert _events(db, "shelter.referral_unplaced") == []
    assert [e["reason_code"] for e in _events(db, "shelter.referral_declined")] == ["outside_mandate"]
    assert usecases.list_incoming(db, STAFF_B)["items"] == []


def test_network_referral_routed_declined_on_then_declined_and_flagged(db):
    _provider(db, DEFAULT, order=1)
    _provider(db, B, order=2)
    reference = _submit(db)
    assert _holder(db, reference) == DEFAULT    # the provider with a facility of the group
    with pytest.raises(NotFound):
        usecases.decide(db, STAFF_B, reference, "accept", None, timing=TIMING)
    assert usecases.list_incoming(db, STAFF_B)["items"] == []

    passed = usecases.decide(db, STAFF_A, reference, "decline", "full", reason_code="no_bed_in_group",
                             now=T0 + timedelta(minutes=5), timing=TIMING)
    assert (passed["held_by"], _holder(db, reference)) == (B, B)
    assert [r["reference"] for r in usecases.list_incoming(db, STAFF_B)["items"]] == [reference]
    assert usecases.list_incoming(db, STAFF_A)["items"] == []
    with pytest.raises(NotFound):
        usecases.decide(db, STAFF_A, reference, "accept", None, timing=TIMING)

    # B declines too: nobody is left, the referral is declined and flagged once
    last = usecases.decide(db, STAFF_B, reference, "decline", None, reason_code="outside_mandate",
                           now=T0 + timedelta(minutes=9), timing=TIMING)
    assert last["status"] == "declined"
    assert [(e["agency"], e["why"], e["previous_agency"]) for e in
            _events(db, "shelter.referral_offered")] == [(DEFAULT, "routed", None),
                                                         (B, "declined", DEFAULT)]
    assert [e["previous_agency"] for e in _events(db, "shelter.referral_unplaced")] == [B]
    assert [e["agency"] for e in _events(db, "shelter.referral_declined")] == [B]
    with db.read() as s:
        offers = s.execute(select(referral_offers.c.agency, referral_offers.c.reason_code)
                           .order_by(referral_offers.c.id)).all()
    assert offers == [(DEFAULT, "no_bed_in_group"), (B, "outside_mandate")]


def test_addressed_referral_held_by_the_provider_named(db):
    _provider(db, B, order=2)
    reference = _submit(db, requested=B)
    assert _holder(db, reference) == B
    assert _events(db, "shelter.referral_offered")[0]["why"] == "addressed"


def test_refer_on_refusals_name_to_and_change_nothing(db):
    _provider(db, B, order=2)
    _provider(db, C, order=3, active=False)
    _provider(db, "legal-x", kind="legal_aid")
    reference = _submit(db)
    for to in (DEFAULT, C, "legal-x", "nobody"):
        with pytest.raises(InvalidInput) as info:
            usecases.decide(db, STAFF_A, reference, "refer_on", None, reason_code="language",
                            to=to, timing=TIMING)
        assert info.value.field == "to", to
    with pytest.raises(InvalidInput) as info:
        usecases.decide(db, STAFF_A, reference, "refer_on", None, reason_code="whim", to=B,
                        timing=TIMING)
    assert info.value.field == "reason"
    assert (_holder(db, reference), count(db, referral_offers)) == (DEFAULT, 1)
    moved = usecases.decide(db, STAFF_A, reference, "refer_on", None, reason_code="language",
                            to=B, timing=TIMING)
    assert (moved["status"], moved["held_by"], _holder(db, reference)) == ("referred_on", B, B)
    with pytest.raises(InvalidInput):  # A was offered it before
        usecases.decide(db, STAFF_B, reference, "refer_on", None, reason_code="language",
                        to=DEFAULT, timing=TIMING)


def test_escalation_is_claimed_once_by_concurrent_sweeps(db):
    _provider(db, DEFAULT, order=1)
    _provider(db, B, order=2)
    urgent, routine = _submit(db, "urgent"), _submit(db, "routine")
    assert usecases.escalate(db, TIMING, now=T0 + timedelta(minutes=59)) == []
    results, barrier = [], threading.Barrier(4)

    def sweep():
        barrier.wait()
        results.extend(usecases.escalate(db, TIMING, now=T0 + timedelta(minutes=61)))
    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [urgent]
    assert (_holder(db, urgent), _holder(db, routine)) == (B, DEFAULT)
    # an hour later B has not answered: nobody is left, flagged once, still B's
    later = T0 + timedelta(minutes=125)
    assert usecases.escalate(db, TIMING, now=later) == [urgent]
    assert usecases.escalate(db, TIMING, now=later) == []
    assert _holder(db, urgent) == B
    assert [e["reference"] for e in _events(db, "shelter.referral_unplaced")] == [urgent]
    assert [e["why"] for e in _events(db, "shelter.referral_offered")
            if e["reference"] == urgent] == ["routed", "escalated"]
    # the routine one is due after 4 hours
    assert usecases.escalate(db, TIMING, now=T0 + timedelta(minutes=241)) == [routine]
    assert _holder(db, routine) == B


def test_incoming_pages_most_urgent_then_newest_first(db):
    made = []
    for minute, urgency in enumerate(["routine", "urgent", "routine", "emergency", "urgent",
                                      "routine", "urgent"]):
        made.append((urgency, minute, _submit(db, urgency, now=T0 + timedelta(minutes=minute))))
    rank = {"emergency": 2, "urgent": 1, "routine": 0}
    expected = [r for _, _, r in sorted(made, key=lambda m: (-rank[m[0]], -m[1]))]
    seen, cursor = [], None
    while True:
        page = usecases.list_incoming(db, STAFF_A, "received", limit=3, cursor=cursor)
        seen += [r["reference"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    with pytest.raises(InvalidInput) as info:
        usecases.list_incoming(db, STAFF_A, cursor="not-a-cursor")
    assert info.value.field == "cursor"
