"""The referral use cases on real SQLite and PostgreSQL databases built by the migrations."""

import glob
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from services.contracts.envelope import make_event
from services.common.clock import SystemClock
from services.referral import usecases
from services.referral.tables import audit_log, outbox, processed_events, referrals, timeline

from tests.integration.conftest import (SURVIVOR_NAME, SURVIVOR_PHONE, caller, count,
                                        intake_command, submission, table_dump)

SHELTER = "erbil-shelter"
POLICE_A, POLICE_B, POLICE_C = "erbil-police", "duhok-police", "sulaymaniyah-police"
CLOCK = SystemClock()  # the referral use cases' clock


@pytest.fixture
def db(databases, db_url):
    return databases.database(databases.migrated("referral", db_url))


@pytest.fixture
def submit(db, keys):
    """Submit a fresh sealed command; return (reference, command)."""
    def _submit(body=None, **command_kw):
        command = intake_command(keys.intake_public, body or submission(), **command_kw)
        reference, created = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command)
        assert (reference, created) == (command["reference"], True)
        return reference, command
    return _submit


def _at(minutes: int = 0) -> datetime:
    return datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)


def _received(reference: str, minutes: int = 1) -> dict:
    return make_event("shelter.referral_received",
                      {"reference": reference, "received_at": _at(minutes), "agency": SHELTER},
                      source="shelter")


def _decision(reference: str, decision: str, minutes: int = 2, reason_code: str | None = None,
              version: int | None = None, **payload) -> dict:
    coded = {} if version == 1 else {"reason_code": reason_code}
    return make_event(f"shelter.referral_{decision}",
                      {"reference": reference, "decided_at": _at(minutes), "agency": SHELTER,
                       **coded, **payload}, source="shelter", correlation_id="corr-decision",
                      version=version)


def _timeline(db, reference: str) -> list[tuple[str, str, str]]:
    view = usecases.get_status(db, CLOCK, caller("shelter", SHELTER), reference)
    return [(e["status"], e["agency"], e["note"]) for e in view["timeline"]]


def _outbox_types(db) -> list[str]:
    with db.read() as s:
        return list(s.execute(select(outbox.c.type).order_by(outbox.c.id)).scalars())


# --- intake -------------------------------------------------------------------------------------

def test_submit_records_the_referral_and_queues_its_event(db, keys, submit):
    reference, command = submit(submission(children=2), correlation_id="corr-1")

    with db.read() as s:
        row = s.execute(select(referrals).where(referrals.c.reference == reference)).one()
        [event_row] = s.execute(select(outbox)).all()
    assert (row.status, row.referring_agency, row.submitted_by) == ("submitted", "erbil-police", "officer.one")
    assert (row.population_group, row.urgency, json.loads(row.needs)) == ("children", "urgent", ["shelter", "medical"])
    assert (row.children_count, row.beds_needed) == (2, 3)
    assert (row.share_status_with_referrer, row.share_with_legal) == (True, True)

    event = json.loads(event_row.body)
    assert (event_row.type, event_row.event_id) == ("referral.submitted", event["event_id"])
    assert (event["source"], event["correlation_id"]) == ("referral", "corr-1")
    assert event["payload"] == {
        "reference": reference, "population_group": "children", "urgency": "urgent",
        "needs": ["shelter", "medical"], "children_count": 2, "beds_needed": 3,
        "referring_agency": "erbil-police",
        "submitted_at": datetime.fromisoformat(command["submitted_at"]).isoformat(),
        # v2 (docs/decisions/0037): to the network, served in the survivor's languages
        "requested_provider": None, "service_languages": ["ku", "ar"], "survivor_minor": False}

    assert _timeline(db, reference) == [("submitted", "erbil-police", "Referral submitted")]
    # the file, decrypted, is what the police sent; only shelter staff may read it
    file = usecases.get_file(db, keys.cipher, caller("shelter", SHELTER), reference)
    assert file["submission"]["survivor"]["name"] == SURVIVOR_NAME
    assert file["submission"]["survivor"]["phone"] == SURVIVOR_PHONE
    with pytest.raises(NotFound):
        usecases.get_file(db, keys.cipher, caller("police", "erbil-police"), reference)


