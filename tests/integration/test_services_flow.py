"""The three nameko services in containers, on the real broker (a fresh vhost per test) and real
databases (SQLite files, and PostgreSQL): a police submission travels intake -> referral ->
shelter -> referral -> legal by events, redeliveries have one effect, poison is dead-lettered."""

import base64
import json
import os
import time
import uuid
from contextlib import contextmanager

import eventlet
import kombu
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from gateway.intake import IntakePublisher
from refnet.harness.signed_rpc import signing
from services.common import broker
from services.common.migrations import SERVICES
from services.common.sealing import new_keypair
from services.common.signed_caller import Signer
from services.contracts import topology
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.legal.tables import eligible
from services.referral.tables import outbox as referral_outbox
from services.referral.tables import audit_log as referral_audit
from services.referral.tables import referrals, timeline
from services.shelter.tables import incoming
from services.shelter.tables import outbox as shelter_outbox

from tests.integration.conftest import (caller, count, drain, finished_workers, intake_command,
                                        observed, submission, wait_for)

SHELTER_AGENCY = os.environ.get("REFNET_SHELTER_AGENCY", "erbil-shelter")  # as ShelterService reads it
POLICE = caller("police", "erbil-police", "officer.one").to_dict()
STAFF = caller("shelter", SHELTER_AGENCY, "staff.one").to_dict()
LEGAL = caller("legal", "legal-aid", "lawyer.one").to_dict()
ADMIN = caller("admin", "refnet-admin", "admin.one").to_dict()
FACILITY = "it-shelter"


class Network:
    def __init__(self, uri, urls, containers, databases, keys):
        self.uri = uri
        self.keys = keys
        self.urls = urls
        self.containers = containers
        self.db = {name: databases.database(url) for name, url in urls.items()}

    def workers(self, service):
        return finished_workers(self.containers[service])

    @contextmanager
    def rpc(self):
        """The services by RPC, each call's caller signed as the gateway signs it."""
        with self.unsigned_rpc() as proxy:
            yield signing(proxy, self.keys.signer)

    def unsigned_rpc(self):
        """The services by RPC, callers sent as they are given."""
        return ClusterRpcProxy({"AMQP_URI": self.uri}, timeout=15)

    def publish(self, body: dict, *, routing_key: str | None = None, exchange=None):
        publisher = broker.ConfirmingPublisher(self.uri)
        try:
            publisher.publish(body, exchange=exchange or broker.EVENTS_EXCHANGE,
                              routing_key=routing_key or body["type"],
                              message_id=str(body.get("event_id") or body.get("command_id")))
        finally:
            publisher.close()


@pytest.fixture
def fast_retries():
    """Failed messages are handed back after 0.05 s, 0.1 s, 0.2 s... instead of 0.5 s, 1 s, 2 s...
    (the retrying consumer reads REFNET_RETRY_BASE_SECONDS at each failure)."""
    before = os.environ.get("REFNET_RETRY_BASE_SECONDS")
    os.environ["REFNET_RETRY_BASE_SECONDS"] = "0.05"
    yield
    if before is None:
        del os.environ["REFNET_RETRY_BASE_SECONDS"]
    else:
        os.environ["REFNET_RETRY_BASE_SECONDS"] = before


def service_classes():
    """The three service classes. Their modules check the settings when first imported (a
    service without its secrets does not start), so they are imported once the test's own
    secrets are in the environment (``network``)."""
    from services.legal.service import LegalService
    from services.referral.service import ReferralService
    from services.shelter.service import ShelterService
    return ReferralService, ShelterService, LegalService


