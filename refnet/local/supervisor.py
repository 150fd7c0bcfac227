"""The supervisor of the one-machine network: every line of deploy/Procfile (x replicas for the
services) as a child process; one that dies is started again after a back-off, the others go on.

``refnet supervise`` runs it in the foreground (the systemd unit's ``ExecStart``); ``refnet up``
runs the same command in the background, in its own session, its output in var/log/refnet.log.
Each child's lines go to standard output as ``HH:MM:SS name | line``; the supervisor's own as
``system``. The state of every process (pid, start, restarts, last exit) is kept in a JSON file
that ``refnet status`` renders (:func:`render_status`). SIGTERM or SIGINT stops every child
(TERM, then KILL after a grace) and ends the supervisor. Each child leads a process group of its
own, so a signal to the supervisor's group reaches the supervisor alone (nameko stops badly
when it is sent TERM twice) and what a dead child left behind is killed with it.

Processes are named ``referral``, ``referral.2``... and each gets ``PORT`` = base + 100 x its
line in the Procfile + its replica number (referral 9500, 9501; shelter 9600...), which the
services serve /metrics and /healthz on; a process started again gets the same port.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BackOff:
    """How long a dead process waits before it is started again: ``first`` seconds after one
    death, doubling with each death in a row up to ``most``; a process that had stayed up
    ``stable_after`` seconds starts the count over."""

    first: float = 1.0
    most: float = 30.0
    stable_after: float = 60.0

    def deaths_in_a_row(self, before: int, uptime: float) -> int:
        """The count after one more death, of a process that had been up ``uptime`` seconds."""
        return 1 if uptime >= self.stable_after else before + 1

    def delay(self, deaths_in_a_row: int) -> float:
        """Seconds to wait before starting the process again."""
        if deaths_in_a_row < 1:
            return 0.0
        return min(self.most, self.first * 2 ** (deaths_in_a_row - 1))


@dataclass(frozen=True)
class Spec:
    """One process to supervise: its name, its Procfile command, its ``PORT``."""

    name: str
    command: str
    port: int
    env: tuple[tuple[str, str], ...] = ()  # this process's own variables (its AMQP_URI)


def read_procfile(path: Path) -> list[tuple[str, str]]:
    """The Procfile's ``(name, command)`` lines, in order."""
    lines = [line for line in Path(path).read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    return [(name.strip(), command.strip()) for name, command in (line.split(":", 1) for line in lines)]


def plan(lines: list[tuple[str, str]], replicas: int, base_port: int,
         replicated: tuple[str, ...], env_of: dict[str, dict[str, str]] | None = None) -> list[Spec]:
    """Every process to run: ``replicas`` of each line named in ``replicated``, one of the others;
    ``PORT`` = base + 100 x line + replica; ``env_of``: a line's own variables, by its name."""
    specs = []
    for line, (name, command) in enumerate(lines):
        own = tuple(sorted((env_of or {}).get(name, {}).items()))
        for replica in range(replicas if name in replicated else 1):
            specs.append(Spec(name if replica == 0 else f"{name}.{replica + 1}", command,
                              base_port + 100 * line + replica, own))
    return specs


def kill_group(pid: int) -> None:
    """SIGKILL the process group a child leads (each child leads its own), if it is still there."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def describe_exit(returncode: int) -> dict:
    """A child's exit as the state file keeps it: ``{"code": n}`` or ``{"signal": "SIGKILL"}``."""
    if returncode < 0:
        try:
            return {"signal": signal.Signals(-returncode).name}
        except ValueError:
            return {"signal": str(-returncode)}
    return {"code": returncode}


class Output:
    """Lines to one stream, each prefixed with the time and its process's name, whole lines only."""

    def __init__(self, stream, width: int):
        self.stream = stream
        self.width = width
        self.lock = threading.Lock()

    def line(self, name: str, text: bytes) -> None:
        prefix = f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | ".encode()
        with self.lock:
            self.stream.write(prefix + text.rstrip(b"\n") + b"\n")
            self.stream.flush()

    def system(self, text: str) -> None:
        self.line("system", text.encode())

    def copy(self, name: str, pipe) -> None:
        """Copy a child's output until it closes (a thread each)."""
        with pipe:
            for text in iter(pipe.readline, b""):
                self.line(name, text)


class Child:
    """One supervised process: the running one, if any, and its history."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.process: subprocess.Popen | None = None
        self.started_at: float | None = None      # wall clock, for the state file
        self.started_mono = 0.0
        self.restarts = 0
        self.deaths_in_a_row = 0
        self.last_exit: dict | None = None
        self.restart_at: float | None = None      # monotonic; set while it waits to start again
        self.restart_wall: float | None = None

    def state(self) -> dict:
        running = self.process is not None
        return {"pid": self.process.pid if running else None, "port": self.spec.port,
                "started_at": self.started_at if running else None, "restarts": self.restarts,
                "deaths_in_a_row": self.deaths_in_a_row, "last_exit": self.last_exit,
                "restart_at": self.restart_wall}


class Supervisor:
    """Runs ``specs`` until told to stop; keeps ``state_file`` and ``pid_file`` up to date."""

    def __init__(self, specs: list[Spec], *, cwd: Path, env: dict, state_file: Path,
                 pid_file: Path, stream=None, backoff: BackOff = BackOff(), grace: float = 15.0,
                 tick: float = 0.2):
        self.children = [Child(spec) for spec in specs]
        self.cwd, self.env = cwd, env
        self.state_file, self.pid_file = Path(state_file), Path(pid_file)
        self.output = Output(stream or sys.stdout.buffer,
                             max([len("system"), *(len(s.name) for s in specs)]))
        self.backoff, self.grace, self.tick = backoff, grace, tick
        self.started_at = time.time()
        self.stopping = False

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        """Start every process, keep them running until SIGTERM or SIGINT, stop them; 0."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(str(os.getpid()))
        self.output.system(f"supervisor {os.getpid()} starting {len(self.children)} processes")
        try:
            for child in self.children:
                self._start(child)
            self._save()
            while not self.stopping:
                if self._step(time.monotonic()):
                    self._save()
                time.sleep(self.tick)
        finally:  # a signal, or a failure of the supervisor itself: no child is left behind
            self.stopping = True
            self.output.system("stopping every process")
            self._stop_all()
            self._save()
        try:
            if self.pid_file.read_text().strip() == str(os.getpid()):
                self.pid_file.unlink()
        except OSError:
            pass
        self.output.system("supervisor stopped")
        return 0

    def _on_signal(self, signum, _frame) -> None:
        # no output here: the main thread may hold the output's lock when the signal comes
        self.stopping = True

    def _step(self, now: float) -> bool:
        """Record the processes that died, start those whose wait is over; True if any did."""
        changed = False
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                self._died(child, now)
                changed = True
            if child.process is None and child.restart_at is not None and now >= child.restart_at \
                    and not self.stopping:
                child.restarts += 1
                self._start(child)
                changed = True
        return changed

    def _start(self, child: Child) -> None:
        spec = child.spec
        env = {**self.env, **dict(spec.env), "PORT": str(spec.port)}
        child.restart_at = child.restart_wall = None
        try:
            child.process = subprocess.Popen(
                ["/bin/sh", "-c", "exec " + spec.command], cwd=self.cwd, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                process_group=0)
        except OSError as exc:
            child.process = None
            self.output.system(f"{spec.name} could not start ({type(exc).__name__})")
            self._schedule(child, time.monotonic(), uptime=0.0)
            return
        child.started_at, child.started_mono = time.time(), time.monotonic()
        threading.Thread(target=self.output.copy, args=(spec.name, child.process.stdout),
                         daemon=True).start()
        self.output.system(f"{spec.name} started (pid {child.process.pid}, PORT {spec.port})")

    def _died(self, child: Child, now: float) -> None:
        kill_group(child.process.pid)  # what it left (a gunicorn worker holding the port)
        exit_ = describe_exit(child.process.returncode)
        child.last_exit = {**exit_, "at": time.time()}
        child.process = None
        how = f"killed by {exit_['signal']}" if "signal" in exit_ else f"exit {exit_['code']}"
        if self.stopping:
            self.output.system(f"{child.spec.name} stopped ({how})")
            return
        delay = self._schedule(child, now, uptime=now - child.started_mono)
        self.output.system(f"{child.spec.name} died ({how}); starting it again in {delay:g}s "
                           f"({child.deaths_in_a_row} in a row)")

    def _schedule(self, child: Child, now: float, uptime: float) -> float:
        child.deaths_in_a_row = self.backoff.deaths_in_a_row(child.deaths_in_a_row, uptime)
        delay = self.backoff.delay(child.deaths_in_a_row)
        child.restart_at, child.restart_wall = now + delay, time.time() + delay
        return delay

    def _stop_all(self) -> None:
        """TERM every running child, KILL those still there after the grace, wait for all."""
        running = [c for c in self.children if c.process is not None]
        for child in running:
            try:
                child.process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.grace
        for child in running:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.output.system(f"{child.spec.name} still running after {self.grace:g}s: SIGKILL")
                kill_group(child.process.pid)
                child.process.wait()
        for child in self.children:
            child.restart_at = child.restart_wall = None
            if child.process is not None:
                self._died(child, time.monotonic())

    # --- the state file -----------------------------------------------------------------------

    def state(self) -> dict:
        return {"supervisor": {"pid": os.getpid(), "started_at": self.started_at,
                               "stopping": self.stopping},
                "processes": {c.spec.name: c.state() for c in self.children}}

    def _save(self) -> None:
        """Write the state file whole (a reader never sees half of it)."""
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state(), indent=1))
        os.replace(temporary, self.state_file)


