"""The cluster scenario (``python -m bench --only cluster``): the network past one machine.

A three-node RabbitMQ cluster on local ports (``refnet.harness.cluster``), the topology's quorum
queues on all three, every service twice and two gateways, on PostgreSQL, every process given
the failover ``AMQP_URI`` naming the three nodes. Police submissions and shelter decisions flow
through both gateways all along, while node 1 is killed (SIGKILL to its VM) and, after a phase,
started again, then the node leading the intake queue is killed and started again. Figures (2xx
per second, failures, p50/p99) per phase: before, node killed (until it runs again), node back,
leader killed (until it runs again), leader back.

Then the check, which fails the run: every submission a gateway answered 2xx is in the referral
service exactly once, and every decision answered 2xx is on its referral's timeline, with no
timeline entry written twice. Clients retry a failed request as a person's would: the same
``Idempotency-Key`` for a submission, the same decision again (a 409 then says it was taken).
"""

import json
import queue
import threading
import time
import uuid

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bench import RATE_LIMIT_OFF, fixtures
from bench.phases import Sample, exactly_once, phase_figures
from refnet.harness import postgres as harness_postgres
from refnet.harness.cluster import Cluster
from refnet.harness.network import Network
from refnet.settings import SERVICES

VHOST = "refnet-cluster"
# drain_stall: how long the check waits without anything more applied before it calls the rest lost
PROFILES = {"full": {"phase_seconds": 15, "submitters": 2, "deciders": 2, "drain_stall": 60},
            "tiny": {"phase_seconds": 5, "submitters": 2, "deciders": 1, "drain_stall": 60}}


