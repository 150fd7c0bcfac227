"""Several shelter providers in one shelter service (docs/decisions/0038), on SQLite and
PostgreSQL: each provider's staff act on their own facilities, beds, placements, waitlist and
plans only (404 otherwise, lists of their own rows), accepting holds beds only in the accepting
provider's facilities, freed beds go to that provider's waitlist, facilities are registered,
renamed and closed, and a resident moves between providers with her plan only when she
consented; bad input changes nothing."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.common.caller import Caller
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.shelter import usecases
from services.shelter.tables import beds, care_plans, facilities, outbox, placements
from services.shelter.usecases.report import report_figures

from tests.integration.conftest import table_dump

ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
A = Caller(user="cm.a", role="shelter", agency="ngo-a")
B = Caller(user="cm.b", role="shelter", agency="gov-b")
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
HOLD = timedelta(hours=48)


@pytest.fixture
def db(databases, db_url):
    db = databases.database(databases.migrated("shelter", db_url))
    usecases.register_facility(db, ADMIN, "a-house", "House A", provider="ngo-a", now=T0)
    usecases.register_facility(db, B, "b-house", "House B", now=T0)
    usecases.set_capacity(db, A, "a-house", "women", 2, now=T0)
    usecases.set_capacity(db, B, "b-house", "women", 2, now=T0)
    usecases.set_capacity(db, B, "b-house", "children", 3, now=T0)
    return db


def received(db, group="women", children=0, to="ngo-a") -> str:
    """A referral the police addressed to provider ``to`` (which so holds it)."""
    reference = random_reference()
    assert usecases.apply_event(db, make_event("referral.submitted", {
        "reference": reference, "population_group": group, "urgency": "urgent",
        "needs": ["shelter"], "children_count": children, "beds_needed": 1 + children,
        "referring_agency": "erbil-tip-unit", "submitted_at": T0, "requested_provider": to,
        "survivor_minor": False},
        source="referral"),
        agency="ngo-a", now=T0)
    return reference


def admitted(db, staff=A, facility="a-house") -> dict:
    reference = received(db, to=staff.agency)
    usecases.decide(db, staff, reference, "accept", None, hold=HOLD, now=T0)
    return usecases.admit(db, staff, facility, reference, staff.user, now=T0)


def consent(db, reference, agency, granted, at=T0):
    assert usecases.apply_event(db, make_event("referral.consent_changed", {
        "reference": reference, "audience": "provider", "agency": agency, "granted": granted,
        "until": None, "changed_at": at}, source="referral"), agency="ngo-a", now=at)


def events(db, kind) -> list[dict]:
    with db.read() as s:
        return [json.loads(b)["payload"] for b in s.execute(
            select(outbox.c.body).where(outbox.c.type == kind).order_by(outbox.c.id)).scalars()]


def test_each_provider_sees_and_acts_on_its_own_only(db):
    admission = admitted(db)
    plan_id = admission["plan_id"]
    assert [f["facility"] for f in usecases.list_facilities(db, A)] == ["a-house"]
    assert [f["facility"] for f in usecases.list_facilities(db, B)] == ["b-house"]
    assert [f["provider"] for f in usecases.list_facilities(db, ADMIN)] == ["ngo-a", "gov-b"]
    before = table_dump(db)
    refusals = [
        (lambda: usecases.set_capacity(db, B, "a-house", "women", 9, now=T0), "facility"),
        (lambda: usecases.set_out_of_service(db, B, "a-house", "women", 1, "leak", "2026-06-01",
                                             now=T0), "facility"),
        (lambda: usecases.bed_board(db, B, "a-house"), "facility"),
        (lambda: usecases.daily_census(db, B, "a-house", now=T0), "facility"),
        (lambda: usecases.capacity_history_of(db, B, "a-house"), "facility"),
        (lambda: usecases.rename_facility(db, B, "a-house", "Mine now", now=T0), "facility"),
        (lambda: usecases.close_facility(db, B, "a-house", now=T0), "facility"),
        (lambda: usecases.discharge(db, B, "a-house", admission["admission_id"], "reintegrated",
                                    now=T0), "facility"),
        (lambda: usecases.get_plan(db, B, None, plan_id, T0), "plan"),
        (lambda: usecases.update_plan(db, B, None, plan_id, T0, psychologist="psy.b"), "plan"),
        (lambda: usecases.complete_milestone(db, B, plan_id, "plan_agreed", T0), "plan"),
        (lambda: usecases.add_item(db, B, plan_id, T0, "mhpss", "psy.b"), "plan"),
        (lambda: usecases.list_notes(db, B, None, plan_id), "plan"),
        (lambda: usecases.get_screening(db, B, None, plan_id), "plan"),
        (lambda: usecases.transfer(db, B, admission["reference"], "b-house", "cm.b", now=T0),
         "reference"),
    ]
    for call, field in refusals:
        with pytest.raises(NotFound) as refused:
            call()
        assert refused.value.field == field
    assert table_dump(db) == before  # nothing changed
    assert usecases.list_plans(db, B, T0) == []
    assert usecases.list_milestones(db, B, T0)["count"] == 0
    assert [p["plan_id"] for p in usecases.list_plans(db, A, T0)] == [plan_id]
    assert report_figures(db, B, "2026-05-01", "2026-05-31")["admissions"]["total"] == 0
    assert report_figures(db, A, "2026-05-01", "2026-05-31")["admissions"]["total"] == 1
    # availability stays network-wide, per provider and facility, counts only
    rows = usecases.availability(db, Caller(user="o", role="police", agency="erbil-tip-unit"))
    assert {(r["provider"], r["facility"], r["population_group"], r["available"]) for r in rows} == {
        ("ngo-a", "a-house", "women", 1), ("gov-b", "b-house", "women", 2),
        ("gov-b", "b-house", "children", 3)}


def test_accepting_holds_beds_only_at_the_accepting_provider_and_its_waitlist_gets_them(db):
    first, second = received(db), received(db)
    usecases.set_capacity(db, A, "a-house", "women", 1, now=T0)
    held = usecases.decide(db, A, first, "accept", None, hold=HOLD, now=T0)["placement"]
    assert (held["state"], held["facility"]) == ("held", "a-house")
    # A has no bed left: waitlisted at A although B has two free
    assert usecases.decide(db, A, second, "accept", None, hold=HOLD,
                           now=T0)["placement"]["state"] == "waitlisted"
    assert [w["reference"] for w in usecases.waitlist(db, A)] == [second]
    assert usecases.waitlist(db, B) == []
    with pytest.raises(NotFound):  # B cannot reorder A's waitlist
        usecases.reorder_waitlist(db, B, second, 5, "urgent", now=T0)
    # B's beds freed do not go to A's waitlist; A's freed beds do
    usecases.set_capacity(db, B, "b-house", "women", 4, now=T0)
    assert [w["reference"] for w in usecases.waitlist(db, A)] == [second]
    usecases.set_capacity(db, A, "a-house", "women", 2, now=T0)
    with db.read() as s:
        assert s.execute(select(placements.c.facility_id).where(
            placements.c.reference == second)).scalar_one() == "a-house"
    assert [e["agency"] for e in events(db, "shelter.bed_held")] == ["ngo-a", "ngo-a"]


def _place_on_the_boards(db, staff, reference):
    """The referral's place as the bed boards of ``staff``'s open facilities show it."""
    for facility in usecases.list_facilities(db, staff):
        if facility["status"] != "open":
            continue
        for group in usecases.bed_board(db, staff, facility["facility"])["groups"]:
            for place in group["places"]:
                if place["reference"] == reference:
                    return {"facility": facility["facility"], "state": place["state"]}
    return None


def test_a_referrals_place_is_what_its_providers_bed_boards_show_and_only_to_it(db):
    """The referral page's one call (decision 0063) agrees with the bed boards at every step of
    a referral's way, for its own provider, and shows another provider nothing of it."""
    reference, waiting = received(db), received(db)
    usecases.set_capacity(db, A, "a-house", "women", 1, now=T0)
    seen = []

    def check():
        for staff in (A, B):
            answer = usecases.referral_place(db, staff, reference)
            assert answer["facilities"] == usecases.list_facilities(db, staff)
            assert answer["place"] == _place_on_the_boards(db, staff, reference)
        seen.append(usecases.referral_place(db, A, reference)["place"])
        assert usecases.referral_place(db, B, reference)["place"] is None

    check()                                                       # received: nowhere
    usecases.decide(db, A, reference, "accept", None, hold=HOLD, now=T0)
    check()                                                       # a bed held at a-house
    usecases.decide(db, A, waiting, "accept", None, hold=HOLD, now=T0)
    assert usecases.referral_place(db, A, waiting)["place"] is None  # waitlisted: no bed yet
    admission = usecases.admit(db, A, "a-house", reference, A.user, now=T0)
    check()                                                       # admitted there
    usecases.discharge(db, A, "a-house", admission["admission_id"], "repatriated",
                       now=T0 + timedelta(days=3))
    check()                                                       # discharged: nowhere again
    assert seen == [None, {"facility": "a-house", "state": "held"},
                    {"facility": "a-house", "state": "admitted"}, None]
    # the freed bed went to the waitlisted referral: held for it now
    assert usecases.referral_place(db, A, waiting)["place"] == {"facility": "a-house",
                                                                 "state": "held"}
    assert usecases.referral_place(db, A, "RN-NONE-NONE-NONE-NONE")["place"] is None
    for caller in (ADMIN, Caller(user="p", role="police", agency="erbil-tip-unit")):
        with pytest.raises(Forbidden):
            usecases.referral_place(db, caller, reference)


