"""The whole network as real processes, for the end-to-end and fault tests and the benchmark.

Starts each line of deploy/Procfile (the same commands `make up` runs) as its own process,
with its own broker vhost, databases, secrets and port, so a test can stop and start one
service while the others keep running. ``replicas=2`` (or ``REFNET_TEST_REPLICAS=2``) runs two
processes of each service (``shelter`` and ``shelter.2``), ``replicas={"shelter": 2}`` two of
one; starting or stopping a service by its bare name acts on all its replicas. Each service
process serves ``/metrics`` on a port of its own (``metrics_urls``). ``duplicate_events=True``
runs the services through ``refnet.harness.duplicating_events``: every event goes out twice.
``process_env`` runs each process kind with an exact environment (a deployed configuration's,
``refnet.harness.deployed``) instead of this process's plus the network's own.

The notify service's links point at the network's own gateway (``REFNET_PUBLIC_URL``), and its
outside channels are off unless the network is given them: ``REFNET_SMTP_*`` and
``REFNET_SMS_*`` are never inherited from this process's environment (a test must not mail a
real server), only taken from ``extra_env`` (``refnet.harness.mail`` starts a real SMTP server
and SMS receiver and gives their settings).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from gateway.tokens import issue_token
from refnet import demo
from refnet.local.runner import PROCFILE
from refnet.local.secrets import new_secrets
from refnet.settings import ROOT, SERVICES
from services.common import broker_uri

from . import faults
from .broker import MANAGEMENT, credentials, kind_users
from .settings import VALUES

BIN = Path(sys.executable).parent
OUTSIDE_CHANNELS = ("REFNET_SMTP_", "REFNET_SMS_")  # given per network only (extra_env)


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kind_for_role(role: str) -> str:
    """The kind of agency the harness registers for a token of ``role``: ``other`` for the
    network's own people (admin, analyst), else the first kind the role fits."""
    from services.contracts.vocabulary import ROLE_AGENCY_KINDS
    kinds = ROLE_AGENCY_KINDS.get(role, ("other",))
    return "other" if "other" in kinds and role in ("admin", "analyst") else kinds[0]


def procfile() -> dict[str, str]:
    """deploy/Procfile's commands by process name."""
    lines = PROCFILE.read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