def test_submit_is_idempotent_on_reference(db, keys, submit):
    reference, command = submit()
    # the same command again (a redelivery), and a retry sealed anew with the same reference
    again = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command)
    retry = intake_command(keys.intake_public, submission(), reference=reference)
    retried = usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, retry)
    assert again == (reference, False)
    assert retried == (reference, False)
    assert count(db, referrals) == 1
    assert count(db, timeline) == 1
    assert count(db, outbox) == 1


def test_a_copy_taken_at_the_same_time_by_another_consumer_is_recorded_once(db, keys, submit,
                                                                              monkeypatch):
    """A redelivery taken while the first delivery is still being handled (its broker node
    died) passes the "already recorded?" check before the first one commits; its insert then
    meets the first one's row, and it is done, not an error to redeliver."""
    from services.referral.usecases import intake
    reference, command = submit()
    checks, real = [], intake._recorded

    def not_yet_committed_at_the_first_check(s, ref):
        checks.append(ref)
        return None if len(checks) == 1 else real(s, ref)

    monkeypatch.setattr(intake, "_recorded", not_yet_committed_at_the_first_check)
    assert usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command) == (reference, False)
    assert len(checks) == 2
    assert (count(db, referrals), count(db, timeline), count(db, outbox)) == (1, 1, 1)


def test_a_reused_reference_with_another_body_keeps_the_first(db, keys, submit):
    reference, _ = submit(submission(name="First Person"))
    other = intake_command(keys.intake_public, submission(name="Second Person"), reference=reference)
    assert usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, other) == (reference, False)
    file = usecases.get_file(db, keys.cipher, caller("shelter", SHELTER), reference)
    assert file["submission"]["survivor"]["name"] == "First Person"
    assert (count(db, referrals), count(db, outbox)) == (1, 1)


def test_commands_that_cannot_be_read_are_rejected_and_record_nothing(db, keys):
    from services.common.sealing import new_keypair
    _private, stranger_public = new_keypair()
    sealed_for_another = intake_command(stranger_public, submission())
    invalid_body = submission()
    del invalid_body["consent"]
    with pytest.raises(InvalidInput) as unsealable:
        usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, sealed_for_another)
    with pytest.raises(InvalidInput) as invalid:
        usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, intake_command(keys.intake_public, invalid_body))
    with pytest.raises(InvalidInput) as malformed:
        usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, {"reference": "RN-nonsense"})
    assert unsealable.value.field == "sealed_submission"
    assert (invalid.value.field, malformed.value.field) == ("submission", "submission")
    assert (count(db, referrals), count(db, outbox), count(db, timeline)) == (0, 0, 0)


def test_a_sealed_submission_moved_to_another_agency_or_user_creates_nothing_and_is_audited(
        db, keys):
    """Reference, agency and user are bound into the seal: changed after sealing, the command
    does not open; nothing is recorded but one refusal in the audit trail, under no one's name."""
    command = intake_command(keys.intake_public, submission(), agency="erbil-police",
                             user="officer.one")
    for changed in ({"agency": "duhok-police"}, {"submitted_by": "officer.two"},
                    {"reference": "RN-QRST-UVWX-YZ23-4567"}):
        with pytest.raises(InvalidInput) as refused:
            usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, {**command, **changed})
        assert refused.value.field == "sealed_submission"
    assert (count(db, referrals), count(db, outbox), count(db, timeline)) == (0, 0, 0)
    with db.read() as s:
        trail = s.execute(select(audit_log.c.actor, audit_log.c.agency, audit_log.c.action,
                                 audit_log.c.object, audit_log.c.outcome)).all()
    assert sorted(trail) == sorted([
        ("unverified", "unknown", "referral.submit", f"referral:{command['reference']}", "refused"),
        ("unverified", "unknown", "referral.submit", f"referral:{command['reference']}", "refused"),
        ("unverified", "unknown", "referral.submit", "referral:RN-QRST-UVWX-YZ23-4567", "refused")])
    assert usecases.submit(db, CLOCK, keys.cipher, keys.intake_private, command) == (
        command["reference"], True)  # as sealed, it opens