@pytest.fixture
def network(fresh_vhost, db_url, databases, keys, container_factory, monkeypatch):
    """Migrated databases, then the three services started in containers with this test's
    secrets in the environment, as a deployment gives them; stopped at the end before the
    databases are dropped and the vhost deleted (nameko's ``fast_teardown`` would otherwise
    tear ``container_factory`` down last)."""
    _name, uri = fresh_vhost
    urls = {service: databases.migrated(service, db_url if service == "referral" else None)
            for service in SERVICES}
    monkeypatch.setenv("REFNET_FILE_KEYS", keys.file_keys)
    monkeypatch.setenv("REFNET_INTAKE_PRIVATE_KEY", keys.intake_private)
    monkeypatch.setenv("REFNET_CALLER_VERIFY_KEY", keys.caller_verify)
    config = {"AMQP_URI": uri, "DB_URIS": urls, "OUTBOX_POLL_SECONDS": 0.5}
    containers = {}
    try:
        for service_cls in service_classes():
            container = container_factory(observed(service_cls), config)
            container.start()
            containers[container.service_name] = container
        yield Network(uri, urls, containers, databases, keys)
    finally:
        def stop(container):  # gracefully, as on SIGTERM; killed if that takes too long
            try:
                with eventlet.Timeout(20):
                    container.stop()
            except eventlet.Timeout:
                container.kill()

        stopping = [eventlet.spawn(stop, c) for c in containers.values()]
        for thread in stopping:
            thread.wait()


def _status(rpc, reference, who=POLICE):
    return rpc.referral.get_status(who, reference)


def _open_facility(rpc, women_beds: int = 2) -> None:
    """A facility with free women's beds, so that accepting holds one (shelter placements)."""
    rpc.shelter.register_facility(ADMIN, FACILITY, "Integration shelter", SHELTER_AGENCY)
    rpc.shelter.set_capacity(ADMIN, FACILITY, "women", women_beds)


def _women_beds(rpc) -> tuple[int, int, int]:
    [row] = [r for r in rpc.shelter.availability(STAFF)
             if (r["facility"], r["population_group"]) == (FACILITY, "women")]
    return row["capacity"], row["held"], row["available"]


def test_a_referral_travels_through_the_network_once(network, keys):
    intake = IntakePublisher(network.uri, keys.intake_public, "reference-secret")
    reference = intake.reference("erbil-police", "idempotency-key-1")
    command = intake.submit(submission(), reference=reference, agency="erbil-police",
                            user="officer.one", correlation_id="corr-flow")
    referral_workers = network.workers("referral")

    with network.rpc() as rpc:
        assert rpc.shelter.list_facilities(ADMIN) == []  # a new network, as `refnet up` asks
        _open_facility(rpc)
        assert [(f["facility"], f["name"], f["provider"]) for f in rpc.shelter.list_facilities(
            ADMIN)] == [(FACILITY, "Integration shelter", SHELTER_AGENCY)]
        # referral records it, shelter consumes referral.submitted and answers by event
        wait_for(lambda: _status(rpc, reference)["status"] == "received", what="status received")
        [incoming_view] = rpc.shelter.list_incoming(STAFF)["items"]
        assert (incoming_view["reference"], incoming_view["status"]) == (reference, "received")

        # the police retry (same idempotency key, so the same reference): nothing new
        retry = intake.submit(submission(), reference=intake.reference("erbil-police", "idempotency-key-1"),
                              agency="erbil-police", user="officer.one", correlation_id="corr-flow")
        assert retry["reference"] == reference
        wait_for(lambda: referral_workers.runs("take_submission", retry["command_id"]), what="the retry handled")
        assert referral_workers.runs("take_submission", command["command_id"]) == [None]
        assert referral_workers.runs("take_submission", retry["command_id"]) == [None]

        decision = rpc.shelter.decide(STAFF, reference, "accept")
        assert (decision["reference"], decision["status"]) == (reference, "accepted")
        assert (decision["placement"]["state"], decision["placement"]["facility"]) == ("held", FACILITY)
        # accepted, and then (the shelter held a bed in the same transaction) bed_held
        wait_for(lambda: _status(rpc, reference)["status"] == "bed_held", what="status bed_held")
        eligible_now = wait_for(lambda: rpc.legal.list_eligible(LEGAL), what="legal eligibility")
        assert [e["reference"] for e in eligible_now] == [reference]
        assert _women_beds(rpc) == (2, 1, 1)

        view = _status(rpc, reference)
        assert [(e["status"], e["agency"]) for e in view["timeline"]] == [
            ("submitted", "erbil-police"), ("received", SHELTER_AGENCY), ("accepted", SHELTER_AGENCY),
            ("bed_held", SHELTER_AGENCY)]
        assert [i["reference"] for i in rpc.referral.list_referrals(POLICE)["items"]] == [reference]
        file = rpc.referral.get_file(STAFF, reference)
        assert file["submission"]["survivor"]["name"] == submission()["survivor"]["name"]

        with pytest.raises(RemoteError) as other_agency:
            rpc.referral.get_status(caller("police", "duhok-police").to_dict(), reference)
        assert other_agency.value.exc_type == "NotFound"
        with pytest.raises(RemoteError) as twice:
            rpc.shelter.decide(STAFF, reference, "accept")
        assert twice.value.exc_type == "Conflict"

    db = network.db
    assert count(db["referral"], referrals) == 1
    assert count(db["referral"], timeline) == 4
    assert count(db["shelter"], incoming) == 1
    assert count(db["legal"], eligible) == 1
    # every event row of every service was published and marked sent by its relay
    for service, table in (("referral", referral_outbox), ("shelter", shelter_outbox)):
        wait_for(lambda: count(db[service], table, table.c.sent_at.is_(None)) == 0,
                 what=f"{service} outbox drained")
    with db["referral"].read() as s:
        correlations = set(s.execute(select(referral_outbox.c.body)).scalars())
    assert {json.loads(b)["correlation_id"] for b in correlations} == {"corr-flow", None}


