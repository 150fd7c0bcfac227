"""Services killed mid-work, a relay that died between commit and publish, every event twice,
a poison message, and two replicas of every service: each effect happens exactly once."""

import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import kombu
import pytest
from sqlalchemy import select, update

from services.common.caller import Caller
from services.common.db import Database
from tests.e2e.conftest import CANONICAL
from tests.faults.conftest import PLACED, accepted_and_placed, all_referrals, unique_agency, wait_all

BIN = Path(sys.executable).parent


def submit_many(network, token, count, prefix) -> set[str]:
    def one(i):
        answer = network.api("POST", "/referrals", token, json=CANONICAL,
                             headers={"Idempotency-Key": f"{prefix}-{i}"})
        assert answer.status_code == 202, answer.text
        return answer.json()["reference"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return set(pool.map(one, range(count)))


def statuses(network, token, reference) -> list[str]:
    return [e["status"] for e in network.api("GET", f"/referrals/{reference}/status", token).json()["timeline"]]


def incoming_counts(network, references) -> dict[str, int]:
    rows = network.api("GET", "/shelter/incoming", network.token("shelter"), params={"status": "all", "limit": 500}).json()["items"]
    counts = {r: 0 for r in references}
    for row in rows:
        if row["reference"] in counts:
            counts[row["reference"]] += 1
    return counts


def assert_placed_once_and_eligible(network, token, references) -> None:
    """Every referral accepted and placed, received by the shelter once, eligible for legal aid."""
    for reference in references:
        assert accepted_and_placed(statuses(network, token, reference))
    assert set(incoming_counts(network, references).values()) == {1}
    eligible = [e["reference"] for e in network.api("GET", "/legal/eligible", network.token("legal")).json()]
    assert sorted(r for r in eligible if r in references) == sorted(references)


@pytest.mark.parametrize("victim", ["shelter", "referral"])
def test_a_service_killed_mid_work_loses_nothing_and_repeats_nothing(make_network, victim):
    network = make_network()
    token = network.token("police", agency=unique_agency())
    references = submit_many(network, token, 60, f"kill-{victim}")
    network.stop(victim, sig=signal.SIGKILL)  # mid-stream: some handled, some not
    network.start(victim)
    network.wait_service(victim)
    wait_all(network, token, references, "received")
    assert all(statuses(network, token, r) == ["submitted", "received"] for r in references)
    assert set(incoming_counts(network, references).values()) == {1}


def test_relay_killed_between_commit_and_publish(make_network):
    network = make_network()
    token = network.token("police", agency=unique_agency())
    references = sorted(submit_many(network, token, 2, "relay"))
    wait_all(network, token, set(references), "received")

    network.stop("shelter", sig=signal.SIGKILL)
    shelter_db = Database(network.env["SHELTER_DATABASE_URL"])
    from services.shelter import usecases as shelter_app
    from services.shelter.tables import outbox
    staff = Caller(user="intake.test", role="shelter", agency="erbil-shelter")
    # Committed, never published: what a process leaves when it dies right after the commit.
    shelter_app.decide(shelter_db, staff, references[0], "accept", None)
    # Committed and claimed by a relay that died mid-publish: its lease runs out, then any relay.
    shelter_app.decide(shelter_db, staff, references[1], "accept", None)
    with shelter_db.write() as s:
        s.execute(update(outbox).where(outbox.c.sent_at.is_(None))
                  .where(outbox.c.body.contains(references[1]))
                  .values(claimed_by="dead-relay",
                          claimed_until=datetime.now(timezone.utc) + timedelta(seconds=3)))
    shelter_db.dispose()

    network.start("shelter")
    for reference in references:
        network.wait_status(reference, "bed_held", token, timeout=60)
        assert statuses(network, token, reference) == ["submitted", "received", "accepted", "bed_held"]
    check = Database(network.env["SHELTER_DATABASE_URL"])
    with check.read() as s:
        unsent = s.execute(select(outbox.c.id).where(outbox.c.sent_at.is_(None))).all()
    check.dispose()
    assert unsent == []


def test_every_event_delivered_twice_has_one_effect(make_network, event_tap_factory):
    network = make_network(duplicate_events=True)
    tap = event_tap_factory(network)
    token = network.token("police", agency=unique_agency())
    shelter = network.token("shelter")
    references = submit_many(network, token, 15, "twice")
    wait_all(network, token, references, "received")
    for reference in references:
        assert network.api("POST", f"/referrals/{reference}/decision", shelter,
                           json={"decision": "accept"}).status_code == 200
    wait_all(network, token, references, PLACED)

    assert_placed_once_and_eligible(network, token, references)
    seen = [m for m in tap() if m["payload"].get("reference") in references]
    by_id: dict[str, int] = {}
    for message in seen:
        by_id[message["event_id"]] = by_id.get(message["event_id"], 0) + 1
    assert by_id and set(by_id.values()) == {2}  # every event really went out twice


def test_a_poison_message_is_parked_and_the_stream_goes_on(make_network):
    network = make_network()
    token = network.token("police", agency=unique_agency())
    with kombu.Connection(network.amqp_uri) as conn:
        kombu.Producer(conn.channel()).publish(
            json.dumps({"event_id": "not-a-uuid", "type": "referral.submitted"}),
            exchange="refnet.events", routing_key="referral.submitted",
            content_type="application/json", message_id="poison-1", delivery_mode=2)
    good = submit_many(network, token, 3, "after-poison")
    wait_all(network, token, good, "received")

    deadline, listing = time.time() + 60, ""
    while time.time() < deadline:
        listing = subprocess.run([str(BIN / "refnet"), "dead-letters", "list"], env=network.env,
                                 capture_output=True, text=True).stdout
        if "poison-1@shelter.events" in listing:
            break
        time.sleep(0.5)
    assert "poison-1@shelter.events" in listing and "delivery_limit" in listing
    ready = network.wait_ready()
    assert ready["dead_letters"] >= 1
    failures = sum(log.read_text().count("message poison-1 (referral.submitted) failed")
                   for log in network.logs.glob("shelter*.log"))  # every replica's log
    assert failures == 6  # first delivery + 5 redeliveries (x-delivery-limit 5), then parked


def test_two_replicas_of_every_service_share_the_work_and_act_once(make_network):
    network = make_network(replicas=2)
    token = network.token("police", agency=unique_agency())
    shelter = network.token("shelter")
    references = submit_many(network, token, 80, "replicas")
    wait_all(network, token, references, "received")
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda r: network.api("POST", f"/referrals/{r}/decision", shelter,
                                                     json={"decision": "accept"}).status_code, references))
    assert codes == [200] * len(references)
    wait_all(network, token, references, PLACED)
    assert_placed_once_and_eligible(network, token, references)
    for service, line in (("referral", "recorded"), ("shelter", "incoming referral")):
        first = (network.logs / f"{service}.log").read_text().count(line)
        second = (network.logs / f"{service}.2.log").read_text().count(line)
        assert first + second == len(references) and first > 0 and second > 0, (service, first, second)
    assert len(all_referrals(network, token)) == len(references)