def test_no_personal_data_in_plaintext_in_the_referral_database(db, keys, submit):
    reference, _ = submit()
    usecases.apply_event(db, CLOCK, _decision(reference, "accepted"))

    if db.sqlite:
        # read while connections are open: recent commits are still in the -wal file, not yet
        # checkpointed into the main file; then once more after the checkpoint on close
        path = db.url.split("///", 1)[1]
        files = sorted(glob.glob(path + "*"))
        assert path in files and path + "-wal" in files
        raw = b"".join(open(f, "rb").read() for f in files)
        db.dispose()
        raw += b"".join(open(f, "rb").read() for f in sorted(glob.glob(path + "*")))
        assert reference.encode() in raw  # the scan sees what is stored in clear
        for secret in (SURVIVOR_NAME, SURVIVOR_PHONE, "Officer Test", "Checkpoint 7"):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert secret.encode(encoding) not in raw, (secret, encoding)
    else:
        dump = table_dump(db)
        assert reference in dump
        for secret in (SURVIVOR_NAME, SURVIVOR_PHONE, "Officer Test", "Checkpoint 7"):
            assert secret not in dump, secret


# --- events from the shelter ---------------------------------------------------------------------

def test_received_then_accepted_moves_the_status_and_writes_the_timeline(db, submit):
    reference, _ = submit()
    assert usecases.apply_event(db, CLOCK, _received(reference)) is True
    assert usecases.get_status(db, CLOCK, caller("police", POLICE_A), reference)["status"] == "received"
    assert usecases.apply_event(db, CLOCK, _decision(reference, "accepted")) is True

    view = usecases.get_status(db, CLOCK, caller("police", POLICE_A), reference)
    assert view["status"] == "accepted"
    assert [(e["status"], e["agency"], e["at"]) for e in view["timeline"]][1:] == [
        ("received", SHELTER, "2026-03-01T10:01:00Z"), ("accepted", SHELTER, "2026-03-01T10:02:00Z")]
    assert _timeline(db, reference)[2][2] == "Accepted by the shelter"
    assert _outbox_types(db) == ["referral.submitted", "referral.status_changed",
                                 "referral.status_changed", "referral.accepted"]
    with db.read() as s:
        accepted = json.loads(s.execute(select(outbox.c.body).where(outbox.c.type == "referral.accepted")).scalar_one())
    assert accepted["payload"] == {"reference": reference, "decided_at": "2026-03-01T10:02:00+00:00",
                                   "legal_consent": True, "referring_agency": POLICE_A,
                                   "share_status_with_referrer": True, "shelter_agency": SHELTER}
    assert accepted["version"] == 2
    assert accepted["correlation_id"] == "corr-decision"
    assert count(db, processed_events) == 2


def test_declined_records_the_reason_code_and_tells_without_legal_consent(db, submit):
    reference, _ = submit(submission(share_legal=False))
    usecases.apply_event(db, CLOCK, _received(reference))
    assert usecases.apply_event(db, CLOCK, _decision(reference, "declined",
                                                     reason_code="no_bed_in_group")) is True
    assert _timeline(db, reference)[-1] == ("declined", SHELTER, "Declined: No bed for the person's group")
    entry = usecases.get_status(db, CLOCK, caller("police", POLICE_A), reference)["timeline"][-1]
    assert entry["reason_code"] == "no_bed_in_group"
    with db.read() as s:
        body = json.loads(s.execute(select(outbox.c.body).where(outbox.c.type == "referral.declined")).scalar_one())
    assert body["payload"]["legal_consent"] is False