def test_a_redelivered_event_has_one_effect(network, keys):
    intake = IntakePublisher(network.uri, keys.intake_public, "reference-secret")
    reference = intake.reference("erbil-police", "key-redelivery")
    db = network.db
    with network.rpc() as rpc:
        _open_facility(rpc)
        intake.submit(submission(), reference=reference, agency="erbil-police", user="officer.one",
                      correlation_id=None)
        wait_for(lambda: _status(rpc, reference)["status"] == "received", what="status received")
        rpc.shelter.decide(STAFF, reference, "accept")
        wait_for(lambda: _status(rpc, reference)["status"] == "bed_held", what="status bed_held")
        wait_for(lambda: rpc.legal.list_eligible(LEGAL), what="legal eligibility")

        def sent(database, table, event_type):
            with database.read() as s:
                return s.execute(select(table.c.body).where(table.c.type == event_type)
                                 .where(table.c.sent_at.is_not(None))).scalar_one_or_none()

        # capture what was really published, and deliver copies of it once more
        accepted = json.loads(wait_for(lambda: sent(db["shelter"], shelter_outbox, "shelter.referral_accepted"),
                                       what="shelter.referral_accepted sent"))
        held = json.loads(wait_for(lambda: sent(db["shelter"], shelter_outbox, "shelter.bed_held"),
                                   what="shelter.bed_held sent"))
        submitted = json.loads(wait_for(lambda: sent(db["referral"], referral_outbox, "referral.submitted"),
                                        what="referral.submitted sent"))
        decided = json.loads(wait_for(lambda: sent(db["referral"], referral_outbox, "referral.accepted"),
                                      what="referral.accepted sent"))
        wait_for(lambda: network.workers("legal").runs("on_event", decided["event_id"]),
                 what="legal handled referral.accepted")
        for envelope in (accepted, held, submitted, decided):
            network.publish(envelope)

        # each copy reached its consumer and was handled without error (once originally,
        # once as the copy) ...
        for service, envelope in (("referral", accepted), ("referral", held), ("shelter", submitted),
                                  ("legal", decided)):
            wait_for(lambda: len(network.workers(service).runs("on_event", envelope["event_id"])) == 2,
                     what=f"{service} handled the copy of {envelope['type']}")
            assert network.workers(service).runs("on_event", envelope["event_id"]) == [None, None]

        # ... and changed nothing
        view = _status(rpc, reference)
        assert [e["status"] for e in view["timeline"]] == ["submitted", "received", "accepted", "bed_held"]
        assert [e["reference"] for e in rpc.legal.list_eligible(LEGAL)] == [reference]
        assert [i["reference"] for i in rpc.shelter.list_incoming(STAFF, None)["items"]] == [reference]
        assert _women_beds(rpc) == (2, 1, 1)

    def types(database, table):
        with database.read() as s:
            return list(s.execute(select(table.c.type).order_by(table.c.id)).scalars())

    published = types(db["referral"], referral_outbox)
    assert [t for t in published if t != "referral.status_changed"] == [
        "referral.submitted", "referral.accepted"]
    with db["referral"].read() as s:  # one per step the police may see, none for the copies
        changes = [json.loads(b)["payload"]["change"] for b in s.execute(
            select(referral_outbox.c.body).where(referral_outbox.c.type == "referral.status_changed"))
            .scalars()]
    assert sorted(changes) == ["accepted", "bed_held", "received"]
    assert types(db["shelter"], shelter_outbox) == [
        "shelter.capacity_changed", "shelter.referral_received", "shelter.referral_offered",
        "shelter.referral_accepted", "shelter.bed_held"]
    assert count(db["shelter"], incoming) == 1
    assert count(db["legal"], eligible) == 1


