"""The process runner of ``refnet up``: honcho over deploy/Procfile in its own session, in the
background, with a pid file to find it again and the gateway's ``/readyz`` to know it is up.

Honcho gives each service process ``PORT`` = base + 100 x its line in the Procfile + its replica
number (referral 9500, 9501; shelter 9600...), which the services serve /metrics on (9100 and up
is where node_exporter and friends usually listen).
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

PROCFILE = ROOT / "deploy" / "Procfile"


class Runner:
    """The background network of one ``REFNET_VAR`` folder."""

    def __init__(self, var: Path, url: str):
        self.var = Path(var)
        self.pid_file = self.var / "run" / "refnet.pid"
        self.log_file = self.var / "log" / "refnet.log"
        self.url = url

    def running_pid(self) -> int | None:
        """The pid of the running honcho, or None."""
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def start(self, replicas: int, metrics_base_port: int) -> int:
        """Start honcho with ``replicas`` processes of each service; return its pid."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONUNBUFFERED"] = "1"
        honcho = Path(sys.executable).parent / "honcho"
        options = ["-c", ",".join(f"{service}={replicas}" for service in SERVICES),
                   "-p", str(metrics_base_port)]
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen([str(honcho), "-f", str(PROCFILE), "-d", str(ROOT), "start",
                                        *options], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        self.pid_file.write_text(str(process.pid))
        return process.pid

    def wait_ready(self, timeout: float = 90.0) -> bool:
        """Wait until the gateway's ``/readyz`` answers 200; False if honcho died or time ran out."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=3) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            if self.running_pid() is None:
                return False
            time.sleep(0.5)
        return False

    def stop(self) -> bool:
        """Stop the whole process group (TERM, then KILL after 20 s); False if none ran."""
        pid = self.running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.time() + 20
        while time.time() < deadline and self.running_pid():
            time.sleep(0.3)
        if self.running_pid():
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True
