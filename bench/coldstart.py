"""Cold start: the network from nothing to the gateway's ``/readyz`` answering 200, step by step
as `make up` takes them (each process kind's broker user, ``refnet migrate`` on empty databases,
``refnet broker-setup``, every Procfile line started), then one service's restart and the
gateway's restart, each to ready. Wall-clock seconds, and the CPU seconds each process had
used by then (the machine's two cores are what the processes' start-up competes for).

The gateway is polled every ``POLL`` seconds: ``/healthz`` until it answers at all (gunicorn up,
the app imported and built), then ``/readyz``. ``/readyz`` remembers its answer for
``gateway.probes.MAX_AGE`` per worker, so a figure taken from it may be that much late."""

import os
import time

import psutil
import requests

from bench.memory import tree
from gateway.probes import MAX_AGE

POLL = 0.1


def watch(url: str, since: float, service: str | None = None, timeout: float = 90.0) -> dict:
    """Poll the gateway at ``url`` until ``/readyz`` answers 200 (with ``service``: until its
    check reads ok); seconds from ``since`` (``time.perf_counter``) to the gateway's first
    answer, to each check's first ``ok`` and to ready."""
    session, first_ok, answers = requests.Session(), {}, None
    while time.perf_counter() - since < timeout:
        try:
            if answers is None:
                if session.get(url + "/healthz", timeout=5).status_code == 200:
                    answers = time.perf_counter() - since
                else:
                    time.sleep(POLL)
                continue
            response = session.get(url + "/readyz", timeout=15)
        except requests.RequestException:
            time.sleep(POLL)
            continue
        now = time.perf_counter() - since
        checks = response.json().get("checks", {})
        for name, state in checks.items():
            if state == "ok":
                first_ok.setdefault(name, round(now, 2))
        if (checks.get(service) == "ok") if service else response.status_code == 200:
            return {"seconds": round(now, 2), "gateway_answers": round(answers, 2),
                    "first_ok": first_ok}
        time.sleep(POLL)
    raise RuntimeError(f"the network was not ready {timeout}s after it was started "
                       f"(checks first ok: {first_ok})")


def cpu_seconds(net, names=None) -> dict[str, float]:
    """CPU seconds (user + system) each running process of ``net`` has used, its children
    (the gateway's gunicorn workers) included."""
    used = {}
    for name, process in net.processes.items():
        if process.poll() is not None or (names and name.split(".")[0] not in names):
            continue
        total = 0.0
        for proc in tree(process.pid):
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        used[name] = round(total, 2)
    return used


def first_start(net, broker_users_s: float, prepared: dict[str, float], started: float) -> dict:
    """The whole cold start, ``net``'s processes started at ``started``: each step's seconds
    and their sum (``prepared``: ``Network.prepare``'s seconds per command)."""
    up = watch(net.url, started)
    steps = {"broker_users": round(broker_users_s, 2), "migrate": round(prepared["migrate"], 2),
             "broker_setup": round(prepared["broker-setup"], 2), "processes_to_ready": up["seconds"]}
    return {"seconds": round(sum(steps.values()), 2), "steps": steps,
            "processes": {"gateway_answers": up["gateway_answers"], "checks_first_ok": up["first_ok"],
                          "cpu_seconds_at_ready": cpu_seconds(net)},
            "load_average_1min": round(os.getloadavg()[0], 2)}  # the start itself in it


def restart(net, name: str) -> dict:
    """Stop one process kind of ``net`` (every replica: TERM, until it exited), start it again
    and wait until ``/readyz`` says it is ok (the gateway: until ``/readyz`` answers 200). The
    restart's seconds are the stop's and the start's to ready, without the pause between."""
    began = time.perf_counter()
    net.stop(name)
    stopped = time.perf_counter() - began
    # an answer the gateway remembered from before the stop must not count as the new start
    time.sleep(MAX_AGE + POLL)
    started = time.perf_counter()
    net.start(name)
    up = watch(net.url, started, service=None if name == "gateway" else name)
    figures = {"seconds": round(stopped + up["seconds"], 2), "stop_seconds": round(stopped, 2),
               "start_to_ready_seconds": up["seconds"], "cpu_seconds_at_ready": cpu_seconds(net, {name})}
    if name == "gateway":
        figures["gateway_answers"] = up["gateway_answers"]
    return figures