def test_a_v1_decline_still_in_flight_is_applied_without_its_text(db, submit):
    """Messages of the version before the codes are still read; their free text never reaches
    the police's timeline (docs/decisions/0036)."""
    reference, _ = submit()
    usecases.apply_event(db, CLOCK, _received(reference))
    assert usecases.apply_event(db, CLOCK, _decision(reference, "declined", version=1,
                                                     reason="brother Karwan came")) is True
    entry = usecases.get_status(db, CLOCK, caller("police", POLICE_A), reference)["timeline"][-1]
    assert (entry["status"], entry["note"], entry["reason_code"]) == (
        "declined", "Declined: Reason not recorded", "unknown")
    with db.read() as s:
        assert "Karwan" not in json.dumps([list(map(str, r)) for r in s.execute(select(outbox))])


def test_a_withdrawal_needs_a_reason_code_and_keeps_the_note_here(db, submit):
    reference, _ = submit()
    police = caller("police", POLICE_A)
    for code in (None, "", "gone", "no_bed_in_group"):
        with pytest.raises(InvalidInput) as info:
            usecases.withdraw(db, CLOCK, police, reference, "note", reason_code=code)
        assert info.value.field == "reason_code"
    assert usecases.get_status(db, CLOCK, police, reference)["status"] == "submitted"
    usecases.withdraw(db, CLOCK, police, reference, "her uncle Karwan took her home",
                      reason_code="returned_home")
    entry = usecases.get_status(db, CLOCK, police, reference)["timeline"][-1]
    assert (entry["status"], entry["note"], entry["reason_code"]) == (
        "withdrawn", "Withdrawn: Returned home", "returned_home")
    with db.read() as s:
        assert s.execute(select(referrals.c.withdrawal_note).where(
            referrals.c.reference == reference)).scalar_one() == "her uncle Karwan took her home"
        [body] = [json.loads(b) for b in s.execute(
            select(outbox.c.body).where(outbox.c.type == "referral.withdrawn")).scalars()]
    assert (body["version"], body["payload"]["reason_code"]) == (2, "returned_home")
    assert "Karwan" not in json.dumps(body)


def test_the_same_event_applied_twice_has_one_effect(db, submit):
    reference, _ = submit()
    received, accepted = _received(reference), _decision(reference, "accepted")
    assert usecases.apply_event(db, CLOCK, received) is True
    assert usecases.apply_event(db, CLOCK, received) is False
    assert usecases.apply_event(db, CLOCK, accepted) is True
    assert usecases.apply_event(db, CLOCK, json.loads(json.dumps(accepted))) is False  # a redelivered copy
    assert [t[0] for t in _timeline(db, reference)] == ["submitted", "received", "accepted"]
    assert _outbox_types(db) == ["referral.submitted", "referral.status_changed",
                                 "referral.status_changed", "referral.accepted"]
    assert count(db, processed_events) == 2


def _soon(minutes: int) -> datetime:
    """After the submission (recorded at the system clock's now), as a stay's events are."""
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def _stay(reference: str, event_type: str, minutes: int, **payload) -> dict:
    at = {"shelter.admitted": "admitted_at", "shelter.discharged": "discharged_at"}[event_type]
    return make_event(event_type, {
        "reference": reference, "admission_id": 7, "facility": "erbil-1",
        "population_group": "women", "beds": 1, at: _soon(minutes), "agency": SHELTER, **payload},
        source="shelter")


def _follow_up_ended(reference: str, minutes: int = 9, last_outcome="reached_safe") -> dict:
    return make_event("shelter.follow_up_ended", {
        "reference": reference, "ended_at": _soon(minutes), "agency": SHELTER,
        "last_outcome": last_outcome}, source="shelter")


