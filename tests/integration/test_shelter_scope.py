"""Shelter identities are scoped to their agency: in the referral and shelter services (in
nameko containers, on the real broker, SQLite and PostgreSQL) a ``shelter`` identity of
another agency than the facility's provider reads no file, referral, facility or plan (404),
sees only its own provider's rows in the lists, the search by name and the figures (none here),
and every write it attempts is refused and changes nothing."""

from datetime import datetime, timezone

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import select

from gateway.intake import IntakePublisher
from services.referral.tables import audit_log as referral_audit
from services.referral.tables import referrals, timeline
from services.shelter.tables import audit_log as shelter_audit
from services.shelter.tables import capacity_history, incoming, placements

from tests.integration.conftest import caller, count, submission, wait_for
from tests.integration.test_services_flow import (ADMIN, FACILITY, POLICE, STAFF,  # noqa: F401
                                                  _open_facility, _women_beds, network)

OTHER = caller("shelter", "other-shelter", "intake.other").to_dict()


def _refused(call, *args, **kwargs) -> RemoteError:
    with pytest.raises(RemoteError) as refused:
        call(*args, **kwargs)
    return refused.value


def _snapshot(db) -> dict:
    with db["referral"].read() as s:
        referral = [tuple(r) for r in s.execute(select(referrals.c.reference, referrals.c.status,
                                                       referrals.c.share_with_legal))]
    with db["shelter"].read() as s:
        shelter = ([tuple(r) for r in s.execute(select(incoming.c.reference, incoming.c.status))],
                   [tuple(r) for r in s.execute(select(placements.c.reference, placements.c.state))])
    return {"referral": referral, "timeline": count(db["referral"], timeline), "shelter": shelter,
            "capacity_changes": count(db["shelter"], capacity_history)}


def test_a_shelter_identity_of_another_agency_reads_nothing_and_changes_nothing(network, keys):
    intake = IntakePublisher(network.uri, keys.intake_public, "reference-secret")
    reference = intake.reference("erbil-police", "scope-1")
    intake.submit(submission(), reference=reference, agency="erbil-police", user="officer.one",
                  correlation_id=None)
    with network.rpc() as rpc:
        _open_facility(rpc)
        wait_for(lambda: rpc.referral.get_status(POLICE, reference)["status"] == "received",
                 what="status received")
        before = _snapshot(network.db)
        beds = _women_beds(rpc)

        # the referral service: the file, the status, the FHIR Task, consent, lists, search
        for method in ("get_file", "get_status", "get_fhir_task", "get_consent"):
            refused = _refused(getattr(rpc.referral, method), OTHER, reference)
            assert (refused.exc_type, method) == ("NotFound", method)
        assert _refused(rpc.referral.record_consent, OTHER, reference, "legal_team",
                        False).exc_type == "NotFound"
        # the search, the list and the figures: what its own provider holds (none here)
        assert rpc.referral.search_by_name(OTHER, submission()["survivor"]["name"]) == []
        assert [r["reference"] for r in rpc.referral.search_by_name(
            STAFF, submission()["survivor"]["name"])] == [reference]
        assert rpc.referral.list_referrals(OTHER)["items"] == []
        assert [i["reference"] for i in rpc.referral.list_referrals(STAFF)["items"]] == [reference]
        today = datetime.now(timezone.utc).date().isoformat()
        assert rpc.referral.report_figures(OTHER, today, today)["referrals"]["total"] == 0
        assert rpc.referral.report_figures(STAFF, today, today)["referrals"]["total"] == 1

        # the shelter service: the decision, the facility's beds, board, census and history
        assert _refused(rpc.shelter.decide, OTHER, reference, "accept").exc_type == "NotFound"
        assert _refused(rpc.shelter.set_capacity, OTHER, FACILITY, "women", 40).exc_type == "NotFound"
        assert _refused(rpc.shelter.set_out_of_service, OTHER, FACILITY, "women", 1,
                        "leak").exc_type == "NotFound"
        assert _refused(rpc.shelter.admit, OTHER, FACILITY, reference, "cm.one").exc_type == "NotFound"
        for method in ("bed_board", "daily_census", "capacity_history"):
            assert _refused(getattr(rpc.shelter, method), OTHER, FACILITY).exc_type == "NotFound"
        # every provider lists what it holds (docs/decisions/0039): nothing, for this one
        assert rpc.shelter.list_incoming(OTHER) == {"items": [], "next_cursor": None}
        # another provider's lists hold its own rows only (docs/decisions/0038): none here
        for method in ("waitlist", "list_plans", "list_hearings", "list_facilities"):
            assert getattr(rpc.shelter, method)(OTHER) == [], method
        assert rpc.shelter.list_milestones(OTHER)["count"] == 0
        assert _refused(rpc.shelter.get_plan, OTHER, 1).exc_type == "NotFound"
        assert _refused(rpc.shelter.rename_facility, OTHER, FACILITY, "x").exc_type == "NotFound"
        assert _refused(rpc.shelter.close_facility, OTHER, FACILITY).exc_type == "NotFound"
        # its figures are its own provider's: none
        assert rpc.shelter.report_figures(OTHER, "2025-01-01",
                                          "2025-01-31")["admissions"]["total"] == 0

        # nothing changed, and each refusal of a file or a write is in the audit trail
        assert _snapshot(network.db) == before and _women_beds(rpc) == beds
        for db, table, action in ((network.db["referral"], referral_audit, "referral.read_file"),
                                  (network.db["referral"], referral_audit, "consent.read"),
                                  (network.db["referral"], referral_audit, "consent.record"),
                                  (network.db["shelter"], shelter_audit, "referral.decide"),
                                  (network.db["shelter"], shelter_audit, "facility.set_capacity")):
            with db.read() as s:
                outcomes = s.execute(select(table.c.outcome).where(
                    table.c.action == action, table.c.agency == "other-shelter")).scalars().all()
            assert outcomes == ["not_found"], action

        # the network's own shelter staff still read and decide
        assert rpc.referral.get_file(STAFF, reference)["reference"] == reference
        assert rpc.shelter.decide(STAFF, reference, "accept")["status"] == "accepted"
