"""The referral service follows the holder (docs/decisions/0039) on real SQLite and PostgreSQL
databases: ``held_by`` from the shelter's offers (the newest wins), timeline entries naming the
agencies without moving the status back, the file, status, FHIR Task and consent for the
holder's staff only, the search by name and the figures cut to what the caller's provider
holds, and the admins' list of unplaced referrals."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from sqlalchemy import select

from services.common.clock import SystemClock
from services.common.errors import Forbidden, NotFound
from services.contracts.envelope import make_event
from services.referral import usecases
from services.referral.domain import referral as rules
from services.referral.queries import row_dict
from services.referral.tables import consent_records, file_consents, outbox, referrals

from tests.integration.conftest import SURVIVOR_NAME, caller, count, intake_command, submission

A, B = "erbil-shelter", "provider-b"
POLICE = "erbil-police"
CLOCK = SystemClock()
KEY = b"k" * 32


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


@pytest.fixture
def reference(db, keys):
    command = intake_command(keys.intake_public, submission())
    reference, _ = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command)
    return reference


def _at(minutes: int) -> datetime:
    return datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)


def _offered(reference, agency, why, minutes, previous=None, reason_code=None):
    return make_event("shelter.referral_offered", {
        "reference": reference, "agency": agency, "previous_agency": previous, "why": why,
        "reason_code": reason_code, "offered_at": _at(minutes),
        "answer_due_at": _at(minutes + 60)}, source="shelter")


def _status(db, who, reference):
    return usecases.get_status(db, CLOCK, who, reference, default_holder=A)


def test_the_holder_moves_on_the_timeline_names_the_agencies(db, keys, reference):
    police, staff_a, staff_b = caller("police", POLICE), caller("shelter", A), caller("shelter", B)
    usecases.apply_event(db, CLOCK, make_event("shelter.referral_received", {
        "reference": reference, "received_at": _at(1), "agency": A}, source="shelter"))
    assert usecases.apply_event(db, CLOCK, _offered(reference, A, "routed", 1))
    assert _status(db, police, reference)["held_by"] == A
    # the escalation's offer overtakes the decline's: the newer one holds it
    usecases.apply_event(db, CLOCK, _offered(reference, "provider-c", "escalated", 70, previous=B))
    usecases.apply_event(db, CLOCK, _offered(reference, B, "declined", 5, previous=A,
                                             reason_code="no_bed_in_group"))
    view = _status(db, police, reference)
    assert (view["status"], view["held_by"]) == ("received", "provider-c")
    notes = [e["note"] for e in view["timeline"]]
    assert f"Declined by {A}: No bed for the person's group; offered to {B}" in notes
    assert f"Not answered in time by {B}; escalated to provider-c" in notes
    assert [e["status"] for e in view["timeline"]] == ["submitted", "received", "received",
                                                       "received"]
    # the holder's staff only: A and B no longer see the file, the status or the Task
    staff_c = caller("shelter", "provider-c")
    assert usecases.get_file(db, keys.cipher, staff_c, reference, default_holder=A)["reference"]
    for who in (staff_a, staff_b):
        with pytest.raises(NotFound):
            usecases.get_file(db, keys.cipher, who, reference, default_holder=A)
        with pytest.raises(NotFound):
            _status(db, who, reference)
    task = usecases.get_fhir_task(db, CLOCK, KEY, police, reference, default_holder=A)
    assert task["owner"]["identifier"]["value"] == "provider-c"
    assert [i["reference"] for i in usecases.list_referrals(
        db, CLOCK, staff_c, shelter_agency=A)["items"]] == [reference]
    assert usecases.list_referrals(db, CLOCK, staff_a, shelter_agency=A)["items"] == []


def test_an_escalation_tells_its_change_and_a_passed_on_offer_does_not(db, reference):
    """The police may be told that nobody answered in time (``escalated``, the status stays);
    a decline passed on to the next provider is no step of theirs."""
    usecases.apply_event(db, CLOCK, _offered(reference, A, "routed", 1))
    usecases.apply_event(db, CLOCK, _offered(reference, B, "declined", 5, previous=A,
                                             reason_code="no_bed_in_group"))
    usecases.apply_event(db, CLOCK, _offered(reference, "provider-c", "escalated", 70, previous=B))
    with db.read() as s:
        changes = [json.loads(b)["payload"] for b in s.execute(select(outbox.c.body).where(
            outbox.c.type == "referral.status_changed").order_by(outbox.c.id)).scalars()]
    assert [(c["change"], c["status"], c["agency"]) for c in changes] == [
        ("received", "received", A), ("escalated", "received", "provider-c")]
    assert changes[1]["referring_agency"] == POLICE
    assert changes[1]["share_status_with_referrer"] is True


def test_unplaced_referrals_are_listed_to_admins_once(db, reference):
    admin = caller("admin", "refnet-admin")
    usecases.apply_event(db, CLOCK, _offered(reference, A, "routed", 1))
    flag = make_event("shelter.referral_unplaced", {
        "reference": reference, "previous_agency": A, "reason": "no_provider_left",
        "flagged_at": _at(90)}, source="shelter")
    assert usecases.apply_event(db, CLOCK, flag)
    again = make_event("shelter.referral_unplaced", {
        "reference": reference, "previous_agency": A, "reason": "no_provider_left",
        "flagged_at": _at(95)}, source="shelter")
    usecases.apply_event(db, CLOCK, again)  # another event id, the same flag: once
    [item] = usecases.list_unplaced(db, admin)["items"]
    assert item == {"reference": reference, "status": "received",
                    "unplaced_since": "2026-03-01T11:30:00Z", "last_holder": A}
    timeline = _status(db, caller("police", POLICE), reference)["timeline"]
    assert sum("flagged to the network's admins" in e["note"] for e in timeline) == 1
    with pytest.raises(Forbidden):
        usecases.list_unplaced(db, caller("police", POLICE))


def test_an_offer_consumed_after_the_new_holders_acceptance_changes_no_status(db, reference):
    police = caller("police", POLICE)
    usecases.apply_event(db, CLOCK, _offered(reference, A, "routed", 1))
    usecases.apply_event(db, CLOCK, make_event("shelter.referral_accepted", {
        "reference": reference, "decided_at": _at(10), "agency": B, "reason_code": None},
        source="shelter"))
    usecases.apply_event(db, CLOCK, _offered(reference, B, "declined", 5, previous=A,
                                             reason_code="duplicate"))
    view = _status(db, police, reference)
    assert (view["status"], view["held_by"]) == ("accepted", B)
    assert [e["status"] for e in view["timeline"]].count("accepted") == 1


# --- consent, the search by name and the figures follow the holder ------------------------------

SEARCH_KEY = b"s" * 32


def _submit(db, keys, holder=None) -> str:
    """A referral (searchable by the survivor's name), held by ``holder`` (None: nobody yet)."""
    command = intake_command(keys.intake_public, submission())
    reference, _ = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command,
                                   search_key=SEARCH_KEY)
    if holder is not None:
        assert usecases.apply_event(db, CLOCK, _offered(reference, holder, "routed", 1))
    return reference


