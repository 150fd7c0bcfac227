"""``python -m bench``: start what the benchmark needs, run the scenarios, stop everything,
print the table and write bench/results.json. See bench/README.md."""

import argparse
import base64
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import kombu
import requests

from bench import RATE_LIMIT_OFF, cluster, coldstart, day, fixtures, kombu_rtt, loadgen, memory, signin
from bench.baseline import BaselineApp
from bench.loadgen import Load
from bench.submission import BODY
from bench.table import cluster_rows, figures_table, machine, print_table
from refnet import demo
from refnet.harness import broker as harness_broker
from refnet.harness import postgres as harness_postgres
from refnet.harness.network import ROOT, Network
from refnet.local.broker import check_broker
from services.common.broker import intake_queue
from services.contracts import topology

BIN = Path(sys.executable).parent
DEFAULT_OUT = ROOT / "bench" / "results.json"

# A typical submission (a woman with one child), as police send it.
FACILITY = demo.FACILITY["id"]  # seeded by Network.seed_facility
BENCH_CAPACITY = {"women": 5000, "men": 5000, "children": 5000}

PROFILES = {
    # name: seconds per load run, intake/reads connections, propagation samples, growth sizes
    # and bogus sign-ins sent at once; the share of the realistic day replayed (1: the whole
    # busiest day, 3 minutes per database)
    "full": {"seconds": 8, "rounds": 2, "connections": 10, "propagation": 200, "rtt": 500,
             "sequential": 300, "growth": (1_000, 1_000_000), "drain_timeout": 120, "signin": 200,
             "day_scale": 1.0},
    "tiny": {"seconds": 1, "rounds": 1, "connections": 4, "propagation": 5, "rtt": 20,
             "sequential": 10, "growth": (100, 300), "drain_timeout": 60, "signin": 20,
             "day_scale": 0.03},
}
SCENARIOS = ("intake", "propagation", "reads", "signin", "restarts", "growth", "day")
MAIN_NETWORK = ("intake", "propagation", "reads", "signin", "restarts")  # share one network


class Log:
    """Progress lines on stderr, with the seconds since the start."""

    def __init__(self):
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[bench {time.perf_counter() - self.t0:6.1f}s] {message}", file=sys.stderr, flush=True)

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.t0


log = Log()


# --- helpers ----------------------------------------------------------------------------------

def auth(token: str, json_body: bool = False) -> dict:
    """The headers of a request as a bearer of ``token``."""
    headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
    if json_body:
        headers["Content-Type"] = "application/json"
    return headers


def queue_depths(amqp_uri: str) -> dict:
    """Messages ready in the intake queue and each event queue."""
    names = [intake_queue().name, *topology.EVENT_QUEUES]
    depths = {}
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        for name in names:
            depths[name] = channel.queue_declare(queue=name, passive=True).message_count
    return depths


def outbox_backlogs(metrics_urls: dict[str, str]) -> dict[str, float]:
    """Each service's ``refnet_outbox_backlog`` (events committed, not yet published)."""
    backlogs = {}
    for name, url in metrics_urls.items():
        for line in requests.get(url, timeout=5).text.splitlines():
            if line.startswith("refnet_outbox_backlog{"):
                backlogs[name] = float(line.rsplit(" ", 1)[1])
    return backlogs


def wait_drained(net: Network, timeout: float) -> tuple[bool, float]:
    """Wait until the intake and event queues and every service's outbox are empty (twice in a
    row); (drained, seconds). Empty queues alone are not drained: events committed and not yet
    published are work still to come."""
    started, empty_seen = time.perf_counter(), 0
    while time.perf_counter() - started < timeout:
        if (sum(queue_depths(net.amqp_uri).values()) == 0
                and sum(outbox_backlogs(net.metrics_urls).values()) == 0):
            empty_seen += 1
            if empty_seen >= 2:
                return True, time.perf_counter() - started
        else:
            empty_seen = 0
        time.sleep(0.25)
    return False, time.perf_counter() - started


def submit(net: Network, token: str) -> str:
    """Submit the benchmark's referral; return its reference."""
    response = requests.post(f"{net.url}/api/v1/referrals", data=BODY,
                             headers=auth(token, json_body=True), timeout=15)
    response.raise_for_status()
    return response.json()["reference"]