# --- what `refnet status` prints ----------------------------------------------------------------

def duration(seconds: float) -> str:
    """``42s``, ``5m 02s``, ``3h 07m``, ``2d 04h``."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def render_exit(last_exit: dict | None, now: float) -> str:
    """``killed by SIGKILL 12s ago``, ``exit 1 3m 04s ago``, or ``-``."""
    if not last_exit:
        return "-"
    how = f"killed by {last_exit['signal']}" if last_exit.get("signal") else f"exit {last_exit.get('code')}"
    return f"{how} {duration(now - last_exit['at'])} ago"


def render_status(state: dict, now: float) -> list[str]:
    """One line per process: name, pid, port, uptime (or when it starts again), restarts, last exit."""
    rows = [("process", "pid", "port", "uptime", "restarts", "last exit")]
    for name, p in state["processes"].items():
        if p.get("pid"):
            uptime = duration(now - p["started_at"])
        elif p.get("restart_at"):
            uptime = f"down, again in {duration(p['restart_at'] - now)}"
        else:
            uptime = "stopped"
        rows.append((name, str(p.get("pid") or "-"), str(p["port"]), uptime, str(p["restarts"]),
                     render_exit(p.get("last_exit"), now)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip()
            for row in rows]


def read_state(path: Path) -> dict | None:
    """The state file, or None when there is none (or it cannot be read)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
