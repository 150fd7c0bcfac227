"""The agency directory of the referral service (docs/decisions/0037), on the real broker and
real databases (SQLite and PostgreSQL): registered and changed by an administrator's RPC, read by
every role, each change published as ``referral.agency_changed``; ``addressed_to`` stored and
published as ``requested_provider``; migration 0008 registers what existing data implies."""

import json
from datetime import datetime, timezone

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import select, text

from gateway.intake import IntakePublisher
from services.common.db import make_engine
from services.common.migrations import upgrade
from services.referral.tables import outbox as referral_outbox
from services.referral.tables import referrals

from tests.integration.conftest import caller, submission, wait_for
from tests.integration.test_services_flow import ADMIN, POLICE, network  # noqa: F401 - fixture

PROVIDER = {"agency": "duhok-gov-shelter", "kind": "shelter_provider",
            "names": {"en": "Duhok House", "ar": "دار دهوك"}, "region": "Duhok",
            "services": ["shelter"], "languages": ["ar", "kmr"], "routing_order": 2}


def _events(db, event_type):
    with db.read() as s:
        bodies = [json.loads(b) for b in s.execute(select(referral_outbox.c.body)).scalars()]
    return [b for b in bodies if b["type"] == event_type]


def _refused(call) -> str:
    with pytest.raises(RemoteError) as refused:
        call()
    return refused.value.exc_type


def test_an_admin_registers_and_changes_agencies_every_role_reads_them(network):  # noqa: F811
    db = network.db["referral"]
    with network.rpc() as rpc:
        entry = rpc.referral.register_agency(ADMIN, **PROVIDER)
        assert entry["id"] == "duhok-gov-shelter" and entry["active"] is True
        assert _refused(lambda: rpc.referral.register_agency(ADMIN, **PROVIDER)) == "Conflict"
        assert _refused(lambda: rpc.referral.register_agency(
            POLICE, **{**PROVIDER, "agency": "x-shelter"})) == "Forbidden"
        assert _refused(lambda: rpc.referral.register_agency(
            ADMIN, **{**PROVIDER, "agency": "y-shelter", "kind": "spaceship"})) == "InvalidInput"

        listed = rpc.referral.list_agencies(POLICE, kind="shelter_provider")
        # the migration registered the shelter agency the network ran with
        assert [a["id"] for a in listed] == ["duhok-gov-shelter", "erbil-shelter"]
        assert rpc.referral.get_agency(POLICE, "duhok-gov-shelter")["names"]["ar"] == "دار دهوك"
        assert _refused(lambda: rpc.referral.get_agency(POLICE, "nobody")) == "NotFound"

        changed = rpc.referral.update_agency(ADMIN, "duhok-gov-shelter",
                                             {"active": False, "routing_order": None})
        assert changed["active"] is False and changed["routing_order"] is None
        assert _refused(lambda: rpc.referral.update_agency(
            POLICE, "duhok-gov-shelter", {"active": True})) == "Forbidden"
        assert _refused(lambda: rpc.referral.update_agency(
            ADMIN, "duhok-gov-shelter", {"kind": "court"})) == "InvalidInput"
        assert rpc.referral.list_agencies(POLICE, kind="shelter_provider", active=True)[0]["id"] \
            == "erbil-shelter"

    events = _events(db, "referral.agency_changed")
    assert [(e["payload"]["agency"], e["payload"]["active"], e["payload"]["routing_order"])
            for e in events] == [("duhok-gov-shelter", True, 2), ("duhok-gov-shelter", False, None)]
    assert events[0]["payload"]["spoken_languages"] == ["ar", "kmr"]


def test_addressed_to_is_stored_and_published_as_the_requested_provider(network, keys):  # noqa: F811
    db = network.db["referral"]
    with network.rpc() as rpc:
        rpc.referral.register_agency(ADMIN, **PROVIDER)
    intake = IntakePublisher(network.uri, keys.intake_public, "reference-secret")
    addressed = intake.reference("erbil-police", "addressed")
    intake.submit({**submission(), "addressed_to": "duhok-gov-shelter"}, reference=addressed,
                  agency="erbil-police", user="officer.one", correlation_id=None)
    to_network = intake.reference("erbil-police", "network")
    intake.submit(submission(), reference=to_network, agency="erbil-police", user="officer.one",
                  correlation_id=None)

    def stored():
        with db.read() as s:
            return dict(s.execute(select(referrals.c.reference, referrals.c.addressed_to)).all())
    rows = wait_for(lambda: len(stored()) == 2 and stored(), what="both referrals recorded")
    assert rows == {addressed: "duhok-gov-shelter", to_network: None}
    published = {e["payload"]["reference"]: e for e in _events(db, "referral.submitted")}
    assert published[addressed]["version"] == 3
    assert published[addressed]["payload"]["requested_provider"] == "duhok-gov-shelter"
    assert published[addressed]["payload"]["service_languages"] == ["ku", "ar"]
    assert published[to_network]["payload"]["requested_provider"] is None
    with network.rpc() as rpc:  # the timeline names the police unit by id (not in the directory)
        status = rpc.referral.get_status(POLICE, addressed)
        assert status["timeline"][0]["agency"] == "erbil-police"
        assert "agency_names" not in status["timeline"][0]
        rpc.referral.register_agency(ADMIN, agency="erbil-police", kind="police_unit",
                                     names={"en": "Erbil police"})
        status = rpc.referral.get_status(POLICE, addressed)
        assert status["timeline"][0]["agency_names"] == {"en": "Erbil police"}


def test_migration_0008_registers_the_shelter_agency_and_every_referring_agency(db_url, monkeypatch):
    monkeypatch.setenv("REFNET_SHELTER_AGENCY", "zakho-shelter")
    upgrade("referral", db_url, "0007")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for n, agency in enumerate(["erbil-police", "duhok-police", "erbil-police"]):
                conn.execute(text(
                    "INSERT INTO referrals (reference, referring_agency, submitted_by, status, "
                    "population_group, urgency, needs, children_count, beds_needed, "
                    "share_status_with_referrer, share_with_legal, file_ciphertext, body_hash, "
                    "submitted_at, updated_at) VALUES (:ref, :agency, 'officer', 'received', "
                    "'women', 'routine', '[]', 0, 1, true, true, :blob, 'h', :at, :at)"),
                    {"ref": f"RN-AAAA-BBBB-CCCC-DDD{n + 2}", "agency": agency, "blob": b"x",
                     "at": at})
        upgrade("referral", db_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, kind, name_en, active, routing_order FROM "
                                     "agencies ORDER BY id")).all()
            addressed = conn.execute(text("SELECT DISTINCT addressed_to FROM referrals")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("duhok-police", "police_unit", "duhok-police", True, None),
        ("erbil-police", "police_unit", "erbil-police", True, None),
        ("zakho-shelter", "shelter_provider", "zakho-shelter", True, 1)]
    assert [tuple(r) for r in addressed] == [(None,)]