class Traffic:
    """Submissions and decisions through every gateway, from threads, until ``stop``."""

    def __init__(self, urls: list[str], police: str, shelter: str, body: bytes,
                 submitters: int, deciders: int):
        self.urls, self.body = urls, body
        self.police = {"Authorization": f"Bearer {police}", "Content-Type": "application/json"}
        self.shelter = {"Authorization": f"Bearer {shelter}", "Content-Type": "application/json"}
        self.samples: list[Sample] = []
        self.accepted: set[str] = set()
        self.decided: set[str] = set()
        self.taken_on_retry: set[str] = set()  # a retried decision answered 409: already taken
        self._to_decide: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._submitting, args=(n,), daemon=True)
                         for n in range(submitters)]
        self._threads += [threading.Thread(target=self._deciding, args=(n,), daemon=True)
                          for n in range(deciders)]

    def start(self) -> None:
        """Start every client thread."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop the clients (a request under way ends first)."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(60)

    @staticmethod
    def _send(session, kind: str, method: str, url: str, headers: dict,
              body: bytes | None) -> tuple[requests.Response | None, Sample]:
        """One request: its response (None when none came) and its sample."""
        started = time.monotonic()
        response = None
        try:
            response = session.request(method, url, headers=headers, data=body, timeout=15)
        except requests.RequestException:
            pass
        status = None if response is None else response.status_code
        ok = status is not None and 200 <= status < 300
        return response, Sample(started, time.monotonic() - started, ok, kind, status)

    def _submitting(self, slot: int) -> None:
        session = requests.Session()
        while not self._stopping.is_set():
            headers = {**self.police, "Idempotency-Key": uuid.uuid4().hex}
            for attempt in range(50):  # the same key until answered (a person's retry)
                url = self.urls[(slot + attempt) % len(self.urls)]
                response, sample = self._send(session, "submit", "POST",
                                              f"{url}/api/v1/referrals", headers, self.body)
                self.samples.append(sample)
                if response is not None and 200 <= response.status_code < 300:
                    reference = response.json()["reference"]
                    self.accepted.add(reference)
                    self._to_decide.put((time.monotonic() + 0.3, reference))
                    break
                if self._stopping.is_set():
                    break
                time.sleep(0.2)

    def _deciding(self, slot: int) -> None:
        session = requests.Session()
        while not self._stopping.is_set():
            try:
                not_before, reference = self._to_decide.get(timeout=0.5)
            except queue.Empty:
                continue
            time.sleep(max(0.0, not_before - time.monotonic()))
            for attempt in range(50):
                url = self.urls[(slot + attempt) % len(self.urls)]
                response, sample = self._send(session, "decide", "POST",
                                              f"{url}/api/v1/referrals/{reference}/decision",
                                              self.shelter, b'{"decision": "accept"}')
                status = None if response is None else response.status_code
                if status == 404 and attempt == 0:  # not at the shelter yet: later (no figure)
                    self._to_decide.put((time.monotonic() + 0.5, reference))
                    break
                self.samples.append(sample)
                if status is not None and 200 <= status < 300:
                    self.decided.add(reference)
                    break
                if status == 409 and attempt > 0:  # the retried decision was taken before
                    self.taken_on_retry.add(reference)
                    break
                if self._stopping.is_set():
                    break
                time.sleep(0.2)


def referral_rows(url: str) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Rows per reference in the referral service, and timeline entries per (reference, status)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            referrals = dict(conn.execute(text(
                "SELECT reference, count(*) FROM referrals GROUP BY reference")).all())
            timeline = {(ref, status): n for ref, status, n in conn.execute(text(
                "SELECT r.reference, t.status, count(*) FROM timeline_entries t "
                "JOIN referrals r ON r.id = t.referral_id GROUP BY r.reference, t.status")).all()}
    finally:
        engine.dispose()
    return referrals, timeline


def wait_applied(url: str, traffic: Traffic, stall: float, limit: float = 600.0) -> tuple[float, tuple]:
    """Wait until every accepted submission and decision shows in the referral service, for as
    long as the services make progress: until ``stall`` seconds pass with nothing more applied
    (or ``limit`` in all). The seconds it took and the last rows read."""
    started = last_progress = time.monotonic()
    pending_before = None
    while True:
        try:
            referrals, timeline = referral_rows(url)
        except OperationalError:  # a shared PostgreSQL at its connection limit: ask again
            if time.monotonic() - last_progress > stall:
                raise
            time.sleep(2.0)
            continue
        pending = len(traffic.accepted - set(referrals)) + len(
            {r for r in traffic.decided if (r, "bed_held") not in timeline})
        now = time.monotonic()
        if pending_before is None or pending < pending_before:
            pending_before, last_progress = pending, now
        if not pending or now - last_progress > stall or now - started > limit:
            return now - started, (referrals, timeline)
        time.sleep(1.0)


def handler_failures(net: Network) -> dict[str, int]:
    """How often a service's handler failed a message, by queue and error (its logs'
    ``message <id> (<type>) failed on <queue>: <error>; redelivery...``), and how often the
    gateway answered a request with an unhandled error (``unhandled error (<type>)``)."""
    counts: dict[str, int] = {}
    for line in net.all_logs().splitlines():
        if ("failed on" not in line or "redelivery" not in line) and "unhandled error" not in line:
            continue
        try:
            message = json.loads(line)["msg"]
        except (ValueError, KeyError, TypeError):
            continue
        if " failed on " in message:
            where = message.split(" failed on ", 1)[1].split(";", 1)[0]
        elif message.startswith("unhandled error"):
            where = f"gateway: {message}"
        else:
            continue
        counts[where] = counts.get(where, 0) + 1
    return counts


def connections_by_node(cluster: Cluster) -> dict[str, int]:
    """Client connections on each running node of the cluster."""
    out = cluster.ctl(cluster.any_alive(), "list_connections", "pid").stdout
    counts: dict[str, int] = {}
    for line in out.splitlines():  # <refnet-c1-...@localhost.1690000000.1234.0>
        if "@" in line:
            name = line.strip().lstrip("<").split("@")[0]
            counts[name] = counts.get(name, 0) + 1
    return counts


def run(size: str, body: bytes, workdir, log) -> dict:
    """The scenario: cluster up, network up, traffic through the kills, figures and checks:
    ``problems`` lists what was lost or applied twice (empty: nothing). Raises when the cluster
    or the network does not come up (``AssertionError`` when a quorum queue is not on every
    node)."""
    p = PROFILES[size]
    urls = {}
    net = None
    with Cluster() as cluster:
        log(f"cluster: {', '.join(f'{n.name}:{n.port}' for n in cluster.nodes)} joined")
        cluster.add_vhost(VHOST)
        amqp_uri = cluster.uri(VHOST)
        try:
            for name in (*SERVICES, "gateway"):
                urls[name] = harness_postgres.create_database(f"refnet_cluster_{name}")
            with cluster.cli_environment():
                net = Network(workdir / "cluster", amqp_uri, replicas=2, gateways=2,
                              database_urls=urls,
                              extra_env={"REFNET_GATEWAY_DATABASE_URL": urls["gateway"],
                                         **RATE_LIMIT_OFF})
                net.prepare()
            members = {name: len(q["members"]) for name, q in cluster.queues(VHOST).items()
                       if q["type"] == "quorum"}
            log(f"cluster: quorum queues and their members: {members}")
            if any(n != len(cluster.nodes) for n in members.values()):
                raise AssertionError(f"a quorum queue is not on all {len(cluster.nodes)} nodes: {members}")
            net.start()
            for url in net.urls:
                net.wait_ready(url=url)
            queues = {name: f"{q['type']}, {len(q['members'] or [])} members"
                      for name, q in cluster.queues(VHOST).items() if not name.startswith("rpc.reply")}
            net.seed_facility({"women": 5000, "men": 5000, "children": 5000})
            police = net.token("police", agency=fixtures.AGENCY)
            shelter = net.token("shelter")
            result = _phases(cluster, net, police, shelter, body, p, log)
            log(f"cluster: waiting for the services to apply everything accepted "
                f"({len(result['traffic'].accepted)} submissions, "
                f"{len(result['traffic'].decided)} decisions)")
            drain_s, (referrals, timeline) = wait_applied(urls["referral"], result["traffic"],
                                                          p["drain_stall"])
            left = {name: q["messages"] for name, q in cluster.queues(VHOST).items()
                    if not name.startswith("rpc.reply") and q["messages"]}
            failures = handler_failures(net)
        except BaseException:
            if net is not None:
                log(f"cluster: failed; the network's last log lines:\n{net.tail_logs(15)}")
            raise
        finally:
            if net is not None:
                net.stop()
            for url in urls.values():
                harness_postgres.drop_database(url)
    traffic = result.pop("traffic")
    problems = exactly_once(traffic.accepted, traffic.decided, referrals, timeline)
    if problems and (left or failures):
        problems.append(f"messages still in queues: {left}; handler failures: {failures}")
    figures = {
        "phases": phase_figures(traffic.samples, result.pop("phases")),
        "accepted_submissions": len(traffic.accepted), "accepted_decisions": len(traffic.decided),
        "decisions_taken_on_retry": len(traffic.taken_on_retry),
        "referrals_in_service": len(referrals), "drain_seconds": round(drain_s, 1),
        "queues": queues, "messages_left_in_queues": left, "handler_failures": failures,
        "problems": problems, **result}
    return figures


def _phases(cluster: Cluster, net: Network, police: str, shelter: str, body: bytes, p: dict,
            log) -> dict:
    """Traffic through the five phases; the phases' times, the nodes killed, where the
    clients were connected at the end of each phase."""
    traffic = Traffic(net.urls, police, shelter, body, p["submitters"], p["deciders"])
    seconds, phases, killed, connections = p["phase_seconds"], [], [], {}

    def phase(name: str, action=None, then=None) -> None:
        """One phase: ``action``, the phase's seconds, ``then``; it ends when the next begins,
        so every request falls in one phase."""
        start = phases[-1][2] if phases else time.monotonic()
        if action:
            action()
        time.sleep(seconds)
        if then:
            then()
        connections[name] = connections_by_node(cluster)
        phases.append((name, start, time.monotonic()))
        done = sum(1 for s in traffic.samples if s.ok)
        log(f"cluster: {name} done ({time.monotonic() - start:.1f}s); {done} requests answered "
            f"2xx so far; connections by node {connections[name]}")

    def kill(choose):
        def act():
            node = choose()
            killed.append(node.name)
            log(f"cluster: killing {node.name}")
            cluster.kill(node)
        return act

    def restart():
        def act():
            node = cluster.node_named(killed[-1])
            log(f"cluster: starting {node.name} again")
            cluster.start_node(node)
            cluster.wait_members(len(cluster.nodes))
        return act

    traffic.start()
    try:
        phase("before")
        phase("node_killed", kill(lambda: cluster.nodes[0]), then=restart())
        phase("node_back")
        phase("leader_killed", kill(lambda: cluster.node_named(
            cluster.queues(VHOST)["referral.intake"]["leader"])), then=restart())
        phase("leader_back")
    finally:
        traffic.stop()
    return {"traffic": traffic, "phases": phases, "nodes_killed": killed,
            "connections_by_node": connections}