def test_a_follow_up_end_closes_a_discharged_referral_once(db, submit):
    from services.referral.usecases.events import DischargeNotYetApplied
    reference, _ = submit()
    usecases.apply_event(db, CLOCK, _stay(reference, "shelter.admitted", 3, case_manager="cm.one"))
    ended = _follow_up_ended(reference)
    with pytest.raises(DischargeNotYetApplied):  # overtook its discharge: handed back, retried
        usecases.apply_event(db, CLOCK, ended)
    assert _timeline(db, reference)[-1][0] == "admitted" and count(db, processed_events) == 1
    usecases.apply_event(db, CLOCK, _stay(reference, "shelter.discharged", 4, outcome="reintegrated"))
    before = _outbox_types(db)
    assert usecases.apply_event(db, CLOCK, ended) is True
    assert usecases.apply_event(db, CLOCK, json.loads(json.dumps(ended))) is False  # redelivered
    assert usecases.apply_event(db, CLOCK, _follow_up_ended(reference, 10)) is True  # another: no-op
    assert [t[0] for t in _timeline(db, reference)][-2:] == ["discharged", "closed"]
    assert _outbox_types(db)[len(before):] == ["referral.closed"]
    with db.read() as s:
        row = s.execute(select(referrals.c.status, referrals.c.closure_reason)
                        .where(referrals.c.reference == reference)).one()
        (event,) = [json.loads(b) if isinstance(b, str) else b for b in s.execute(
            select(outbox.c.body).where(outbox.c.type == "referral.closed")).scalars()]
    assert tuple(row) == ("closed", "follow_up_ended")
    assert (event["version"], event["payload"]["reason"], event["payload"]["previous_status"]) == (
        2, "follow_up_ended", "discharged")


def test_an_accept_while_still_submitted_records_received_then_accepted(db, submit):
    reference, _ = submit()
    assert usecases.apply_event(db, CLOCK, _decision(reference, "accepted", minutes=5)) is True
    assert [(t[0], t[1]) for t in _timeline(db, reference)] == [
        ("submitted", "erbil-police"), ("received", SHELTER), ("accepted", SHELTER)]
    # the late receipt changes nothing and is not an error
    assert usecases.apply_event(db, CLOCK, _received(reference, minutes=1)) is True
    assert [t[0] for t in _timeline(db, reference)] == ["submitted", "received", "accepted"]
    assert usecases.get_status(db, CLOCK, caller("shelter", SHELTER), reference)["status"] == "accepted"


def test_events_it_does_not_act_on_are_ignored(db, submit):
    reference, _ = submit()
    capacity = make_event("shelter.capacity_changed", {
        "facility": "f1", "population_group": "women", "capacity": 3, "out_of_service": 0,
        "occupied": 0, "held": 0, "available": 3, "change": "capacity", "changed_at": _at()},
        source="shelter")
    unknown_version = dict(_received(reference), version=99)
    assert usecases.apply_event(db, CLOCK, capacity) is False
    assert usecases.apply_event(db, CLOCK, unknown_version) is False
    assert usecases.apply_event(db, CLOCK, _received("RN-AAAA-BBBB-CCCC-DDDD")) is True  # unknown reference
    assert [t[0] for t in _timeline(db, reference)] == ["submitted"]
    assert count(db, processed_events) == 1


def test_a_decision_the_lifecycle_forbids_is_ignored(db, keys, submit):
    reference, _ = submit()
    usecases.withdraw(db, CLOCK, caller("police", POLICE_A), reference, "declined help",
                      reason_code="survivor_declined")
    assert usecases.apply_event(db, CLOCK, _decision(reference, "accepted")) is True
    assert [t[0] for t in _timeline(db, reference)] == ["submitted", "withdrawn"]
    assert _outbox_types(db) == ["referral.submitted", "referral.status_changed",
                                 "referral.withdrawn"]