def test_poison_messages_are_dead_lettered_and_later_messages_still_processed(fast_retries, network, keys):
    poison = {"event_id": "not-a-uuid", "type": "referral.submitted", "version": 1,
              "occurred_at": "yesterday", "source": "police", "correlation_id": None,
              "payload": {"name": "should never be stored"}}
    valid = make_event("referral.submitted", {
        "reference": random_reference(), "population_group": "men", "urgency": "routine",
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "erbil-police", "submitted_at": "2026-03-01T09:00:00+00:00",
        "survivor_minor": False},
        source="referral")
    _stranger_private, stranger_public = new_keypair()
    unreadable = intake_command(stranger_public, submission())  # sealed for another key
    readable = intake_command(keys.intake_public, submission())
    shelter_queue = topology.event_queue_for("shelter")
    # each poison goes straight onto its queue (default exchange), a valid message right behind
    for body, queue in ((poison, shelter_queue), (valid, shelter_queue),
                        (unreadable, topology.INTAKE_QUEUE), (readable, topology.INTAKE_QUEUE)):
        network.publish(body, routing_key=queue, exchange=broker.DEFAULT_EXCHANGE)

    shelter, referral = network.workers("shelter"), network.workers("referral")
    with network.rpc() as rpc:
        # the readable command travels on as usual: referral records it, the shelter receives it
        wait_for(lambda: _status(rpc, readable["reference"])["status"] == "received",
                 what="the readable command processed")
        wait_for(lambda: any(v["reference"] == valid["payload"]["reference"]
                             for v in rpc.shelter.list_incoming(STAFF, None)["items"]),
                 what="the valid event processed")
        assert sorted(v["reference"] for v in rpc.shelter.list_incoming(STAFF, None)["items"]) == \
            sorted([valid["payload"]["reference"], readable["reference"]])
    assert shelter.runs("on_event", valid["event_id"]) == [None]
    assert referral.runs("take_submission", readable["command_id"]) == [None]

    with kombu.Connection(network.uri) as conn:
        dead = drain(conn, topology.DEAD_LETTER_QUEUE, 2)
    by_queue = {m.headers["x-death"][0]["queue"]: m for m in dead}
    assert sorted(by_queue) == sorted([shelter_queue, topology.INTAKE_QUEUE])
    assert by_queue[shelter_queue].payload == poison
    assert by_queue[topology.INTAKE_QUEUE].payload == unreadable
    assert {m.headers["x-death"][0]["reason"] for m in dead} == {"delivery_limit"}
    # each failed on every delivery its queue's limit allowed, then stopped coming back
    limit = topology.DELIVERY_LIMIT
    assert shelter.runs("on_event", "not-a-uuid") == ["ValidationError"] * (limit + 1)
    assert referral.runs("take_submission", unreadable["command_id"]) == ["InvalidInput"] * (limit + 1)
    assert count(network.db["shelter"], incoming) == 2
    assert count(network.db["referral"], referrals) == 1


def _altered(token: str, **claims) -> str:
    """A signed caller with ``claims`` changed after signing, its signature kept."""
    body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(claims)
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=") + \
        "." + signature


