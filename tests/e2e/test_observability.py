"""Metrics and traces over real processes: every process's /metrics parses and moves with a
flow, and one correlation id follows a referral through every process's JSON log.

Its own network (own vhost, databases) with the relay's safety-net poll set to an hour, so an
outbox row committed behind a relay's back (what a process that died right after its commit
leaves) stays unpublished until the next commit in a service process wakes the relay: the
backlog gauge is seen at 2 and then at 0, without racing a timer.
"""

import json
import uuid
from collections import defaultdict

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from refnet import demo
from refnet.harness.polling import poll
from services.common.caller import Caller
from services.common.db import Database
from tests.e2e.conftest import CANONICAL, submit
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network

PROCESSES = ("gateway", "referral", "shelter", "legal", "notify")


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    name, uri = create_vhost("refnet-obs")
    net = Network(tmp_path_factory.mktemp("observed"), uri,
                  extra_env={"REFNET_OUTBOX_POLL_SECONDS": "3600"})
    try:
        net.prepare()
        net.start()
        net.wait_ready()
        net.seed_facility()
        yield net
    finally:
        net.stop()
        delete_vhost(name)


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a /metrics page, parsed by prometheus_client's own parser."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and set(labels.items()) <= set(ls))


def scrape_all(net) -> dict[str, dict]:
    pages = {"gateway": scrape(net.url + "/metrics")}
    for process, url in net.metrics_urls.items():
        pages[process] = scrape(url)
    return pages


def test_every_process_serves_metrics_and_the_outbox_and_bed_gauges_move(observed):
    net = observed
    shelter, admin = net.token("shelter"), net.token("admin")
    # the police unit registered through the API: a commit in the referral process, whose relay
    # it wakes (this network's relays poll hourly: only a commit publishes)
    unit = f"tip-{uuid.uuid4().hex[:6]}"
    assert net.api("POST", "/agencies", admin, json={
        "id": unit, "kind": "police_unit", "names": {"en": "Observed unit"}}).status_code == 201
    police = net.token("police", agency=unit)

    def settled():
        pages = scrape_all(net)
        backlog = {process: value(page, "refnet_outbox_backlog", service=process.split(".")[0])
                   for process, page in pages.items() if process != "gateway"}
        return pages if not any(backlog.values()) else None
    before = poll(settled, "every service's outbox backlog at 0")
    assert {p.split(".")[0] for p in before} == set(PROCESSES)
    beds = dict(facility=demo.FACILITY["id"], population_group="women")
    women = value(before["shelter"], "refnet_beds_available", **beds)
    assert women == demo.CAPACITY["women"]

    reference = submit(net, police).json()["reference"]
    net.wait_status(reference, "received", police)

    # A decision committed behind the relay's back: the backlog gauge shows it, with its age.
    shelter_db = Database(net.env["SHELTER_DATABASE_URL"])
    from services.shelter import usecases as shelter_app
    shelter_app.decide(shelter_db, Caller(user="staff.test", role="shelter", agency="erbil-shelter"),
                       reference, "accept", None)
    shelter_db.dispose()
    stuck = scrape(net.metrics_urls["shelter"])
    # two events: the acceptance and the bed it holds in the same transaction
    assert value(stuck, "refnet_outbox_backlog", service="shelter") == 2
    assert value(stuck, "refnet_outbox_oldest_age_seconds", service="shelter") > 0

    # A capacity change through the API: a commit in the shelter process wakes its relay, which
    # publishes both events; the bed gauges follow the change.
    answer = net.api("PUT", f"/shelters/{demo.FACILITY['id']}/capacity", admin,
                     json={"population_group": "women", "capacity": demo.CAPACITY["women"] + 3})
    assert answer.status_code == 200, answer.text
    net.wait_status(reference, "bed_held", police)  # accepting holds a bed
    after = scrape_all(net)
    shelters = [p for p in after if p.startswith("shelter")]
    for process in shelters:
        assert value(after[process], "refnet_outbox_backlog", service="shelter") == 0
        assert value(after[process], "refnet_outbox_oldest_age_seconds", service="shelter") == 0
        assert value(after[process], "refnet_beds_available", **beds) == women + 3
        assert value(after[process], "refnet_beds_capacity", **beds) == demo.CAPACITY["women"] + 3

    def total(name, service, **labels):
        return sum(value(page, name, **labels) for process, page in after.items()
                   if process.split(".")[0] == service)

    assert total("refnet_events_published_total", "shelter", type="shelter.referral_accepted") >= 1
    assert total("refnet_events_published_total", "referral", type="referral.submitted") >= 1
    assert total("refnet_events_consumed_total", "referral", type="shelter.referral_accepted", outcome="ok") >= 1
    assert total("refnet_events_consumed_total", "referral", type=
                 "referral.intake_command", outcome="ok") >= 1
    assert total("refnet_handler_duration_seconds_count", "shelter", type="referral.submitted") >= 1
    assert total("refnet_rpc_server_duration_seconds_count", "referral", method="get_status") >= 1
    gateway = after["gateway"]
    assert value(gateway, "refnet_http_requests_total", route="/api/v1/referrals", method="POST",
                 status="202") >= 1
    assert value(gateway, "refnet_http_requests_total", route="/api/v1/referrals/<reference>/status",
                 method="GET", status="200") >= 1
    assert value(gateway, "refnet_rpc_client_duration_seconds_count", service="referral",
                 method="get_status", outcome="ok") >= 1
    assert value(gateway, "refnet_dead_letters") == 0
    # No label value anywhere is a reference (labels are codes only).
    for page in after.values():
        for (_name, labels), _v in page.items():
            assert not any(reference in str(v) for _k, v in labels)