def test_facilities_are_registered_renamed_and_closed_only_when_empty(db):
    with pytest.raises(Conflict) as twice:
        usecases.register_facility(db, A, "b-house", "Taken id", now=T0)
    assert twice.value.field == "facility"
    renamed = usecases.rename_facility(db, A, "a-house", "House A (Erbil)", now=T0)
    assert (renamed["name"], renamed["status"]) == ("House A (Erbil)", "open")
    admission = admitted(db)
    with pytest.raises(Conflict) as occupied:
        usecases.close_facility(db, A, "a-house", now=T0)
    assert occupied.value.field == "facility"
    usecases.discharge(db, A, "a-house", admission["admission_id"], "reintegrated", now=T0)
    closed = usecases.close_facility(db, ADMIN, "a-house", now=T0)
    assert (closed["status"], closed["closed_at"]) == ("closed", "2026-05-01T09:00:00Z")
    with pytest.raises(Conflict):
        usecases.close_facility(db, A, "a-house", now=T0)
    with pytest.raises(Conflict):  # a closed facility takes no beds
        usecases.set_capacity(db, A, "a-house", "women", 5, now=T0)
    assert "a-house" not in {r["facility"] for r in usecases.availability(db, A)}
    # accepting at A now waitlists: its only facility is closed
    assert usecases.decide(db, A, received(db), "accept", None, hold=HOLD,
                           now=T0)["placement"]["state"] == "waitlisted"


