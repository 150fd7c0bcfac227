"""The baseline the gateway is measured against: bench/baseline_app.py under the gateway's
gunicorn settings, on a free port, as a process of its own."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from refnet.harness.network import ROOT, free_port

BIN = Path(sys.executable).parent


class BaselineApp:
    """bench/baseline_app.py under the gateway's gunicorn settings, on a free port."""

    def __init__(self, workdir: Path, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env)
        self.env.update({"REFNET_PORT": str(self.port), "REFNET_HOST": "127.0.0.1",
                         "BENCH_BASELINE_DB": str(workdir / "baseline.db")})
        self.log = open(workdir / "baseline.log", "ab")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it and wait until it answers (30 s at most)."""
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "bench.baseline_app:create_app()"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/constant", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("the baseline app did not start")

    def stop(self) -> None:
        """Stop its process group (TERM, then KILL) and close its log."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()