def _consent_state(db) -> tuple:
    with db.read() as s:
        return ([tuple(r) for r in s.execute(select(file_consents))],
                [tuple(r) for r in s.execute(select(referrals.c.reference, referrals.c.updated_at,
                                                    referrals.c.share_with_legal))],
                count(db, consent_records), count(db, outbox))


def test_consent_is_the_holders_another_provider_gets_404_and_changes_nothing(db, keys):
    reference = _submit(db, keys, holder=B)
    staff_a, staff_b = caller("shelter", A, user="cm.a"), caller("shelter", B, user="cm.b")
    before = _consent_state(db)
    for attempt in (
            lambda: usecases.get_consent(db, CLOCK, staff_a, reference, default_holder=A),
            lambda: usecases.record_consent(db, CLOCK, staff_a, reference, "legal_team", False,
                                            default_holder=A),
            lambda: usecases.record_consent(db, CLOCK, staff_a, reference, "provider", True,
                                            purpose="placement", agency=A, default_holder=A)):
        with pytest.raises(NotFound) as refused:
            attempt()
        assert refused.value.field == "reference"
    assert _consent_state(db) == before
    # the holder's staff read and record it
    assert usecases.get_consent(db, CLOCK, staff_b, reference, default_holder=A)["reference"] == reference
    state = usecases.record_consent(db, CLOCK, staff_b, reference, "legal_team", False,
                                    default_holder=A)
    assert state["legal_team"]["share"] is False
    assert state["history"][-1]["recorded_by"] == "cm.b"
    # a referral nobody holds yet is the default provider's
    unheld = _submit(db, keys)
    assert usecases.get_consent(db, CLOCK, staff_a, unheld, default_holder=A)["reference"] == unheld
    with pytest.raises(NotFound):
        usecases.get_consent(db, CLOCK, staff_b, unheld, default_holder=A)


def test_the_search_by_name_finds_what_the_callers_provider_holds(db, keys):
    held_by_b = _submit(db, keys, holder=B)
    assert usecases.search_by_name(db, SEARCH_KEY, caller("shelter", A), SURVIVOR_NAME,
                                   default_holder=A) == []
    found = usecases.search_by_name(db, SEARCH_KEY, caller("shelter", B), SURVIVOR_NAME,
                                    default_holder=A)
    assert [r["reference"] for r in found] == [held_by_b]
    # the SQL filter says what the rule says, for every provider and every holder
    references = {held_by_b, _submit(db, keys, holder=A), _submit(db, keys),
                  _submit(db, keys, holder="provider-c")}
    with db.read() as s:
        rows = {r.reference: row_dict(r) for r in s.execute(
            select(referrals.c.reference, referrals.c.held_by))}
    assert set(rows) == references
    for agency in (A, B, "provider-c", "provider-d"):
        who = caller("shelter", agency)
        found = {r["reference"] for r in usecases.search_by_name(
            db, SEARCH_KEY, who, SURVIVOR_NAME, default_holder=A)}
        assert found == {ref for ref, row in rows.items() if rules.holds(who, row, A)}, agency
    with pytest.raises(Forbidden):
        usecases.search_by_name(db, SEARCH_KEY, caller("police", POLICE), SURVIVOR_NAME,
                                default_holder=A)


def test_the_figures_are_the_providers_for_its_staff_and_the_networks_for_analysts(db, keys):
    _submit(db, keys, holder=B)
    _submit(db, keys, holder=B)
    _submit(db, keys)   # nobody holds it yet: the default provider's (A)
    _submit(db, keys, holder="provider-c")
    today = CLOCK.now().date()
    first, last = today.replace(day=1).isoformat(), today.isoformat()

    def total(who) -> int:
        return usecases.report_figures(db, who, first, last, default_holder=A)["referrals"]["total"]

    assert total(caller("shelter", A)) == 1
    assert total(caller("shelter", B)) == 2
    assert total(caller("shelter", "provider-d")) == 0
    month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    analyst = usecases.report_figures(db, caller("analyst", "stats-office"), first,
                                      month_end.isoformat(), default_holder=A)
    assert analyst["referrals"]["total"] == 4
    assert analyst["referrals"]["by_source"] == {POLICE: {"pending": 4}}