def _bed_counts(db) -> dict:
    with db.read() as s:
        return {(r.facility_id, r.population_group): (r.occupied, r.held)
                for r in s.execute(select(beds))}


def test_a_transfer_without_consent_opens_a_new_plan_and_the_old_one_stays_closed(db):
    admission = admitted(db)
    old_plan = admission["plan_id"]
    usecases.add_item(db, A, old_plan, T0, "mhpss", "psy.a")
    later = T0 + timedelta(days=2)
    moved = usecases.transfer(db, A, admission["reference"], "b-house", "cm.b", now=later)
    assert (moved["from_provider"], moved["to_provider"], moved["care_plan_shared"]) == (
        "ngo-a", "gov-b", False)
    assert _bed_counts(db)[("a-house", "women")] == (0, 0)
    assert _bed_counts(db)[("b-house", "women")] == (1, 0)
    new_plan = usecases.get_plan(db, B, None, moved["plan_id"], later)
    assert new_plan["plan_id"] != old_plan and new_plan["items"] == [] and \
        new_plan["facility"] == "b-house"
    with pytest.raises(NotFound):  # the old plan stays with A, closed
        usecases.get_plan(db, B, None, old_plan, later)
    assert usecases.get_plan(db, A, None, old_plan, later)["status"] == "closed"
    # the resident is now B's: B discharges, A no longer can
    with pytest.raises(NotFound):
        usecases.transfer(db, A, admission["reference"], "a-house", "cm.a", now=later)
    [event] = events(db, "shelter.resident_transferred")
    assert {k: event[k] for k in ("reference", "from_agency", "to_agency", "from_facility",
                                  "to_facility", "population_group", "beds",
                                  "care_plan_shared")} == {
        "reference": admission["reference"], "from_agency": "ngo-a", "to_agency": "gov-b",
        "from_facility": "a-house", "to_facility": "b-house", "population_group": "women",
        "beds": 1, "care_plan_shared": False}
    usecases.discharge(db, B, "b-house", admission["admission_id"], "reintegrated", now=later)


