"""A realistic day (issue 22): the busiest day of a national network replayed at 100 times its
busiest hour (``bench/daymodel.py`` argues the numbers), through the gateway's real API and web
pages as people use them, on SQLite and on PostgreSQL, two replicas of each service.

Open loop: each operation is sent at its planned time by a pool of threads, whatever the
answers before it did, and its latency is counted from the planned time (a stall delays what
comes after it and is counted in it: no coordinated omission). Each request opens its own
connection, as a phone or a browser after a pause would.

Before the clock starts, a backlog is made (not measured): referrals received at the shelter,
accepted ones, admitted residents with care plans, legal cases with court cases and hearings,
so the day's first decisions, admissions and updates have something to work on, as a real
morning does. Operations that find nothing to work on are counted as ``skipped``.
"""

import collections
import json
import os
import random
import re
import resource
import subprocess
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import psutil
import requests

from bench import RATE_LIMIT_OFF, coldstart, daymodel
from bench.daymodel import last_month
from bench.submission import numbered
from refnet.harness import postgres as harness_postgres
from refnet.harness.network import BIN, ROOT, Network
from refnet.settings import SERVICES

FACILITY = "erbil-shelter"
POLICE_UNIT = "day-police-unit"
COURT = "erbil-criminal-court"
CASE_MANAGER = "cm.day"
PASSWORD = "an invented password for the day 22"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
READY_AFTER = 5.0   # seconds before a referral submitted in the run is taken as received
EVENT_AFTER = 3.0   # seconds before an accepted referral is taken as eligible for a legal case
TIMEOUT = 10.0      # a request not answered by then is an error (timeout)
THREADS = 48        # requests in flight at most; more wait (and their wait is counted)


def submission(i: int) -> dict:
    """A typical submission (a woman with one child), as police send it; ``i`` makes it unique."""
    return numbered(i)


class Pools:
    """What the day's operations work on, filled by the backlog and by earlier operations."""

    def __init__(self, rng: random.Random):
        self.lock = threading.Lock()
        self.rng = rng
        self.submitted: list[tuple[float, str]] = []     # (when, reference), police's
        self.to_decide: collections.deque = collections.deque()   # (ready at, reference)
        self.to_admit: collections.deque = collections.deque()
        self.to_open: collections.deque = collections.deque()     # accepted: a legal case may open
        self.held: list[str] = []                  # accepted by the shelter (file, pages)
        self.plans: list[str] = []
        self.milestones: collections.deque = collections.deque()  # (plan, milestone) to mark done
        self.items: collections.deque = collections.deque()       # (plan, item, status)
        self.cases: list[str] = []
        self.cases_without_court: collections.deque = collections.deque()
        self.court_cases: collections.deque = collections.deque()  # (court case, status)
        self.hearings: collections.deque = collections.deque()

    def take(self, queue: collections.deque, now: float | None = None):
        """The oldest entry of ``queue`` (ready by ``now`` when entries are (ready at, x))."""
        with self.lock:
            if not queue:
                return None
            if now is not None and queue[0][0] > now:
                return None
            return queue.popleft()

    def pick(self, items: list):
        """Any entry of ``items`` (None when empty)."""
        with self.lock:
            return self.rng.choice(items) if items else None

    def put(self, queue, entry) -> None:
        with self.lock:
            queue.append(entry)


