"""Shelter capacity through the real gateway (several gunicorn workers) and TWO shelter
service processes, on SQLite and on PostgreSQL.

The acceptance test runs 10 times in a row, each time from scratch: every table of the three
service databases is emptied (the processes keep running: they hold no bed state in memory),
the facility is seeded again and 201 new referrals are submitted through the API. Then
50 simultaneous accepts of one referral must give exactly one hold, and 200 simultaneous
accepts for the 45 remaining free beds exactly 45 holds and 155 waitlist entries (or clear
409 refusals), no 5xx, and every count must add up afterwards, down to each referral's
timeline. ``REFNET_CAPACITY_RUNS`` lowers the number of runs while developing.

Then the staff flows run on the same network: admission and discharge with the timeline,
bed board, census, waitlist reordering, refusals that change nothing, and the HSDS export.
"""

import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from refnet import demo
from tests.support import hsds
from refnet.harness import postgres as support_postgres
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network

from tests.e2e.capacity_helpers import (ADULT_MAN, ADULT_WOMAN, MINOR,
                                       admission_and_discharge_flow,
                                       available_of, poll, refer_many,
                                       refusals_change_nothing)

RUNS = int(os.environ.get("REFNET_CAPACITY_RUNS", "10"))
SERVICES = ("referral", "shelter", "legal", "notify")
FACILITY = demo.FACILITY["id"]
# 46 beds: one for the 50-accepts-of-one-referral check, then 45 free for the 200 accepts.
CAPACITY = {"women": 26, "men": 12, "children": 8}
MIX = {"women": (ADULT_WOMAN, 100), "men": (ADULT_MAN, 60), "children": (MINOR, 40)}
EXPECTED_HOLDS = {"women": 25, "men": 12, "children": 8}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def capacity_network(request, tmp_path_factory):
    vhost, uri = create_vhost("refnet-e2e-capacity")
    urls = {}
    try:
        if request.param == "postgres":
            urls = {s: support_postgres.create_database(f"refnet_e2e_{s}") for s in SERVICES}
        net = Network(tmp_path_factory.mktemp(f"capacity-{request.param}"), uri, database_urls=urls,
                      replicas={"shelter": 2},
                      # the per-user rate limit is not under test here (tests/unit/
                      # test_signin_hardening.py): the polls of one staff user while a busy
                      # machine drains 200 referrals could otherwise reach it
                      extra_env={"REFNET_GATEWAY_WORKERS": "3", "REFNET_GATEWAY_THREADS": "8",
                                 "REFNET_RPC_TIMEOUT": "30",
                                 "REFNET_RATE_LIMIT_PER_MINUTE": "1000000"})
        net.prepare()
        net.start()
        try:
            net.wait_ready()
            net.wait_consumers("rpc-shelter", 2)       # both shelter replicas answer RPC
            net.wait_consumers("shelter.events", 2)    # ...and consume events
            yield net
        finally:
            net.stop()
    finally:
        for url in urls.values():
            support_postgres.drop_database(url)
        delete_vhost(vhost)


def wipe(net: Network) -> None:
    """Empty every table of every service database (schema and processes stay). The services
    are running: a relay still marking the last run's events sent can make PostgreSQL pick the
    whole-table DELETE as a deadlock's victim, which is then tried again."""
    for service in SERVICES:
        engine = create_engine(net.env[f"{service.upper()}_DATABASE_URL"])
        try:
            for attempt in range(5):
                try:
                    _delete_all(engine, service)
                    break
                except OperationalError as exc:
                    if "deadlock" not in str(exc).lower() or attempt == 4:
                        raise
                    time.sleep(0.2)
        finally:
            engine.dispose()


def _delete_all(engine, service: str) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout=15000")
        metadata = __import__(f"services.{service}.tables", fromlist=["metadata"]).metadata
        for table in reversed(metadata.sorted_tables):
            if table.name != "audit_log":  # append-only: the chain runs on
                conn.execute(table.delete())


def db_counts(net: Network) -> dict:
    """Straight from the shelter database: the demo NGO shelter's counters and placements per
    group (the government shelter's facility is another provider's: never touched here)."""
    from services.shelter.tables import beds, placements
    engine = create_engine(net.env["SHELTER_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            inventory = {r.population_group: r for r in conn.execute(
                select(beds).where(beds.c.facility_id == FACILITY))}
            states = Counter((r.population_group, r.state) for r in conn.execute(select(placements)))
            duplicates = conn.execute(text("SELECT COUNT(*) - COUNT(DISTINCT reference) FROM placements")).scalar()
    finally:
        engine.dispose()
    return {"inventory": inventory, "states": states, "duplicates": duplicates}


def simultaneously(calls, workers: int = 50) -> list:
    """Run the callables from a pool, all released at once by a barrier; return results in order."""
    barrier = threading.Barrier(min(workers, len(calls)))

    def run(call):
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            pass  # fewer than ``workers`` left: go anyway
        return call()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