def _status_changes(db) -> list[dict]:
    with db.read() as s:
        return [json.loads(b) for b in s.execute(select(outbox.c.body).where(
            outbox.c.type == "referral.status_changed").order_by(outbox.c.id)).scalars()]


def test_every_step_tells_its_status_change_with_the_consent_as_it_stands(db, submit):
    """Each status step queues ``referral.status_changed`` in its own transaction: who to tell
    (the officer, the unit) and whether the survivor lets them be told, read at that step."""
    reference, _ = submit(submission(urgency="emergency"), user="officer.two")
    usecases.apply_event(db, CLOCK, _received(reference))
    usecases.record_consent(db, CLOCK, caller("shelter", SHELTER), reference, "referring_police",
                            False, purpose="survivor asked", default_holder=SHELTER)
    usecases.apply_event(db, CLOCK, _decision(reference, "accepted"))
    changes = _status_changes(db)
    assert [(c["payload"]["change"], c["payload"]["status"],
             c["payload"]["share_status_with_referrer"]) for c in changes] == [
        ("received", "received", True), ("accepted", "accepted", False)]
    first = changes[0]["payload"]
    assert (first["reference"], first["agency"], first["referring_agency"], first["submitted_by"],
            first["urgency"]) == (reference, SHELTER, POLICE_A, "officer.two", "emergency")
    assert changes[1]["correlation_id"] == "corr-decision"
    assert SURVIVOR_NAME not in json.dumps(changes)


def test_a_step_that_fails_leaves_no_status_change(db, submit):
    reference, _ = submit()
    police = caller("police", POLICE_A)
    usecases.withdraw(db, CLOCK, police, reference, "note", reason_code="returned_home")
    with pytest.raises(IllegalTransition):
        usecases.withdraw(db, CLOCK, police, reference, "note", reason_code="returned_home")
    assert [c["payload"]["change"] for c in _status_changes(db)] == ["withdrawn"]


# --- reads ---------------------------------------------------------------------------------------

