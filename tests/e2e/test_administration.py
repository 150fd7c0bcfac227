"""Administration over the API on the real network (docs/decisions/0043), each process with its
own broker user: a service verifies its own keyed chain against the checkpoints the gateway
keeps (the same rows ``refnet audit verify`` reads and writes), a forged checkpoint row is
named; a poisoned message is parked, listed by the referral service (the one broker user that
may read the parking queue) without its body, retried back into the queue it failed in, and
the retry is audited."""

import json
import subprocess
import uuid

import kombu
from sqlalchemy import delete, insert

from gateway.auditcheckpoints import audit_checkpoints

from refnet.harness.network import BIN, ROOT
from refnet.harness.polling import poll
from services.common import dead_letters
from services.common.db import Database


def refnet(net, *args):
    return subprocess.run([str(BIN / "refnet"), *args], env=net.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_a_service_verifies_its_chain_against_the_gateways_checkpoints(network):
    admin = network.token("admin")
    first = network.api("POST", "/audit/verify", admin, json={"service": "shelter"})
    assert first.status_code == 200, first.text
    assert first.json()["intact"] is True and first.json()["problems"] == []
    recorded = first.json()["recorded"]
    assert recorded and recorded["entry_id"] == first.json()["entries"]
    # the verify itself was audited, so the head moved on: the next verify checks against it
    again = network.api("POST", "/audit/verify", admin, json={"service": "shelter"}).json()
    assert again["intact"] and again["checkpoint"]["entry_id"] >= recorded["entry_id"]
    # the command line reads the same rows and accepts the page's checkpoints
    cli = refnet(network, "audit", "verify", "shelter")
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "checkpoint of entry" in cli.stdout
    trail = network.api("GET", "/audit", admin, params={"service": "shelter", "object": "audit"})
    assert "audit.verify" in {e["action"] for e in trail.json()}

    # a row the gateway's database holds without the audit key's MAC is named and not trusted
    gateway_db = Database(network.env.get("REFNET_GATEWAY_DATABASE_URL")
                          or f"sqlite:///{network.workdir / 'gateway.db'}")
    try:
        with gateway_db.write() as s:
            s.execute(insert(audit_checkpoints).values(service="shelter", entry_id=1, hash="x",
                                                       at="2026-01-01T00:00:00+00:00", mac="forged"))
        forged = network.api("POST", "/audit/verify", admin, json={"service": "shelter"}).json()
        assert forged["intact"] is False and forged["recorded"] is None
        assert any("not signed with REFNET_AUDIT_KEY" in p for p in forged["problems"])
    finally:
        with gateway_db.write() as s:
            s.execute(delete(audit_checkpoints).where(audit_checkpoints.c.mac == "forged"))
        gateway_db.dispose()
    assert network.api("POST", "/audit/verify", admin,
                       json={"service": "shelter"}).json()["intact"] is True


def _parked(network, admin, message_id):
    listed = network.api("GET", "/admin/dead-letters", admin)
    assert listed.status_code == 200, listed.text
    return next((d for d in listed.json() if d["id"].startswith(message_id + "@")), None)


def test_a_parked_message_is_listed_without_its_body_and_retried_into_its_queue(network, vhost_uri):
    admin = network.token("admin")
    message_id = str(uuid.uuid4())
    poison = {"event_id": "not-a-uuid", "type": "referral.submitted", "version": 1,
              "occurred_at": "yesterday", "source": "police", "payload": {"secret": "never shown"}}
    with kombu.Connection(vhost_uri) as conn:   # straight onto the queue, as a broken publisher
        conn.Producer().publish(json.dumps(poison), exchange="", routing_key="notify.events",
                                content_type="application/json", message_id=message_id,
                                delivery_mode=2)
    found = poll(lambda: _parked(network, admin, message_id), timeout=90,
                 what="the poisoned message parked")
    assert (found["queue"], found["reason"]) == ("notify.events", "delivery_limit")
    assert found["deaths"] >= 1 and "never shown" not in json.dumps(found)

    retried = network.api("POST", "/admin/dead-letters/retry", admin, json={"id": found["id"]})
    assert retried.status_code == 200, retried.text
    assert retried.json()["queue"] == "notify.events"
    # out of the parking queue at once; back in its queue, it fails there again (it is still
    # poison) and is parked a second time: it did go back
    assert _parked(network, admin, message_id) is None
    again = poll(lambda: _parked(network, admin, message_id), timeout=90,
                 what="the retried message parked again")
    assert again["id"] == found["id"]
    gone = network.api("POST", "/admin/dead-letters/retry", admin, json={"id": "nothing@none"})
    assert gone.status_code == 404
    trail = network.api("GET", "/audit", admin, params={"service": "referral",
                                                       "object": f"dead_letter:{found['id']}"})
    assert [e["action"] for e in trail.json()] == ["dead_letter.retry"]
    assert network.api("GET", "/admin/dead-letters", network.token("police")).status_code == 403
    _forget(vhost_uri, found["id"])  # the shared network's parking queue as it was


def _forget(uri, dead_letter_id):
    """Take the test's poisoned message out of the parking queue for good."""
    with kombu.Connection(uri) as conn:
        channel = conn.channel()
        try:
            for message in dead_letters._fetch_all(channel):
                if dead_letters._describe(message).id == dead_letter_id:
                    message.ack()
        finally:
            channel.close()