def wait_received(net: Network, police_token: str, references: list[str], timeout: float = 60) -> None:
    """Wait until the police see each referral as ``received`` (the shelter has it)."""
    deadline = time.time() + timeout
    for reference in references:
        net.wait_status(reference, "received", police_token, timeout=max(1.0, deadline - time.time()))


# --- scenarios --------------------------------------------------------------------------------

def scenario_intake(net, baseline, police, p, client) -> dict:
    """Submissions under load, against the baseline's intake, then the drain."""
    base_load = Load(baseline.url, [("POST", "/intake", {"Content-Type": "application/json"}, BODY)])
    gw_load = Load(net.url, [("POST", "/api/v1/referrals", auth(police, True), BODY)])
    # Baseline first, then the gateway: the gateway's load leaves work queued for the services,
    # which would slow a baseline run measured after it.
    log("intake: baseline (Flask + schema + one SQLite insert)")
    base = loadgen.run(base_load, seconds=p["seconds"] * p["rounds"] / 2 + 2,
                       connections=p["connections"], client=client)
    log(f"intake: baseline {base['rps']} req/s p99 {base['p99_ms']} ms")
    before = queue_depths(net.amqp_uri)
    log("intake: gateway (token, validation, sealing, confirmed durable publish)")
    gw = loadgen.run(gw_load, seconds=p["seconds"] * p["rounds"] / 2 + 2,
                     connections=p["connections"], client=client)
    log(f"intake: gateway {gw['rps']} req/s p99 {gw['p99_ms']} ms; waiting for the services to drain")
    drained, drain_s = wait_drained(net, p["drain_timeout"])
    total = gw["requests"] + sum(before.values())
    log(f"intake: drained={drained} in {drain_s:.1f}s")
    return {"baseline": base, "gateway": gw,
            "drain": {"drained": drained, "seconds_after_load": round(drain_s, 1),
                      "submissions": gw["requests"],
                      "end_to_end_per_s": round(total / (gw["seconds"] + drain_s), 1)}}


def scenario_propagation(net, police, shelter, p) -> tuple[dict, list[str]]:
    """Admission to police status, against the raw kombu round trip; returns the references."""
    log("propagation: raw kombu round trips (quorum queue, persistent, confirms)")
    rtt = kombu_rtt.round_trips(net.amqp_uri, p["rtt"])
    log(f"propagation: kombu p50 {rtt['p50_ms']} ms p99 {rtt['p99_ms']} ms")
    references = [submit(net, police) for _ in range(p["propagation"])]
    wait_received(net, police, references)
    samples = []
    session, watcher = requests.Session(), requests.Session()
    for reference in references:
        response = session.post(f"{net.url}/api/v1/referrals/{reference}/decision",
                                headers=auth(shelter, True), data=b'{"decision": "accept"}', timeout=15)
        response.raise_for_status()
        wait_status(session, net, police, reference, "bed_held")
        # The officer's reads run on their own, as a page refreshing would: a thread polls the
        # status from before the admission is sent, so a sample is the event's way through the
        # network plus at most one status read, not the shelter's own response time as well.
        seen: list[float] = []
        poller = threading.Thread(target=lambda ref=reference: seen.append(
            wait_status(watcher, net, police, ref, "admitted")))
        poller.start()
        response = session.post(f"{net.url}/api/v1/shelters/{FACILITY}/admissions",
                                headers=auth(shelter, True), timeout=15,
                                data=json.dumps({"reference": reference,
                                                 "case_manager": "cm.bench"}).encode())
        response.raise_for_status()
        admitted_at = datetime.fromisoformat(response.json()["admitted_at"].replace("Z", "+00:00")).timestamp()
        poller.join()
        if not seen:
            raise RuntimeError(f"{reference} never showed admitted")
        samples.append(seen[0] - admitted_at)
    samples.sort()
    figures = {"count": len(samples), "p50_ms": round(loadgen.percentile(samples, 50) * 1e3, 2),
               "p99_ms": round(loadgen.percentile(samples, 99) * 1e3, 2),
               "path": "shelter admission committed -> police status shows admitted (an independent poller)"}
    log(f"propagation: p50 {figures['p50_ms']} ms p99 {figures['p99_ms']} ms")
    return {"kombu_round_trip": rtt, "admission_to_police_status": figures}, references