def test_list_referrals_pages_filters_and_isolates_agencies(db, submit):
    mine = [submit(agency=POLICE_A)[0] for _ in range(5)]
    theirs = [submit(agency=POLICE_B)[0] for _ in range(2)]
    hidden = submit(submission(share_status=False), agency=POLICE_A)[0]
    usecases.apply_event(db, CLOCK, _decision(mine[1], "accepted"))
    usecases.apply_event(db, CLOCK, _decision(mine[3], "declined", reason_code="no_bed_in_group"))

    police_a = caller("police", POLICE_A)
    pages, cursor = [], None
    while True:
        page = usecases.list_referrals(db, CLOCK, police_a, limit=2, cursor=cursor)
        pages.append([item["reference"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [mine[::-1][0:2], mine[::-1][2:4], mine[::-1][4:]]

    accepted = usecases.list_referrals(db, CLOCK, police_a, status="accepted")
    assert [(i["reference"], i["status"]) for i in accepted["items"]] == [(mine[1], "accepted")]
    assert accepted["next_cursor"] is None
    assert [i["reference"] for i in usecases.list_referrals(db, CLOCK, police_a, status="submitted")["items"]] == \
        [mine[4], mine[2], mine[0]]

    assert usecases.list_referrals(db, CLOCK, caller("police", POLICE_C)) == {"items": [], "next_cursor": None}
    assert [i["reference"] for i in usecases.list_referrals(db, CLOCK, caller("police", POLICE_B))["items"]] == theirs[::-1]
    everything = [i["reference"] for i in usecases.list_referrals(db, CLOCK, caller("shelter", SHELTER), shelter_agency=SHELTER)["items"]]
    assert everything == [hidden, *theirs[::-1], *mine[::-1]]
    item = usecases.list_referrals(db, CLOCK, police_a, limit=1)["items"][0]
    assert set(item) == {"reference", "status", "urgency", "population_group", "submitted_at", "updated_at"}

    with pytest.raises(InvalidInput):
        usecases.list_referrals(db, CLOCK, police_a, status="lost")
    with pytest.raises(InvalidInput):
        usecases.list_referrals(db, CLOCK, police_a, limit=0)
    with pytest.raises(InvalidInput):
        usecases.list_referrals(db, CLOCK, police_a, cursor="!!not-a-cursor!!")
    with pytest.raises(Forbidden):
        usecases.list_referrals(db, CLOCK, caller("court", "erbil-court"))


def test_get_status_of_another_agencys_referral_is_not_found(db, submit):
    reference, _ = submit(agency=POLICE_A)
    no_consent, _ = submit(submission(share_status=False, share_legal=False), agency=POLICE_A)
    assert usecases.get_status(db, CLOCK, caller("police", POLICE_A), reference)["status"] == "submitted"
    assert usecases.get_status(db, CLOCK, caller("legal", "legal-aid"), reference)["status"] == "submitted"
    for who, ref in ((caller("police", POLICE_B), reference),
                     (caller("police", POLICE_A), no_consent),
                     (caller("legal", "legal-aid"), no_consent),
                     (caller("court", "erbil-court"), reference),
                     (caller("police", POLICE_A), "RN-AAAA-BBBB-CCCC-DDDD"),
                     (caller("police", POLICE_A), "not-a-reference")):
        with pytest.raises(NotFound):
            usecases.get_status(db, CLOCK, who, ref)


def test_the_list_holds_exactly_the_referrals_the_status_rule_lets_the_caller_read(db, submit):
    """The list's SQL filter (``queries.visible_to``) and the status read's rule
    (``status_access``) are one definition: for every caller and every consent state, a referral
    is listed exactly when its status may be read in full."""
    from sqlalchemy import update as sql_update

    from services.referral.domain import referral as rules
    from services.referral.queries import STATUS_COLUMNS, row_dict

    now = CLOCK.now()
    states = [  # (agency, share status with the referrer, with legal, referrer until, legal until)
        (POLICE_A, True, True, None, None),
        (POLICE_A, False, True, None, None),
        (POLICE_A, True, False, now + timedelta(days=30), None),
        (POLICE_A, True, True, now - timedelta(days=1), now - timedelta(days=1)),
        (POLICE_B, True, True, None, now + timedelta(days=30)),
        (POLICE_B, False, False, None, None),
    ]
    for agency, share_status, share_legal, referrer_until, legal_until in states:
        reference, _ = submit(agency=agency)
        with db.write() as s:
            s.execute(sql_update(referrals).where(referrals.c.reference == reference).values(
                share_status_with_referrer=share_status, share_with_legal=share_legal,
                referrer_consent_until=referrer_until, legal_consent_until=legal_until))
    with db.read() as s:
        rows = {r.reference: row_dict(r) for r in s.execute(
            select(referrals.c.reference, *STATUS_COLUMNS))}
    callers = [caller("police", POLICE_A), caller("police", POLICE_B),
               caller("police", POLICE_C), caller("legal", "legal-aid"),
               caller("shelter", SHELTER), caller("shelter", "other-shelter")]
    for who in callers:
        listed = {i["reference"] for i in usecases.list_referrals(
            db, CLOCK, who, shelter_agency=SHELTER)["items"]}
        readable = {ref for ref, row in rows.items()
                    if rules.status_access(who, row, CLOCK.now(), SHELTER) == "full"}
        assert listed == readable, who
    assert {len(readable) for readable in (
        {ref for ref, row in rows.items() if rules.status_access(who, row, now, SHELTER) == "full"}
        for who in callers)} == {0, 1, 2, 3, 6}  # the states above tell the callers apart
    assert usecases.list_referrals(db, CLOCK, callers[-1], shelter_agency=SHELTER)["items"] == []
