"""A transfer between two shelter providers through the services' RPCs and events (nameko
containers, the real broker, SQLite and PostgreSQL; docs/decisions/0038): provider B's staff
get ``NotFound`` on provider A's facility and resident, the survivor's consent to B arrives as
``referral.consent_changed`` v2, the transfer takes the plan along, and the referral service's
timeline gains one entry naming both agencies (the status stays admitted)."""

from nameko.exceptions import RemoteError
import pytest

from gateway.intake import IntakePublisher
from services.contracts.envelope import make_event
from services.shelter.tables import provider_consents

from tests.integration.conftest import caller, count, submission, wait_for
from tests.integration.test_services_flow import (ADMIN, FACILITY, POLICE, SHELTER_AGENCY,  # noqa: F401
                                                  STAFF, _open_facility, network)

B = caller("shelter", "gov-shelter-b", "cm.b").to_dict()
B_FACILITY = "gov-b-house"


def test_a_transfer_with_consent_moves_beds_and_plan_and_extends_the_one_timeline(network, keys):
    intake = IntakePublisher(network.uri, keys.intake_public, "reference-secret")
    reference = intake.reference("erbil-police", "transfer-1")
    intake.submit(submission(), reference=reference, agency="erbil-police", user="officer.one",
                  correlation_id=None)
    with network.rpc() as rpc:
        _open_facility(rpc)
        assert rpc.shelter.register_facility(B, B_FACILITY, "House B")["provider"] == "gov-shelter-b"
        rpc.shelter.set_capacity(B, B_FACILITY, "women", 2)
        wait_for(lambda: rpc.referral.get_status(POLICE, reference)["status"] == "received",
                 what="received")
        rpc.shelter.decide(STAFF, reference, "accept")
        admission = rpc.shelter.admit(STAFF, FACILITY, reference, "staff.one")
        wait_for(lambda: rpc.referral.get_status(POLICE, reference)["status"] == "admitted",
                 what="admitted")

        for call in (lambda: rpc.shelter.bed_board(B, FACILITY),
                     lambda: rpc.shelter.get_plan(B, admission["plan_id"]),
                     lambda: rpc.shelter.transfer_resident(B, reference, B_FACILITY, "cm.b")):
            with pytest.raises(RemoteError) as refused:
                call()
            assert refused.value.exc_type == "NotFound"

        network.publish(make_event("referral.consent_changed", {
            "reference": reference, "audience": "provider", "agency": "gov-shelter-b",
            "granted": True, "until": None, "changed_at": "2026-12-01T10:00:00+00:00"},
            source="referral"))
        wait_for(lambda: count(network.db["shelter"], provider_consents) == 1, what="consent kept")
        moved = rpc.shelter.transfer_resident(STAFF, reference, B_FACILITY, "cm.b")
        assert (moved["care_plan_shared"], moved["plan_id"], moved["to_provider"]) == (
            True, admission["plan_id"], "gov-shelter-b")
        assert rpc.shelter.get_plan(B, admission["plan_id"])["facility"] == B_FACILITY
        entries = wait_for(lambda: [e for e in rpc.referral.get_status(POLICE, reference)["timeline"]
                                    if e["note"].startswith("Transferred")], what="timeline entry")
        assert len(entries) == 1
        assert SHELTER_AGENCY in entries[0]["note"] and "gov-shelter-b" in entries[0]["note"]
        assert rpc.referral.get_status(POLICE, reference)["status"] == "admitted"