def wait_status(session, net, police, reference: str, wanted: str, timeout: float = 15.0) -> float:
    """Poll the police status of a referral until it reads ``wanted``; return when it did
    (wall clock, when that read's answer arrived)."""
    deadline = time.time() + timeout
    while True:
        status = session.get(f"{net.url}/api/v1/referrals/{reference}/status",
                             headers=auth(police), timeout=15)
        if status.status_code == 200 and status.json()["status"] == wanted:
            return time.time()
        if time.time() > deadline:
            raise RuntimeError(f"{reference} never showed {wanted}")


def scenario_reads(net, baseline, police, references, p, client) -> dict:
    """Availability and status reads under load, against the baseline's constant."""
    const = Load(baseline.url, [("GET", "/constant", {}, None)])
    avail = Load(net.url, [("GET", "/api/v1/shelters/availability", auth(police), None)])
    status = Load(net.url, [("GET", f"/api/v1/referrals/{r}/status", auth(police), None)
                            for r in references])
    runs = {"constant": [], "availability": [], "status": []}
    for round_no in range(p["rounds"]):  # interleaved, so drift on a shared machine hits all three
        for name, load in (("constant", const), ("availability", avail), ("status", status)):
            result = loadgen.run(load, seconds=p["seconds"] / 2, connections=p["connections"],
                                 client=client)
            runs[name].append(result)
            log(f"reads: {name} round {round_no + 1}: {result['rps']} req/s p99 {result['p99_ms']} ms "
                f"errors {result['errors']}")
    return {name: _combine(results) for name, results in runs.items()}


def _combine(results: list[dict]) -> dict:
    """Rounds of one load run: requests/s over all of them; the worst p99; errors summed."""
    requests_, seconds = sum(r["requests"] for r in results), sum(r["seconds"] for r in results)
    return {**results[-1], "requests": requests_, "seconds": round(seconds, 2),
            "rps": round(requests_ / seconds, 1), "p50_ms": max(r["p50_ms"] for r in results),
            "p99_ms": max(r["p99_ms"] for r in results), "errors": sum(r["errors"] for r in results),
            "rounds": [r["rps"] for r in results]}


def network_pids(net: Network) -> dict[str, int]:
    """The pid of every running process of the network, by name."""
    return {name: proc.pid for name, proc in net.processes.items() if proc.poll() is None}


def scenario_growth(workdir: Path, amqp_uri: str, p, police_agency: str) -> dict:
    """Status and list reads at two sizes of the referral database (PostgreSQL)."""
    url = harness_postgres.create_database("refnet_bench")
    # without RATE_LIMIT_OFF most of the 960 reads of one officer were 429s, and timed as reads
    net = Network(workdir / "growth", amqp_uri, database_urls={"referral": url},
                  extra_env=dict(RATE_LIMIT_OFF))
    try:
        net.prepare()
        net.start()
        net.wait_ready()
        police = net.token("police", agency=police_agency)
        results, previous = {}, 0
        for size in p["growth"]:
            log(f"growth: bulk-loading referrals {previous + 1}..{size} into PostgreSQL")
            load = fixtures.bulk_load(url, previous + 1, size)
            log(f"growth: loaded in {load['seconds']:.1f}s {load['rows']}")
            previous = size
            refs = fixtures.sample_references(url, 50)
            cursor = base64.urlsafe_b64encode(str(fixtures.middle_id(url)).encode()).decode().rstrip("=")
            h = auth(police)
            figures = {
                "bulk_load": load,
                "status": loadgen.sequential(net.url, [("GET", f"/api/v1/referrals/{r}/status", h, None)
                                                       for r in refs], count=p["sequential"]),
                "list_first_page": loadgen.sequential(
                    net.url, [("GET", "/api/v1/referrals?limit=50", h, None)], count=p["sequential"]),
                "list_deep_page": loadgen.sequential(
                    net.url, [("GET", f"/api/v1/referrals?limit=50&cursor={cursor}", h, None)],
                    count=p["sequential"]),
            }
            figures["plans"] = _plans(url, refs[0])
            results[str(size)] = figures
            log(f"growth {size}: status p50 {figures['status']['p50_ms']} ms, list p50 "
                f"{figures['list_first_page']['p50_ms']} ms, deep page p50 {figures['list_deep_page']['p50_ms']} ms")
        return results
    finally:
        net.stop()
        harness_postgres.drop_database(url)