class Day:
    """One network's day: tokens, web sessions, the backlog, the replay and its figures."""

    def __init__(self, net: Network, log, seed: int = 22):
        self.net, self.log = net, log
        self.rng = random.Random(seed)
        self.pools = Pools(random.Random(seed + 1))
        self.counter = 0
        self.tokens = {
            "police": net.token("police", agency=POLICE_UNIT, user="officer.day"),
            "shelter": net.token("shelter", user=CASE_MANAGER),
            "legal": net.token("legal", user="lawyer.day"),
            "court": net.token("court", agency=COURT, user="clerk.day"),
            "analyst": net.token("analyst", user="analyst.day"),
        }
        self.cookies: dict[str, str] = {}
        self.samples: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: dict[str, int] = collections.defaultdict(int)
        self.error_kinds: dict[str, int] = collections.defaultdict(int)
        self.skipped: dict[str, int] = collections.defaultdict(int)
        self.timed: list[tuple[float, float, str]] = []  # (seconds into the replay, latency, name)
        self.sample_lock = threading.Lock()
        self.today = date.today()
        self.broker_port = urllib.parse.urlparse(net.amqp_uri).port or 5672

    # --- set-up (not measured) ----------------------------------------------------------------

    def headers(self, role: str, body: bool = False) -> dict:
        h = {"Authorization": f"Bearer {self.tokens[role]}", "Host": "127.0.0.1"}
        if body:
            h["Content-Type"] = "application/json"
        return h

    def api(self, method: str, path: str, role: str, json_body=None) -> requests.Response:
        return requests.request(method, f"{self.net.url}/api/v1{path}", json=json_body,
                                headers=self.headers(role), timeout=30)

    def web_users(self) -> None:
        """A web user per role that views pages, made with `refnet user create`, signed in
        through the sign-in form; their session cookies."""
        people = {"police": ("officer.day", POLICE_UNIT), "shelter": (CASE_MANAGER, FACILITY),
                  "legal": ("lawyer.day", "erbil-legal-aid"), "analyst": ("analyst.day", "refnet-analytics")}
        for role, (username, agency) in people.items():
            done = subprocess.run([str(BIN / "refnet"), "user", "create", "--username", username,
                                   "--role", role, "--agency", agency], input=PASSWORD + "\n",
                                  env=self.net.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                raise RuntimeError(f"refnet user create {username}: {done.stderr[-500:]}")
            page = requests.get(f"{self.net.url}/sign-in", timeout=30)
            signed = requests.post(f"{self.net.url}/sign-in", allow_redirects=False, timeout=30,
                                   cookies={"refnet_presession": page.cookies["refnet_presession"]},
                                   data={"username": username, "password": PASSWORD,
                                         "csrf_token": CSRF.search(page.text).group(1)})
            cookie = signed.cookies.get("refnet_session")
            if signed.status_code != 302 or not cookie:
                raise RuntimeError(f"sign-in of {username}: {signed.status_code}")
            self.cookies[role] = cookie

    def submit(self) -> str:
        self.counter += 1
        r = self.api("POST", "/referrals", "police", submission(self.counter))
        r.raise_for_status()
        return r.json()["reference"]

    def wait_status(self, references: list[str], wanted: set[str], timeout: float = 90) -> None:
        deadline = time.time() + timeout
        for reference in references:
            while True:
                r = self.api("GET", f"/referrals/{reference}/status", "police")
                if r.status_code == 200 and r.json()["status"] in wanted:
                    break
                if time.time() > deadline:
                    raise RuntimeError(f"{reference} never showed {wanted}")
                time.sleep(0.2)

    def backlog(self, plan: list[tuple[float, str]]) -> dict:
        """The morning's backlog, sized from the plan: referrals waiting for a decision, accepted
        ones waiting for admission or a legal case, residents with open plans, legal cases in
        court with hearings."""
        counts = collections.Counter(name for _, name in plan)
        n_decide = max(2, counts["POST /api/v1/referrals/{reference}/decision"] // 3 + 2)
        n_admit = max(2, counts["POST /api/v1/shelters/{facility}/admissions"] // 4)
        n_cases = max(2, counts["POST /api/v1/legal/cases"] // 2 + 1)
        n_plans = max(3, counts["POST /api/v1/shelter/plans/{plan_id}/milestones/{milestone}/done"] // 2 + 2)
        n_court = max(2, counts["POST /api/v1/legal/cases/{case_id}/court-cases"] + 1)
        total = n_decide + n_admit + n_cases + n_plans
        started = time.perf_counter()
        refs = [self.submit() for _ in range(total)]
        self.pools.submitted += [(0.0, r) for r in refs]
        self.wait_status(refs, {"received"})
        decide, rest = refs[:n_decide], refs[n_decide:]
        self.pools.held += rest   # accepted below (the ones to decide may be passed on)
        self.pools.to_decide.extend((0.0, r) for r in decide)
        for r in rest:
            self.api("POST", f"/referrals/{r}/decision", "shelter", {"decision": "accept"}).raise_for_status()
        admit, cases, residents = rest[:n_admit], rest[n_admit:n_admit + n_cases], rest[n_admit + n_cases:]
        self.pools.to_admit.extend((0.0, r) for r in admit)
        for r in residents:
            a = self.api("POST", f"/shelters/{FACILITY}/admissions", "shelter",
                         {"reference": r, "case_manager": CASE_MANAGER})
            a.raise_for_status()
            plan_id = a.json()["plan_id"]
            self.pools.plans.append(plan_id)
            self.pools.milestones.extend((plan_id, m) for m in ("legal_rights_briefing", "plan_agreed"))
            item = self.api("POST", f"/shelter/plans/{plan_id}/items", "shelter",
                            {"service": "case_management", "owner": CASE_MANAGER})
            item.raise_for_status()
            self.pools.items.append((plan_id, item.json()["item_id"], "planned"))
        # legal cases: the accepted referrals reach the legal team by an event
        deadline = time.time() + 60
        while True:
            eligible = {e["reference"] for e in self.api("GET", "/legal/eligible", "legal").json()}
            if set(cases) <= eligible:
                break
            if time.time() > deadline:
                raise RuntimeError("the accepted referrals never became eligible for legal cases")
            time.sleep(0.3)
        opened = []
        for r in cases:
            c = self.api("POST", "/legal/cases", "legal", {"reference": r, "lawyer": "lawyer.day"})
            c.raise_for_status()
            opened.append(c.json()["case_id"])
        self.pools.cases += opened
        self.pools.cases_without_court.extend(opened[n_court:])
        for i, case_id in enumerate(opened[:n_court]):
            cc = self.court_case(case_id)
            if i % 2 == 0:
                self.api("POST", f"/court-cases/{cc}/status", "court", {"status": "filed"}).raise_for_status()
                h = self.api("POST", f"/court-cases/{cc}/hearings", "court", self.hearing_body())
                h.raise_for_status()
                self.pools.hearings.append(h.json()["hearing_id"])
                self.pools.court_cases.append((cc, "filed"))
            else:
                self.pools.court_cases.append((cc, "investigation"))
        # the plan's accepted referrals not yet admitted are the legal team's too
        self.pools.to_open.extend((0.0, r) for r in admit)
        return {"referrals": total, "to_decide": n_decide, "to_admit": n_admit, "residents": len(residents),
                "legal_cases": n_cases, "court_cases": n_court,
                "seconds": round(time.perf_counter() - started, 1)}

    def court_case(self, case_id: str) -> str:
        body = {"court": COURT, "case_number": f"{self.rng.randrange(10**6):06d}/2026",
                "standing": "victim", "charges": [{"statute": "law-6-2018"}]}
        r = self.api("POST", f"/legal/cases/{case_id}/court-cases", "legal", body)
        r.raise_for_status()
        return r.json()["court_case_id"]

    def hearing_body(self) -> dict:
        starts = datetime.now(timezone.utc) + timedelta(days=10 + self.rng.randrange(30), hours=3)
        return {"starts_at": starts.replace(tzinfo=None, minute=0, second=0, microsecond=0).isoformat(),
                "time_zone": "Asia/Baghdad", "purpose": "Testimony", "attendance_required": True}

    # --- the operations (each: the request it sends, or None to skip) -------------------------

    def request_for(self, name: str, now: float):
        """(method, url, headers, json body, what to do with a 2xx answer) of one operation,
        or None when there is nothing for it to work on."""
        p, base = self.pools, self.net.url
        api = f"{base}/api/v1"

        def api_call(method, path, role, body=None, then=None):
            return method, api + path, self.headers(role, body is not None), body, then

        def page(path, role):
            headers = {"Host": "127.0.0.1", "Cookie": f"refnet_session={self.cookies[role]}"}
            return "GET", base + path, headers, None, None

        if name == "POST /api/v1/referrals":
            self.counter += 1

            def submitted(r):
                ref = r.json()["reference"]
                with p.lock:
                    p.submitted.append((now, ref))
                    p.to_decide.append((now + READY_AFTER, ref))
            return api_call("POST", "/referrals", "police", submission(self.counter), submitted)
        if name == "GET /api/v1/referrals/{reference}/status":
            ref = p.pick(p.submitted)
            return ref and api_call("GET", f"/referrals/{ref[1]}/status", "police")
        if name == "GET /api/v1/referrals":
            return api_call("GET", "/referrals?limit=50", "police")
        if name == "GET /api/v1/shelters/availability":
            return api_call("GET", "/shelters/availability", "police")
        if name == "GET /api/v1/shelter/incoming":
            return api_call("GET", "/shelter/incoming?limit=50", "shelter")
        if name == "GET /api/v1/referrals/{reference}":
            ref = p.pick(p.held)
            return ref and api_call("GET", f"/referrals/{ref}", "shelter")
        if name == "POST /api/v1/referrals/{reference}/decision":
            entry = p.take(p.to_decide, now)
            if entry is None:
                return None
            ref = entry[1]
            if self.rng.random() < 0.3:  # passed on to the next provider: no longer the shelter's
                return api_call("POST", f"/referrals/{ref}/decision", "shelter",
                                {"decision": "decline", "reason_code": "no_bed_in_group"})

            def accepted(_r):
                p.put(p.held, ref)
                p.put(p.to_admit, (now + 1.0, ref))
                p.put(p.to_open, (now + EVENT_AFTER, ref))
            return api_call("POST", f"/referrals/{ref}/decision", "shelter", {"decision": "accept"}, accepted)
        if name == "POST /api/v1/shelters/{facility}/admissions":
            entry = p.take(p.to_admit, now)
            if entry is None:
                return None

            def admitted(r):
                plan_id = r.json()["plan_id"]
                with p.lock:
                    p.plans.append(plan_id)
                    p.milestones.extend((plan_id, m) for m in ("legal_rights_briefing", "plan_agreed"))
            return api_call("POST", f"/shelters/{FACILITY}/admissions", "shelter",
                            {"reference": entry[1], "case_manager": CASE_MANAGER}, admitted)
        if name == "GET /api/v1/shelters/{facility}/board":
            return api_call("GET", f"/shelters/{FACILITY}/board", "shelter")
        if name == "GET /api/v1/shelter/plans/{plan_id}":
            plan = p.pick(p.plans)
            return plan and api_call("GET", f"/shelter/plans/{plan}", "shelter")
        if name == "POST /api/v1/shelter/plans/{plan_id}/items":
            plan = p.pick(p.plans)
            if plan is None:
                return None
            return api_call("POST", f"/shelter/plans/{plan}/items", "shelter",
                            {"service": "case_management", "owner": CASE_MANAGER},
                            lambda r: p.put(p.items, (plan, r.json()["item_id"], "planned")))
        if name == "PUT /api/v1/shelter/plans/{plan_id}/items/{item_id}":
            entry = p.take(p.items)
            if entry is None:
                return None
            plan, item, status = entry
            following = {"planned": "in_progress", "in_progress": "done"}[status]

            def moved(_r):
                if following != "done":
                    p.put(p.items, (plan, item, following))
            return api_call("PUT", f"/shelter/plans/{plan}/items/{item}", "shelter",
                            {"status": following}, moved)
        if name == "POST /api/v1/shelter/plans/{plan_id}/milestones/{milestone}/done":
            entry = p.take(p.milestones)
            return entry and api_call("POST", f"/shelter/plans/{entry[0]}/milestones/{entry[1]}/done",
                                      "shelter")
        if name == "POST /api/v1/shelter/plans/{plan_id}/notes":
            plan = p.pick(p.plans)
            return plan and api_call("POST", f"/shelter/plans/{plan}/notes", "shelter",
                                     {"text": "Spoke with her about the next steps; she agreed."})
        if name == "GET /api/v1/shelter/milestones":
            return api_call("GET", "/shelter/milestones?state=due", "shelter")
        if name == "GET /api/v1/legal/eligible":
            return api_call("GET", "/legal/eligible", "legal")
        if name == "POST /api/v1/legal/cases":
            entry = p.take(p.to_open, now)
            if entry is None:
                return None

            def opened(r):
                case_id = r.json()["case_id"]
                with p.lock:
                    p.cases.append(case_id)
                    p.cases_without_court.append(case_id)
            return api_call("POST", "/legal/cases", "legal",
                            {"reference": entry[1], "lawyer": "lawyer.day"}, opened)
        if name == "GET /api/v1/legal/cases/{case_id}":
            case = p.pick(p.cases)
            return case and api_call("GET", f"/legal/cases/{case}", "legal")
        if name == "POST /api/v1/legal/cases/{case_id}/court-cases":
            case = p.take(p.cases_without_court)
            if case is None:
                return None
            body = {"court": COURT, "case_number": f"{self.rng.randrange(10**6):06d}/2026",
                    "standing": "victim", "charges": [{"statute": "law-6-2018"}]}
            return api_call("POST", f"/legal/cases/{case}/court-cases", "legal", body,
                            lambda r: p.put(p.court_cases, (r.json()["court_case_id"], "investigation")))
        if name == "POST /api/v1/court-cases/{court_case_id}/status":
            entry = p.take(p.court_cases)
            if entry is None:
                return None
            court_case, status = entry
            following = {"investigation": "filed", "filed": "trial", "trial": "trial"}[status]
            if status == "trial":
                return api_call("POST", f"/court-cases/{court_case}/status", "court",
                                {"status": "verdict", "verdict": "convicted"})
            return api_call("POST", f"/court-cases/{court_case}/status", "court", {"status": following},
                            lambda _r: p.put(p.court_cases, (court_case, following)))
        if name == "POST /api/v1/court-cases/{court_case_id}/hearings":
            entry = p.pick(list(p.court_cases))
            if entry is None:
                return None
            return api_call("POST", f"/court-cases/{entry[0]}/hearings", "court", self.hearing_body(),
                            lambda r: p.put(p.hearings, r.json()["hearing_id"]))
        if name == "POST /api/v1/hearings/{hearing_id}/outcome":
            hearing = p.take(p.hearings)
            return hearing and api_call("POST", f"/hearings/{hearing}/outcome", "court",
                                        {"outcome": "held", "note": "Held as planned"})
        if name == "GET /api/v1/hearings":
            return api_call("GET", f"/hearings?from={self.today}&to={self.today + timedelta(days=60)}", "legal")
        if name == "GET /police/referrals":
            return page("/police/referrals", "police")
        if name == "GET /police/referrals/{reference}":
            ref = p.pick(p.submitted)
            return ref and page(f"/police/referrals/{ref[1]}", "police")
        if name == "GET /shelter/incoming":
            return page("/shelter/incoming", "shelter")
        if name == "GET /shelter/referrals/{reference}":
            ref = p.pick(p.held)
            return ref and page(f"/shelter/referrals/{ref}", "shelter")
        if name == "GET /shelter/plans/{plan_id}":
            plan = p.pick(p.plans)
            return plan and page(f"/shelter/plans/{plan}", "shelter")
        if name == "GET /beds":
            return page("/beds", "police")
        if name == "GET /legal/cases":
            return page("/legal/cases", "legal")
        if name == "GET /hearings":
            return page("/hearings", "legal")
        if name == "GET /api/v1/reports/summary":
            return api_call("GET", f"/reports/summary?period={last_month(self.today)}&audience=public",
                            "analyst")
        if name == "GET /reports":
            return page(f"/reports?period={last_month(self.today)}", "analyst")
        raise KeyError(name)

    # --- the replay ---------------------------------------------------------------------------

    def _send(self, name: str, scheduled: float, started: float) -> None:
        """One operation at its planned time (``scheduled``, perf_counter); its latency from then."""
        request = self.request_for(name, scheduled - started)
        if request is None:
            with self.sample_lock:
                self.skipped[name] += 1
            return
        method, url, headers, body, then = request
        kind = None
        try:
            r = requests.request(method, url, headers=headers, json=body, timeout=TIMEOUT,
                                 allow_redirects=False)
            elapsed = time.perf_counter() - scheduled
            if 200 <= r.status_code < 300:
                if then is not None:
                    then(r)
            else:
                kind = f"{r.status_code} {r.text[:120]!r}"
        except requests.Timeout:
            elapsed, kind = time.perf_counter() - scheduled, "timeout"
        except requests.RequestException as exc:
            elapsed, kind = time.perf_counter() - scheduled, type(exc).__name__
        with self.sample_lock:
            self.samples[name].append(elapsed)
            self.timed.append((scheduled - started, elapsed, name))
            if kind is not None:
                self.errors[name] += 1
                self.error_kinds[f"{name}: {kind}"] += 1

    def replay(self, plan: list[tuple[float, str]]) -> dict:
        """Send the plan open-loop; the seconds it took and how late the sender fell behind."""
        lateness = []
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            started = time.perf_counter() + 0.2
            for offset, name in plan:
                at = started + offset
                delay = at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:
                    lateness.append(-delay)
                pool.submit(self._send, name, at, started)
        seconds = time.perf_counter() - started
        return {"seconds": round(seconds, 1),
                "sender_late_max_ms": round(max(lateness, default=0.0) * 1e3, 1)}

    def cpu(self) -> dict:
        """CPU seconds used so far: by each process of the network, by this client, and by the
        whole machine (busy, every core), to tell the network's share from other work's."""
        times = psutil.cpu_times()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        broker = 0.0
        for proc in psutil.process_iter(["name", "cmdline"]):
            if proc.info["name"] == "beam.smp":
                try:  # the broker the network uses: the one listening on the URI's port
                    if any(c.status == psutil.CONN_LISTEN and c.laddr.port == self.broker_port
                           for c in getattr(proc, "net_connections", proc.connections)(kind="tcp")):
                        broker += sum(proc.cpu_times()[:2])
                except psutil.Error:
                    pass
        return {"network": {**coldstart.cpu_seconds(self.net), "rabbitmq (shared)": broker},
                "client": usage.ru_utime + usage.ru_stime,
                "machine": sum(times) - times.idle - getattr(times, "iowait", 0.0)}

    def warm_up(self) -> None:
        """Every read once before the clock starts (not measured): a network that has run all
        morning has its templates compiled and its connections open."""
        for op in daymodel.OPERATIONS:
            if op.name.startswith("GET "):
                request = self.request_for(op.name, 0.0)
                if request is not None:
                    method, url, headers, body, _ = request
                    requests.request(method, url, headers=headers, json=body, timeout=30)

    def run(self, plan: list[tuple[float, str]]) -> dict:
        """Set up, replay the plan and return the figures (per endpoint, totals, load average)."""
        self.log("day: web users and their sessions")
        self.web_users()
        self.log("day: the morning's backlog (referrals, residents, legal cases)")
        backlog = self.backlog(plan)
        self.warm_up()
        self.log(f"day: backlog {backlog}; replaying {len(plan)} operations")
        load_before, cpu_before = os.getloadavg(), self.cpu()
        replay = self.replay(plan)
        load_after, cpu_after = os.getloadavg(), self.cpu()
        seconds = replay["seconds"]
        network = {k: round(v - cpu_before["network"].get(k, 0.0), 2) for k, v in cpu_after["network"].items()}
        machine = cpu_after["machine"] - cpu_before["machine"]
        cpu = {"network_cpu_seconds": network,
               "network_cores": round(sum(network.values()) / seconds, 2),
               "client_cores": round((cpu_after["client"] - cpu_before["client"]) / seconds, 2),
               "machine_cores_busy": round(machine / seconds, 2),
               "cores": psutil.cpu_count()}
        cpu["others_cores"] = round(cpu["machine_cores_busy"] - cpu["network_cores"] - cpu["client_cores"], 2)
        endpoints = daymodel.endpoint_figures(self.samples, self.errors)
        missed = [n for n, f in endpoints.items() if not f["met"]]
        return {"backlog": backlog, "replay": replay, "planned": len(plan),
                "sent": sum(f["count"] for f in endpoints.values()),
                "skipped": dict(self.skipped), "errors": sum(self.errors.values()),
                "error_kinds": dict(self.error_kinds), "endpoints": endpoints, "missed": missed,
                "cpu": cpu,
                "load_average": {"before": [round(x, 2) for x in load_before],
                                 "after": [round(x, 2) for x in load_after]},
                "slowest": slowest(self.timed)}


def slowest(timed: list[tuple[float, float, str]], count: int = 12) -> list[dict]:
    """The slowest requests of the replay, in the order they were sent, each with when (seconds
    into the replay) and what else was sent within 0.3 s before it: single slow requests that
    fall together point at one stall (a process, the broker), scattered ones at the request."""
    ordered = sorted(timed)
    chosen = sorted(sorted(timed, key=lambda t: -t[1])[:count])
    out = []
    for at, latency, name in chosen:
        near = [n for a, _l, n in ordered if at - 0.3 <= a < at]
        out.append({"at_s": round(at, 2), "ms": round(latency * 1e3, 1), "endpoint": name,
                    "sent_in_the_0.3_s_before": collections.Counter(near).most_common()})
    return out


def error_lines(net: Network, limit: int = 10) -> list[str]:
    """The first ERROR lines of the network's logs (process, message, the exception's last
    line): what a 5xx of the day was. The logs carry no personal data (decision 0014)."""
    found = []
    for path in sorted(net.logs.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if '"level": "ERROR"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            message = " ".join(record.get("msg", "").split())[:200]
            last = " ".join((record.get("exc") or "").strip().splitlines()[-1:])[:300]
            if last.startswith("services.common.errors."):
                continue  # an answer the caller expects (a plan without a screening: NotFound)
            found.append(f"{path.stem}: {message} {last}".strip())
            if len(found) >= limit:
                return found
    return found


def one_database(workdir, amqp_uri: str, database: str, plan, log) -> dict:
    """The day on one database (``sqlite`` or ``postgres``), two replicas of each service."""
    urls = {}
    if database == "postgres":
        urls = {s: harness_postgres.create_database(f"refnet_day_{s}") for s in SERVICES}
        urls["gateway"] = harness_postgres.create_database("refnet_day_gateway")
    extra = dict(RATE_LIMIT_OFF)
    if "gateway" in urls:
        extra["REFNET_GATEWAY_DATABASE_URL"] = urls.pop("gateway")
    net = Network(workdir / f"day-{database}", amqp_uri, database_urls=urls, extra_env=extra,
                  replicas=2)
    try:
        net.prepare()
        net.start()
        net.wait_ready()
        net.seed_facility({"women": 5000, "men": 5000, "children": 5000})
        for service in SERVICES:
            net.wait_consumers(f"rpc-{service}", 2)
        figures = Day(net, log).run(plan)
        figures["error_lines"] = error_lines(net)
        figures["database"] = database
        figures["replicas"] = 2
        return figures
    finally:
        net.stop()
        for url in [*urls.values(), extra.get("REFNET_GATEWAY_DATABASE_URL")]:
            if url:
                harness_postgres.drop_database(url)


def scenario(workdir, amqp_uri: str, scale: float, databases: list[str], log) -> dict:
    """The day on each database: the model, the plan and the figures."""
    plan = daymodel.schedule(scale=scale)
    results = {"model": daymodel.derivation(), "scale": scale,
               "proportions": {k: round(v, 4) for k, v in daymodel.proportions().items()},
               "per_hour_replayed": {k: round(v, 1) for k, v in daymodel.hourly_mix().items()}}
    for database in databases:
        log(f"day: {database}, two replicas of each service; {len(plan)} operations over "
            f"{daymodel.replay_seconds() * scale:.0f} s")
        results[database] = one_database(workdir, amqp_uri, database, plan, log)
        r = results[database]
        log(f"day: {database}: {r['sent']} sent, {r['errors']} errors, skipped {sum(r['skipped'].values())}, "
            f"missed {r['missed']}, load {r['load_average']}")
    return results


def print_day(results: dict) -> None:
    """A table per database: p50, p99 and errors per endpoint, marked where a person waits."""
    for database in ("sqlite", "postgres"):
        r = results.get(database)
        if not r:
            continue
        c = r["cpu"]
        print(f"\nA realistic day on {database} (two replicas of each service): {r['sent']} requests "
              f"in {r['replay']['seconds']} s, {r['errors']} errors, load average "
              f"{r['load_average']['before'][0]} -> {r['load_average']['after'][0]}; cores busy "
              f"{c['machine_cores_busy']} of {c['cores']}: the network {c['network_cores']}, this client "
              f"{c['client_cores']}, other work {c['others_cores']}")
        width = max(len(n) for n in r["endpoints"])
        print(f"{'endpoint':<{width}}  waits  count  p50 ms  p99 ms  errors  met?")
        for name, f in r["endpoints"].items():
            print(f"{name:<{width}}  {'yes' if f['waits'] else 'no':<5}  {f['count']:>5}  {f['p50_ms']:>6}"
                  f"  {f['p99_ms']:>6}  {f['errors']:>6}  {'yes' if f['met'] else 'NO'}")
        for kind, n in sorted(r["error_kinds"].items()):
            print(f"* error x{n}: {kind}")
        for line in r.get("error_lines", []):
            print(f"* log: {line}")
        if r["skipped"]:
            print(f"* skipped (nothing to work on yet): {r['skipped']}")
        for slow in r.get("slowest", []):
            before = ", ".join(f"{n} x{c}" for n, c in slow["sent_in_the_0.3_s_before"]) or "nothing"
            print(f"* slowest: at {slow['at_s']:>6} s {slow['ms']:>7} ms {slow['endpoint']} "
                  f"(sent in the 0.3 s before: {before})")