class Network:
    """The network of one test (or benchmark): started, stopped and asked as real processes."""

    def __init__(self, workdir: Path, amqp_uri: str, database_urls: dict[str, str] | None = None,
                 extra_env: dict[str, str] | None = None,
                 replicas: int | dict[str, int] | None = None, duplicate_events: bool = False,
                 process_env: dict[str, dict[str, str]] | None = None,
                 commands: dict[str, str] | None = None, broker_users: bool = True,
                 gateways: int = 1):
        """``replicas={"shelter": 2}`` runs the shelter line twice: processes ``shelter`` and
        ``shelter.2`` (same command, same database, competing consumers on the same queues);
        ``replicas=2`` does so for every service. ``gateways=2`` runs a second gateway
        (``gateway.2``) on a port of its own: ``urls`` lists every gateway's address, ``url`` is
        the first one's. ``duplicate_events`` runs every service with
        a publisher that sends each event twice (``refnet.harness.faults``).

        ``process_env`` gives each process kind its exact environment instead (a deployed
        configuration's, ``refnet.harness.deployed``): nothing of this process's environment,
        no secrets of the harness's; only the port each process listens on is set here
        (the gateway's ``REFNET_PORT``, a service's ``REFNET_METRICS_PORT``), and the bearer
        tokens are signed with that gateway's ``REFNET_TOKEN_SECRET``. ``commands`` replaces
        Procfile lines by process kind.

        Each process kind connects as its own least-privilege broker user on the vhost of
        ``amqp_uri`` (``refnet.harness.broker.kind_users``), as a deployment's do;
        ``broker_users=False`` gives every process ``amqp_uri``'s user instead. The harness's
        own steps (``prepare``, seeding) use ``amqp_uri``: the setup identity."""
        if replicas is None:
            replicas = VALUES.test_replicas
        if isinstance(replicas, int):
            replicas = {service: replicas for service in SERVICES}
        self.metrics_urls: dict[str, str] = {}
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.amqp_uri = amqp_uri
        # the harness makes its own users per vhost (``kind_users``): broker-setup must not
        # make the broker-wide refnet-<kind> users a local `refnet up` connects as
        self.secrets = {k: v for k, v in new_secrets().items()
                        if not k.startswith("REFNET_BROKER_PASSWORD_")}
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(OUTSIDE_CHANNELS)}
        self.env.update(self.secrets)
        self.env.update({
            "AMQP_URI": amqp_uri, "REFNET_PORT": str(self.port), "REFNET_VAR": str(self.workdir),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore", "REFNET_RPC_TIMEOUT": "5", "REFNET_PUBLIC_URL": self.url,
        })
        for service in SERVICES:
            url = (database_urls or {}).get(service) or f"sqlite:///{self.workdir / (service + '.db')}"
            self.env[f"{service.upper()}_DATABASE_URL"] = url
        self.env.update(extra_env or {})
        self.process_env = process_env
        self.kind_uris = kind_users(amqp_uri) if broker_users and process_env is None else {}
        if process_env is not None:
            self.secrets = {"REFNET_TOKEN_SECRET": process_env["gateway"]["REFNET_TOKEN_SECRET"]}
        self.commands = {**procfile(), **(commands or {})}
        if duplicate_events:
            self.commands.update({service: faults.duplicating_command(self.commands[service], service)
                                  for service in SERVICES})
        for service, count in {**(replicas or {}), "gateway": gateways}.items():
            for n in range(2, count + 1):
                self.commands[f"{service}.{n}"] = self.commands[service]
        self.gateway_ports = {name: self.port if name == "gateway" else free_port()
                              for name in self.commands if name.split(".")[0] == "gateway"}
        self.urls = [f"http://127.0.0.1:{port}" for port in self.gateway_ports.values()]
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = self.workdir / "logs"
        self._registered: set[str] = set()  # agencies known to be in the directory

    # --- life cycle -------------------------------------------------------------------------

    def prepare(self) -> dict[str, float]:
        """Migrate every database and declare the broker topology, as `refnet up` does; the
        seconds each step took (the benchmark's cold start)."""
        seconds = {}
        for command in ("migrate", "broker-setup"):
            started = time.perf_counter()
            subprocess.run([str(BIN / "refnet"), command], env=self.env, cwd=ROOT, check=True,
                           capture_output=True)
            seconds[command] = time.perf_counter() - started
        return seconds

    def _expand(self, names) -> list[str]:
        """A bare service name stands for all its replicas (``shelter``, ``shelter.2``...)."""
        out = []
        for name in names:
            out.append(name)
            if name in SERVICES or name == "gateway":
                out += [n for n in self.commands if n.startswith(f"{name}.") and n not in out]
        return out

    def start(self, *names: str) -> None:
        """Start processes by Procfile name; ``shelter.2`` is a second replica of ``shelter``,
        ``gateway.2`` a second gateway."""
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in self._expand(names) if names else tuple(self.commands):
            if name in self.processes and self.processes[name].poll() is None:
                continue
            kind = name.split(".")[0]
            env = self.env if self.process_env is None else self.process_env[kind]
            if kind in self.kind_uris:
                env = {**env, "AMQP_URI": self.kind_uris[kind]}
            if kind in SERVICES:
                port = free_port()
                env = {**env, "REFNET_METRICS_PORT": str(port)}
                self.metrics_urls[name] = f"http://127.0.0.1:{port}/metrics"
            else:
                env = {**env, "REFNET_PORT": str(self.gateway_ports.get(name, self.port))}
            log = open(self.logs / f"{name}.log", "ab")
            self.processes[name] = subprocess.Popen(
                "exec " + self.commands[name.split(".")[0]], shell=True, cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(self, *names: str, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        """Signal every named process (all by default) first, then wait for each: they shut
        down in parallel rather than one after the other."""
        running = []
        for name in self._expand(names) if names else tuple(self.processes):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, sig)
            running.append(process)
        deadline = time.time() + timeout
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def wait_ready(self, timeout: float = 60.0, url: str | None = None) -> dict:
        """Wait until the gateway's ``/readyz`` (at ``url``: one of ``urls``) answers 200;
        return its body."""
        deadline, last = time.time() + timeout, None
        while time.time() < deadline:
            try:
                response = requests.get((url or self.url) + "/readyz", timeout=5)
                last = response.json()
                if response.status_code == 200:
                    return last
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.3)
        raise AssertionError(f"network not ready after {timeout}s: {last}\n{self.tail_logs()}")

    def wait_service(self, name: str, timeout: float = 60.0) -> None:
        """Wait until one service answers RPC through the gateway's readiness check."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                checks = requests.get(self.url + "/readyz", timeout=5).json().get("checks", {})
                if checks.get(name) == "ok":
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{name} did not come up\n{self.tail_logs()}")

    def wait_consumers(self, queue: str, count: int, timeout: float = 60.0) -> None:
        """Wait until ``count`` consumers listen on a queue of this network's vhost (e.g. both
        replicas of a service on ``rpc-shelter``): RabbitMQ's management API, else rabbitmqctl."""
        user, password, _ = credentials()
        vhost = broker_uri.vhost(self.amqp_uri)

        def consumers():
            try:
                url = f"{MANAGEMENT}/api/queues/{requests.utils.quote(vhost, safe='')}/{queue}"
                return requests.get(url, auth=(user, password), timeout=5).json().get("consumers")
            except requests.ConnectionError:
                out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name",
                                      "consumers"], capture_output=True, text=True, timeout=30).stdout
                rows = dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)
                return int(rows[queue]) if rows.get(queue, "").isdigit() else None

        deadline, last = time.time() + timeout, None
        while time.time() < deadline:
            try:
                last = consumers()
                if last is not None and last >= count:
                    return
            except (requests.RequestException, ValueError, subprocess.SubprocessError) as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise AssertionError(f"{queue}: {last} consumers, wanted {count}\n{self.tail_logs()}")

    def tail_logs(self, lines: int = 30) -> str:
        """The last lines of every process's log, for a failure message."""
        out = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)

    def all_logs(self) -> str:
        """Every process's whole log."""
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    # --- helpers for tests --------------------------------------------------------------------

    def token(self, role: str, agency: str | None = None, user: str | None = None) -> str:
        """A bearer token of this network; the agency of the demo user of ``role`` by default.
        The agency is registered in the directory first (of the first kind the role fits) when
        the directory lacks it: the gateway refuses a token of an unknown agency."""
        known = next((u for u in demo.USERS if u["role"] == role), None)
        agency = agency or (known or {}).get("agency", f"{role}-agency")
        self.register_agency(agency, kind_for_role(role))
        return issue_token(self.secrets["REFNET_TOKEN_SECRET"], user=user or f"{role}.test",
                           role=role, agency=agency)

    def register_agency(self, agency: str, kind: str, *, active: bool = True,
                        names: dict | None = None, **more) -> bool:
        """Put ``agency`` into the directory of this network's referral service (its database,
        as `refnet agency add` does) unless it is there; True when registered now."""
        if agency in self._registered:
            return False
        from services.common.caller import Caller
        from services.common.clock import SystemClock
        from services.common.db import Database
        from services.common.errors import Conflict
        from services.referral.usecases import register_agency
        env = (self.process_env or {}).get("referral", {})
        db = Database(env.get("REFERRAL_DATABASE_URL") or self.env["REFERRAL_DATABASE_URL"])
        try:
            register_agency(db, SystemClock(), Caller("harness", "admin", "refnet-harness"),
                            agency, kind, names or {"en": agency}, active=active, **more)
            created = True
        except Conflict:
            created = False
        finally:
            db.dispose()
        self._registered.add(agency)
        return created

    def seed_facility(self, capacity: dict | None = None) -> None:
        """``refnet seed-demo`` on this network, then the beds of ``capacity`` by group."""
        admin = self.token("admin")
        subprocess.run([str(BIN / "refnet"), "seed-demo"], env=self.env, cwd=ROOT, check=True,
                       capture_output=True)
        for group, beds in (capacity or {}).items():
            r = requests.put(f"{self.url}/api/v1/shelters/{demo.FACILITY['id']}/capacity",
                             headers={"Authorization": f"Bearer {admin}"},
                             json={"population_group": group, "capacity": beds}, timeout=10)
            r.raise_for_status()

    def api(self, method: str, path: str, token: str | None, **kwargs) -> requests.Response:
        """One request to ``/api/v1`` + ``path`` with a bearer token."""
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=15, **kwargs)

    def wait_status(self, reference: str, status: str, token: str, timeout: float = 15.0) -> dict:
        """Poll a referral's status until it is ``status``; return the status body."""
        deadline, last = time.time() + timeout, None
        while time.time() < deadline:
            response = self.api("GET", f"/referrals/{reference}/status", token)
            if response.status_code == 200:
                last = response.json()
                if last["status"] == status:
                    return last
            else:
                last = (response.status_code, response.text)
            time.sleep(0.1)
        raise AssertionError(f"{reference} did not reach {status}: {json.dumps(last)}")