def list_by_status(net, token, status) -> set:
    refs, cursor = set(), None
    while True:
        params = {"status": status, "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = net.api("GET", "/referrals", token, params=params).json()
        refs |= {i["reference"] for i in page["items"]}
        cursor = page.get("next_cursor")
        if not cursor:
            return refs


def test_200_simultaneous_accepts_for_45_beds_ten_runs_from_scratch(capacity_network, capsys):
    net = capacity_network
    shelter = net.token("shelter")
    figures = []
    for run in range(1, RUNS + 1):
        wipe(net)
        net.seed_facility(CAPACITY)
        police = net.token("police", agency=f"tip-run-{run}-{uuid.uuid4().hex[:6]}")
        single = refer_many(net, police, [ADULT_WOMAN])[0]
        by_group = {g: refer_many(net, police, [body] * n) for g, (body, n) in MIX.items()}
        everyone = [single] + sum(by_group.values(), [])
        poll(lambda: len(net.api("GET", "/shelter/incoming", shelter,
                                     params={"limit": 500}).json()["items"]) == len(everyone),
             what=f"run {run}: all {len(everyone)} referrals received by the shelter")

        # 50 simultaneous accepts of one referral: one hold, 49 clear refusals.
        answers = simultaneously([lambda: net.api("POST", f"/referrals/{single}/decision", shelter,
                                                  json={"decision": "accept"})] * 50)
        codes = Counter(a.status_code for a in answers)
        assert codes == {200: 1, 409: 49}, codes
        winner = next(a for a in answers if a.status_code == 200).json()
        assert winner["placement"]["state"] == "held"
        for refused in (a for a in answers if a.status_code == 409):
            problem = refused.json()
            assert refused.headers["Content-Type"].startswith("application/problem+json")
            assert problem["code"] == "conflict" and "accepted" in problem["detail"]
        assert available_of(net, shelter)["women"]["held"] == 1

        # the minors' placements wait for a best-interests determination (decision 0055)
        determined = simultaneously([(lambda ref=ref: net.api(
            "POST", f"/referrals/{ref}/best-interests", shelter,
            json={"outcome": "placement_recommended"})) for ref in by_group["children"]])
        assert {a.status_code for a in determined} == {200}, [a.text for a in determined][:1]

        # 200 simultaneous accepts of 200 referrals for the 45 free beds.
        group_of = {ref: g for g, refs in by_group.items() for ref in refs}
        calls = [(lambda ref=ref: net.api("POST", f"/referrals/{ref}/decision", shelter,
                                          json={"decision": "accept"})) for ref in group_of]
        answers = simultaneously(calls)
        assert not [a.status_code for a in answers if a.status_code >= 500]
        outcome = Counter()
        for ref, answer in zip(group_of, answers):
            if answer.status_code == 200:
                outcome[(group_of[ref], answer.json()["placement"]["state"])] += 1
            else:
                assert answer.status_code == 409, answer.text
                outcome[(group_of[ref], "refused")] += 1
        holds = sum(n for (g, state), n in outcome.items() if state == "held")
        others = sum(n for (g, state), n in outcome.items() if state != "held")
        assert (holds, others) == (45, 155), outcome
        for group, expected in EXPECTED_HOLDS.items():
            assert outcome[(group, "held")] == expected, (group, outcome)

        # The counts add up: API, bed board, waitlist, database and every timeline.
        counts = available_of(net, shelter)
        for group in CAPACITY:
            c = counts[group]
            assert c["available"] == c["capacity"] - c["out_of_service"] - c["occupied"] - c["held"] == 0
            assert c["held"] == EXPECTED_HOLDS[group] + (1 if group == "women" else 0)
        board = net.api("GET", f"/shelters/{FACILITY}/board", shelter).json()
        places = [p["reference"] for g in board["groups"] for p in g["places"]]
        assert len(places) == len(set(places)) == 46
        waitlist = net.api("GET", "/shelter/waitlist", shelter).json()
        assert len(waitlist) == outcome[("women", "waitlisted")] + outcome[("men", "waitlisted")] + \
            outcome[("children", "waitlisted")]
        assert not set(places) & {w["reference"] for w in waitlist}
        stored = db_counts(net)
        assert stored["duplicates"] == 0
        for group in CAPACITY:
            inv = stored["inventory"][group]
            assert inv.held == stored["states"][(group, "held")] == counts[group]["held"]
        poll(lambda: len(list_by_status(net, shelter, "bed_held")) == 46
             and len(list_by_status(net, shelter, "waitlisted")) == len(waitlist),
             what=f"run {run}: every timeline shows its hold or waitlist entry")
        figures.append((run, holds + 1, codes[409], others))
    with capsys.disabled():
        db = "postgres" if "postgresql" in net.env["SHELTER_DATABASE_URL"] else "sqlite"
        for run, holds, refused_same, waitlisted in figures:
            print(f"\n[{db}] run {run}: holds {holds} (1 + 45), same-referral refusals "
                  f"{refused_same}, waitlisted/refused {waitlisted}", end="")


# --- staff flows on the same network (after the runs) ---------------------------------------------

@pytest.fixture
def fresh(capacity_network):
    wipe(capacity_network)
    capacity_network.seed_facility({"women": 1, "men": 1, "children": 3})
    return capacity_network


def test_admission_discharge_and_the_timeline(fresh):
    admission_and_discharge_flow(fresh)


def test_refusals_are_clear_4xx_and_change_nothing(fresh):
    refusals_change_nothing(fresh)


def test_hsds_export_validates_and_a_broken_one_does_not(fresh):
    police = fresh.token("police")
    answer = fresh.api("GET", f"/shelters/{FACILITY}/hsds", police)
    assert answer.status_code == 200, answer.text
    service = answer.json()
    assert hsds.errors(service) == []
    by_text = {c["description"]: c for c in service["capacities"]}
    assert by_text["Beds for adult women"]["maximum"] == 1
    assert all(c["unit"]["name"] == "Bed" for c in service["capacities"])
    assert "address" not in repr(service).lower()
    assert fresh.api("GET", "/shelters/no-such-place/hsds", police).status_code == 404

    broken = dict(service, status="open")
    broken["capacities"] = [dict(service["capacities"][0], available="three")]
    del broken["capacities"][0]["unit"]
    found = hsds.errors(broken)
    assert any(e.startswith("status:") for e in found)
    assert any("capacities/0" in e and "unit" in e for e in found)
    assert any("capacities/0/available" in e for e in found)
    assert hsds.errors({k: v for k, v in service.items() if k != "name"})  # required field missing