def test_a_transfer_with_consent_hands_the_plan_over(db):
    admission = admitted(db)
    plan_id = admission["plan_id"]
    usecases.add_item(db, A, plan_id, T0, "mhpss", "psy.a")
    consent(db, admission["reference"], "gov-b", False, T0)
    consent(db, admission["reference"], "gov-b", True, T0 + timedelta(hours=1))
    consent(db, admission["reference"], "gov-b", False, T0 - timedelta(hours=1))  # older: kept out
    moved = usecases.transfer(db, ADMIN, admission["reference"], "b-house", "cm.b",
                              now=T0 + timedelta(days=1))
    assert (moved["care_plan_shared"], moved["plan_id"]) == (True, plan_id)
    plan = usecases.get_plan(db, B, None, plan_id, T0 + timedelta(days=1))
    assert (plan["facility"], plan["case_manager"], len(plan["items"])) == ("b-house", "cm.b", 1)
    with pytest.raises(NotFound):
        usecases.get_plan(db, A, None, plan_id, T0)
    with db.read() as s:
        assert s.execute(select(care_plans.c.id)).scalars().all() == [plan_id]


CASH = {"purpose": "legal_fees", "amount": 1000, "currency": "IQD"}


def _reminder(reference, hearing_id):
    starts = T0 + timedelta(days=5)
    return make_event("legal.hearing_reminder", {
        "reference": reference, "hearing_id": hearing_id, "court": "erbil-criminal-court",
        "starts_at": starts, "time_zone": "Asia/Baghdad", "due_at": starts - timedelta(hours=72),
        "sent_at": T0}, source="legal")


@pytest.mark.parametrize("shared", [True, False])
def test_a_residents_open_tasks_follow_her_to_the_new_provider(db, shared):
    """The accompaniment goes with her; a cash request waiting for approval goes with her plan,
    or is not needed when the plan stays behind (closed)."""
    admission = admitted(db)
    reference, plan_id = admission["reference"], admission["plan_id"]
    usecases.apply_event(db, _reminder(reference, "c" * 32), agency="ngo-a", now=T0)
    usecases.add_item(db, A, plan_id, T0, "cash_assistance", "cm.a", cash=CASH)
    consent(db, reference, "gov-b", shared, T0)
    usecases.transfer(db, A, reference, "b-house", "cm.b", now=T0 + timedelta(days=1))
    mine = {t["kind"]: (t["status"], t["facility"])
            for t in usecases.list_tasks(db, B, T0)["items"]}
    assert mine.pop("accompaniment") == ("to_arrange", "b-house")
    assert mine == ({"cash_approval": ("to_arrange", "b-house")} if shared else {})
    left = {t["kind"]: t["status"] for t in usecases.list_tasks(db, A, T0)["items"]}
    assert left == ({} if shared else {"cash_approval": "not_needed"})
    told = [(e["kind"], e["status"], e["agency"]) for e in events(db, "shelter.task_changed")][2:]
    assert sorted(told) == sorted(
        [("accompaniment", "to_arrange", "gov-b")]
        + [("cash_approval", "to_arrange", "gov-b") if shared
           else ("cash_approval", "not_needed", "ngo-a")])


def test_bad_transfers_are_refused_naming_the_field_and_change_nothing(db):
    admission = admitted(db)
    other_a = usecases.register_facility(db, A, "a-annex", "Annex A", now=T0)["facility"]
    usecases.set_capacity(db, A, other_a, "women", 1, now=T0)
    usecases.register_facility(db, B, "b-kids", "Children's house B", now=T0)
    usecases.set_capacity(db, B, "b-kids", "children", 2, now=T0)
    waiting = received(db)
    usecases.decide(db, A, waiting, "accept", None, hold=HOLD, now=T0)  # held, not admitted
    usecases.set_capacity(db, B, "b-house", "women", 0, now=T0)
    before = table_dump(db)
    cases = [
        (admission["reference"], "nowhere", "cm.b", InvalidInput, "to_facility"),     # unknown
        (admission["reference"], other_a, "cm.a", InvalidInput, "to_facility"),       # same provider
        (admission["reference"], "b-kids", "cm.b", InvalidInput, "to_facility"),      # other group
        (admission["reference"], "b-house", "cm.b", Conflict, "to_facility"),         # no bed free
        (waiting, "b-house", "cm.b", Conflict, "reference"),                          # not admitted
        (random_reference(), "b-house", "cm.b", NotFound, "reference"),               # unknown
        (admission["reference"], "b-house", "Case Manager B", InvalidInput, "case_manager"),
    ]
    for reference, to_facility, case_manager, error, field in cases:
        with pytest.raises(error) as refused:
            usecases.transfer(db, A, reference, to_facility, case_manager, now=T0)
        assert refused.value.field == field, (to_facility, field)
    assert table_dump(db) == before
    with db.read() as s:
        assert s.execute(select(facilities.c.id).order_by(facilities.c.id)).scalars().all() == [
            "a-annex", "a-house", "b-house", "b-kids"]