def _plans(url: str, reference: str) -> dict:
    """EXPLAIN ANALYZE of the queries behind the two reads (written as the service issues them)."""
    agency = fixtures.AGENCY
    return {
        "status_referral": fixtures.explain(url, "SELECT * FROM referrals WHERE reference = :r", {"r": reference}),
        "status_timeline": fixtures.explain(
            url, "SELECT * FROM timeline_entries WHERE referral_id = "
                 "(SELECT id FROM referrals WHERE reference = :r) ORDER BY id", {"r": reference}),
        "list_page": fixtures.explain(
            url, "SELECT id, reference, status FROM referrals WHERE referring_agency = :a "
                 "AND share_status_with_referrer IS true ORDER BY id DESC LIMIT 51", {"a": agency}),
    }


# --- main -------------------------------------------------------------------------------------

def stop_cleanly_on_sigterm() -> None:
    """SIGTERM (``timeout``, a CI job's end) raises ``SystemExit`` in the main thread, so the
    networks, the broker cluster's nodes and the databases a run made are stopped and dropped
    by their ``finally`` blocks instead of being left running."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and write the results."""
    stop_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(PROFILES), default="full",
                        help="full (the real figures) or tiny (the smoke test: seconds, not minutes)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator (auto: wrk when installed)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the results JSON")
    parser.add_argument("--skip", action="append", default=[], choices=SCENARIOS,
                        help="leave a scenario out")
    parser.add_argument("--only", action="append", default=[], choices=(*SCENARIOS, "cluster"),
                        help="run only this scenario (repeatable); without any scenario of the "
                             "main network, neither its cold start nor its memory is measured; "
                             "cluster (a three-node RabbitMQ cluster, nodes killed under load; "
                             "bench/cluster.py) runs alone and is never in the default run")
    parser.add_argument("--day-on", action="append", default=[], choices=("sqlite", "postgres"),
                        help="the databases of the realistic day (default: both)")
    args = parser.parse_args(argv)
    if "cluster" in args.only:
        if args.only != ["cluster"]:
            parser.error("--only cluster runs alone")
        return run_cluster(args)
    if args.only:
        args.skip = sorted(set(args.skip) | (set(SCENARIOS) - set(args.only)))
    day_on = args.day_on or ["sqlite", "postgres"]
    p = PROFILES[args.size]
    client = args.client if args.client != "auto" else ("wrk" if loadgen.have_wrk() else "python")

    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # the processes it starts say less
    if not check_broker(harness_broker.BASE_URI):
        return 2
    notes = []
    if client == "python":
        notes.append("wrk is not installed: load came from the Python client (its ceiling is in "
                     "results.json); `apt-get install wrk` for a lighter one")
    results: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": machine(), "size": args.size, "client": client, "profile": p | {"growth": list(p["growth"])},
                     "notes": notes}
    log(f"client {client}; machine {results['machine']}")

    vhost, amqp_uri = harness_broker.create_vhost("refnet-bench")
    workdir = Path(tempfile.mkdtemp(prefix="refnet-bench-"))
    net = baseline = None
    succeeded = False
    try:
        if set(MAIN_NETWORK) - set(args.skip):  # else no cold start, no memory
            baseline = BaselineApp(workdir, dict(os.environ))
            began = time.perf_counter()
            baseline.start()
            baseline_start = time.perf_counter() - began
            # the cold start: the network's own start, timed step by step (bench/coldstart.py);
            # the per-user rate limit would turn the load into 429s: the benchmark measures
            # the path a submission takes, with the limiter effectively off; one trusted proxy, so
            # each bogus sign-in of the attack names its own client (bench/signin.py)
            began = time.perf_counter()
            net = Network(workdir / "network", amqp_uri,
                          extra_env={**RATE_LIMIT_OFF, "REFNET_TRUSTED_PROXIES": "1"})
            broker_users_s = time.perf_counter() - began
            prepared = net.prepare()
            started = time.perf_counter()
            net.start()
            results["cold_start"] = {
                "first": coldstart.first_start(net, broker_users_s, prepared, started),
                "baseline_app_start_seconds": round(baseline_start, 2)}
            log(f"cold start: {results['cold_start']['first']['seconds']} s to /readyz 200 "
                f"{results['cold_start']['first']['steps']}")
            net.wait_ready()
            net.seed_facility(BENCH_CAPACITY)  # room for every admission the propagation run makes
            police = net.token("police", agency=fixtures.AGENCY)
            shelter = net.token("shelter")
            time.sleep(2 if args.size == "full" else 0.5)
            results["memory"] = {"idle": memory.measure(network_pids(net)),
                                 "baseline_app": memory.measure({"baseline": baseline.process.pid})}
            log(f"memory idle: {results['memory']['idle']['total_rss_mb']} MB RSS "
                f"({results['memory']['idle']['total_pss_mb']} MB PSS)")
            if "intake" not in args.skip:
                results["intake"] = scenario_intake(net, baseline, police, p, client)
            references = []
            if "propagation" not in args.skip or "reads" not in args.skip:
                results["propagation"], references = scenario_propagation(net, police, shelter, p)
            if "reads" not in args.skip:
                results["reads"] = scenario_reads(net, baseline, police, references, p, client)
            if "signin" not in args.skip:
                results["signin"] = signin.run(net.url, network_pids(net)["gateway"], auth(police),
                                               p["signin"], log)
            results["memory"]["after_load"] = memory.measure(network_pids(net))
            log(f"memory after load: {results['memory']['after_load']['total_rss_mb']} MB RSS "
                f"({results['memory']['after_load']['total_pss_mb']} MB PSS)")
            if "restarts" not in args.skip:
                for name in ("shelter", "gateway"):
                    results["cold_start"][f"restart_{name}"] = coldstart.restart(net, name)
                    figures = results["cold_start"][f"restart_{name}"]
                    log(f"cold start: {name} restarted to ready in {figures['seconds']} s (stopped in "
                        f"{figures['stop_seconds']} s, started to ready in {figures['start_to_ready_seconds']} s)")
            net.stop()
            baseline.stop()
        if "growth" not in args.skip:
            results["growth"] = scenario_growth(workdir, amqp_uri, p, fixtures.AGENCY)
        if "day" not in args.skip:
            results["day"] = day.scenario(workdir, amqp_uri, p["day_scale"], day_on, log)
        succeeded = True
    finally:
        if net is not None:
            net.stop()
        if baseline is not None:
            baseline.stop()
        harness_broker.delete_vhost(vhost)
        if succeeded:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"failed: logs kept in {workdir}")

    results["table"] = figures_table(results)
    results["seconds"] = round(log.elapsed(), 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results["table"], results)
    if "day" in results:
        day.print_day(results["day"])
    print(f"\n{results['date']}  {results['machine']['nproc']} cores, {results['machine']['cpu']}, "
          f"{results['machine']['memory_gb']} GB; client {client}; {results['seconds']}s; "
          f"results in {args.out}")
    return 0


def run_cluster(args) -> int:
    """``--only cluster``: the cluster scenario alone; its figures replace the ``cluster`` entry
    of the results file (the other scenarios' figures stay). Non-zero when an accepted
    submission or decision was lost or applied twice."""
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {"notes": []}
    workdir = Path(tempfile.mkdtemp(prefix="refnet-bench-cluster-"))
    try:
        figures = cluster.run(args.size, BODY, workdir, log)
    except BaseException:
        log(f"cluster: failed: logs kept in {workdir}")
        raise
    if figures["problems"]:
        log(f"cluster: the network's logs are kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    figures["seconds"] = round(log.elapsed(), 1)
    figures["machine"] = {**machine(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    figures["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    results["cluster"] = figures
    results["table"] = figures_table(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(cluster_rows(figures), {"notes": figures["problems"]})
    print(f"\n{figures['date']}  {figures['machine']['nproc']} cores, load average "
          f"{figures['machine'].get('load_average')}; {figures['seconds']}s; results in {out}")
    if figures["problems"]:
        print("cluster: FAILED: something accepted was lost or applied twice (above)", file=sys.stderr)
        return 1
    return 0