def test_the_services_run_no_rpc_whose_caller_the_gateway_did_not_sign(network, keys):
    """An RPC whose caller is a plain dict, or signed and then altered, expired, signed for
    another method, used twice or signed with a key a service holds, is refused before any rule
    runs (``CallerRefused``) and audited; the same call signed by the gateway's key is let in."""
    reference = random_reference()
    signer = keys.signer
    # a key minted from what a service holds (the public key's bytes taken as a private key)
    service_minted = Signer(keys.caller_verify)
    expired = Signer(keys.caller_signing, now=lambda: time.time() - 120)
    police = signer.sign(POLICE, "referral", "get_file")
    reused = signer.sign(STAFF, "referral", "get_file")
    with network.unsigned_rpc() as raw:
        refused = {
            "unsigned": lambda: raw.referral.get_file(STAFF, reference),
            "unsigned (shelter)": lambda: raw.shelter.list_incoming(STAFF),
            "unsigned (legal)": lambda: raw.legal.list_eligible(LEGAL),
            "role changed": lambda: raw.referral.get_file(_altered(police, role="shelter"),
                                                          reference),
            "agency changed": lambda: raw.referral.get_file(
                _altered(signer.sign(STAFF, "referral", "get_file"), agency="duhok-shelter"),
                reference),
            "expired": lambda: raw.referral.get_file(
                expired.sign(STAFF, "referral", "get_file"), reference),
            "another method": lambda: raw.referral.get_file(
                signer.sign(STAFF, "referral", "get_status"), reference),
            "another service": lambda: raw.shelter.list_incoming(
                signer.sign(STAFF, "referral", "list_incoming")),
            "minted by a service": lambda: raw.referral.get_file(
                service_minted.sign(STAFF, "referral", "get_file"), reference),
        }
        for what, call in refused.items():
            with pytest.raises(RemoteError) as refusal:
                call()
            assert refusal.value.exc_type == "CallerRefused", what
        with pytest.raises(RemoteError) as first_use:  # signed: the rules run, and refuse
            raw.referral.get_file(reused, reference)
        assert first_use.value.exc_type == "NotFound"
        with pytest.raises(RemoteError) as second_use:
            raw.referral.get_file(reused, reference)
        assert second_use.value.exc_type == "CallerRefused", "used twice"
    with network.rpc() as rpc:
        trail = rpc.referral.audit_query(ADMIN, actor="unverified")
        assert {(e["action"], e["object"], e["outcome"]) for e in trail} == {
            ("rpc.caller_refused", "rpc:referral.get_file", "refused")}
        assert len(trail) == 7  # the referral service's refusals, each one entry
        [shelter_refusal, *_] = rpc.shelter.audit_query(ADMIN, actor="unverified")
        assert shelter_refusal["object"] == "rpc:shelter.list_incoming"
        assert rpc.legal.audit_query(ADMIN, actor="unverified")[0]["outcome"] == "refused"


def test_a_sealed_submission_moved_to_another_agency_or_user_is_rejected(fast_retries, network,
                                                                          keys):
    """The reference, agency and user are bound into the seal: a command whose agency or user
    was changed after sealing creates no referral, is audited as refused and dead-lettered; the
    command as sealed is then taken as usual."""
    command = intake_command(keys.intake_public, submission(), agency="erbil-police",
                             user="officer.one")
    moved = {**command, "command_id": str(uuid.uuid4()), "agency": "duhok-police"}
    posed = {**command, "command_id": str(uuid.uuid4()), "submitted_by": "officer.two"}
    for forged in (moved, posed):
        network.publish(forged, routing_key=topology.INTAKE_QUEUE, exchange=broker.DEFAULT_EXCHANGE)
    referral = network.workers("referral")
    limit = topology.DELIVERY_LIMIT
    for forged in (moved, posed):
        wait_for(lambda: referral.runs("take_submission", forged["command_id"])
                 == ["InvalidInput"] * (limit + 1), what="the forged command dead-lettered")
    db = network.db["referral"]
    assert count(db, referrals) == 0
    with db.read() as s:
        entries = s.execute(select(referral_audit.c.actor, referral_audit.c.action,
                                   referral_audit.c.object, referral_audit.c.outcome)).all()
    assert set(entries) == {("unverified", "referral.submit", f"referral:{command['reference']}",
                             "refused")}

    network.publish(command, routing_key=topology.INTAKE_QUEUE, exchange=broker.DEFAULT_EXCHANGE)
    wait_for(lambda: referral.runs("take_submission", command["command_id"]) == [None],
             what="the command as sealed taken")
    with db.read() as s:
        stored = s.execute(select(referrals.c.reference, referrals.c.referring_agency,
                                  referrals.c.submitted_by)).all()
    assert stored == [(command["reference"], "erbil-police", "officer.one")]
