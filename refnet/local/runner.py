"""The process runner of ``refnet up``: the supervisor (``refnet supervise``, see
``refnet.local.supervisor``) over deploy/Procfile in its own session, in the background, with a
pid file to find it again, a state file of its processes, and the gateway's ``/readyz`` to know
the network is up.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from refnet.settings import ROOT, SERVICES

from . import broker_users, supervisor

PROCFILE = ROOT / "deploy" / "Procfile"
CRASH_LOOP = 3  # deaths in a row of one process while `refnet up` waits: it will not come up


class Runner:
    """The network of one ``REFNET_VAR`` folder."""

    def __init__(self, var: Path, url: str):
        self.var = Path(var)
        self.pid_file = self.var / "run" / "refnet.pid"
        self.state_file = self.var / "run" / "processes.json"
        self.log_file = self.var / "log" / "refnet.log"
        self.url = url

    def running_pid(self) -> int | None:
        """The pid of the running supervisor, or None."""
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def state(self) -> dict | None:
        """What the supervisor last wrote about its processes (None before it has)."""
        return supervisor.read_state(self.state_file)

    def supervisor(self, replicas: int, metrics_base_port: int, env: dict) -> supervisor.Supervisor:
        """The supervisor of every Procfile line, ``replicas`` processes of each service; each
        kind with a broker password connects as its own broker user, and no process is given
        any kind's broker password."""
        own = {kind: {"AMQP_URI": uri} for kind, uri in broker_users.process_uris(env).items()}
        specs = supervisor.plan(supervisor.read_procfile(PROCFILE), replicas, metrics_base_port,
                                SERVICES, own)
        env = {k: v for k, v in env.items() if not k.startswith("REFNET_BROKER_PASSWORD_")}
        env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               "PYTHONUNBUFFERED": "1"}
        return supervisor.Supervisor(specs, cwd=ROOT, env=env, state_file=self.state_file,
                                     pid_file=self.pid_file)

    def start(self, replicas: int, metrics_base_port: int) -> int:
        """Start ``refnet supervise`` in the background, its output to the log; return its pid."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.state_file.unlink(missing_ok=True)
        env = {**os.environ, "REFNET_REPLICAS": str(replicas),
               "REFNET_METRICS_BASE_PORT": str(metrics_base_port), "PYTHONUNBUFFERED": "1"}
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen([str(Path(sys.executable).parent / "refnet"), "supervise"],
                                       cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid_file.write_text(str(process.pid))
        return process.pid

    def crash_looping(self) -> list[str]:
        """The processes that died ``CRASH_LOOP`` times in a row."""
        processes = (self.state() or {}).get("processes", {})
        return [name for name, p in processes.items() if p.get("deaths_in_a_row", 0) >= CRASH_LOOP]

    def wait_ready(self, timeout: float = 90.0) -> bool:
        """Wait until the gateway's ``/readyz`` answers 200; False if the supervisor died, a
        process keeps dying, or time ran out."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=3) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            if self.running_pid() is None or self.crash_looping():
                return False
            time.sleep(0.5)
        return False

    def stop(self) -> bool:
        """Stop the supervisor (TERM; it stops its children), KILL it and every child it had
        after 20 s; False if none ran."""
        pid = self.running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        # `refnet up`'s supervisor leads its own group (its children lead theirs); one started
        # otherwise (a terminal, systemd) gets the signal alone; either stops its children
        try:
            kill = os.killpg if os.getpgid(pid) == pid else os.kill
            kill(pid, signal.SIGTERM)
        except ProcessLookupError:  # it ended just now
            self.pid_file.unlink(missing_ok=True)
            return True
        deadline = time.time() + 20
        while time.time() < deadline and self.running_pid():
            time.sleep(0.3)
        if self.running_pid():
            kill(pid, signal.SIGKILL)
            for process in (self.state() or {}).get("processes", {}).values():
                if process.get("pid"):
                    supervisor.kill_group(process["pid"])
        self.pid_file.unlink(missing_ok=True)
        return True