def process_lines(net) -> dict[str, list[dict]]:
    """Every JSON log line of each process kind (replicas together); other lines are kept raw."""
    lines = defaultdict(list)
    for path in net.logs.glob("*.log"):
        process = path.stem.split(".")[0]
        for raw in path.read_text(errors="replace").splitlines():
            try:
                lines[process].append(json.loads(raw))
            except ValueError:
                lines[process].append({"raw": raw})
    return lines


def test_one_correlation_id_follows_a_referral_through_every_process(observed):
    net = observed
    police, shelter = net.token("police", agency=f"tip-{uuid.uuid4().hex[:6]}"), net.token("shelter")
    trace = f"trace-{uuid.uuid4().hex}"
    headers = {"X-Request-ID": trace}
    answer = submit_with_headers(net, police, headers)
    assert answer.status_code == 202 and answer.headers["X-Request-ID"] == trace
    reference = answer.json()["reference"]
    net.wait_status(reference, "received", police)
    decided = net.api("POST", f"/referrals/{reference}/decision", shelter, json={"decision": "accept"},
                      headers=dict(headers))
    assert decided.status_code == 200, decided.text
    net.wait_status(reference, "bed_held", police)  # accepting holds a bed

    expected = {
        "gateway": {"POST /api/v1/referrals 202", f"POST /api/v1/referrals/{reference}/decision 200"},
        "referral": {"consumed referral.intake_command", "consumed shelter.referral_received",
                     "consumed shelter.referral_accepted"},
        "shelter": {"consumed referral.submitted", "rpc shelter.decide"},
        "legal": {"consumed referral.accepted"},
        "notify": {"consumed referral.submitted", "consumed referral.accepted"},
    }

    def traced():
        found = {p: [line for line in lines if line.get("correlation_id") == trace]
                 for p, lines in process_lines(net).items()}
        missing = {p: {m for m in wanted if not any(line["msg"].startswith(m) for line in found.get(p, []))}
                   for p, wanted in expected.items()}
        return found if not any(missing.values()) else None

    found = poll(traced, f"every process logs its part of {reference} under {trace}")
    for process in PROCESSES:
        assert found[process], process
    # The service lines name the reference they worked on, and nothing personal.
    assert any(line.get("reference") == reference for line in found["shelter"])

    # An id the gateway assigns (no X-Request-ID) travels the same way, to every process a
    # submission reaches: the legal service hears of a referral only once it is accepted (its
    # queue is bound to the events it applies, decision 0059)
    other = submit(net, police)
    assigned = other.headers["X-Request-ID"]
    net.wait_status(other.json()["reference"], "received", police)
    reached = {p for p in PROCESSES if p != "legal"}
    poll(lambda: all(any(line.get("correlation_id") == assigned for line in lines)
                           for process, lines in process_lines(net).items() if process in reached),
               f"the assigned id {assigned} in every process log a submission reaches")
    assert not any(line.get("correlation_id") == assigned
                   for line in process_lines(net).get("legal", []))

    # Every line of every process is JSON, and no line carries personal data.
    survivor = CANONICAL["survivor"]
    for process, lines in process_lines(net).items():
        raw = [line["raw"] for line in lines if "raw" in line]
        assert not raw, (process, raw[:5])
        text = json.dumps(lines)
        for secret in (survivor["name"], "Amina", survivor["phone"], "Officer Hawre"):
            assert secret not in text, (process, secret)


def submit_with_headers(net, token, headers):
    return net.api("POST", "/referrals", token, json=CANONICAL, headers=dict(headers))
