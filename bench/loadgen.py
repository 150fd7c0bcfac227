"""Load generators: wrk (C, epoll) when it is installed, else a small Python client.

Both run ``connections`` keep-alive connections against 127.0.0.1 for ``seconds`` (and the
Python one at most ``max_requests``), then stop by themselves, and return the same figures:
requests/s, p50/p99 latency, non-2xx answers, and the client's own CPU time per request. The
last one gives the client's ceiling (``1 / cpu per request``: what it could drive on one core)
so a reader can see that the figures are the server's, not the client's.
"""

import http.client
import json
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Load:
    """What to send: each request is (method, path, headers, body); ``requests`` rotate."""
    url: str                         # http://127.0.0.1:PORT
    requests: list[tuple[str, str, dict, bytes | None]] = field(default_factory=list)


def have_wrk() -> bool:
    """Whether wrk is on the PATH."""
    return shutil.which("wrk") is not None


def run(load: Load, *, seconds: float, connections: int, client: str = "auto",
        max_requests: int = 200_000) -> dict:
    """Run ``load`` for ``seconds`` over ``connections`` with wrk or the Python client."""
    if client == "auto":
        client = "wrk" if have_wrk() else "python"
    if client == "wrk":
        return run_wrk(load, seconds=seconds, connections=connections)
    return run_python(load, seconds=seconds, connections=connections, max_requests=max_requests)


# --- wrk ------------------------------------------------------------------------------------

_LUA = r"""
local reqs = {}
local n, i = 0, 0
%(requests)s
request = function()
  i = i %% n + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  io.write(string.format(
    '\nBENCH-JSON {"requests":%%d,"duration_us":%%d,"status_errors":%%d,"socket_errors":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d,"mean_us":%%.1f}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def _lua_script(load: Load) -> str:
    lines = []
    for method, path, headers, body in load.requests:
        h = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
        b = _lua_string(body.decode()) if body else "nil"
        lines.append(f"n = n + 1; reqs[n] = wrk.format({_lua_string(method)}, "
                     f"{_lua_string(path)}, {{{h}}}, {b})")
    return _LUA % {"requests": "\n".join(lines)}


def run_wrk(load: Load, *, seconds: float, connections: int) -> dict:
    """The load through wrk (a Lua script cycles the requests)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(_lua_script(load))
        script = fh.name
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", script, load.url],
            capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    finally:
        os.unlink(script)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(l for l in out.splitlines() if l.startswith("BENCH-JSON "))
    raw = json.loads(line.split(" ", 1)[1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return _figures("wrk", raw["requests"], raw["duration_us"] / 1e6, raw["p50_us"] / 1e3,
                    raw["p99_us"] / 1e3, raw["status_errors"] + raw["socket_errors"], cpu)


# --- Python ---------------------------------------------------------------------------------

def run_python(load: Load, *, seconds: float, connections: int, max_requests: int) -> dict:
    """The load through Python threads, one HTTP connection each (the fallback client)."""
    parsed = urllib.parse.urlparse(load.url)
    deadline = time.perf_counter() + seconds
    budget = threading.Semaphore(max_requests)
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        i = slot
        while time.perf_counter() < deadline and budget.acquire(blocking=False):
            method, path, headers, body = load.requests[i % len(load.requests)]
            i += connections
            t = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[slot] += 1
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                conn.close()
                conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
                continue
            latencies[slot].append(time.perf_counter() - t)
        conn.close()

    cpu0, t0 = time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(seconds + 30)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    samples = sorted(x for per in latencies for x in per)
    return _figures("python", len(samples), elapsed, percentile(samples, 50) * 1e3,
                    percentile(samples, 99) * 1e3, sum(errors), cpu)


def percentile(sorted_values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of sorted values."""
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def _figures(client: str, requests: int, seconds: float, p50_ms: float, p99_ms: float,
             errors: int, cpu_s: float) -> dict:
    rps = requests / seconds if seconds else 0.0
    cpu_per_request_us = cpu_s / requests * 1e6 if requests else float("nan")
    return {"client": client, "requests": requests, "seconds": round(seconds, 2),
            "rps": round(rps, 1), "p50_ms": round(p50_ms, 2), "p99_ms": round(p99_ms, 2),
            "errors": errors, "client_cpu_s": round(cpu_s, 2),
            "client_cpu_per_request_us": round(cpu_per_request_us, 1),
            "client_ceiling_rps": round(1e6 / cpu_per_request_us) if requests and cpu_s else None}


# --- sequential timing (costs of single reads) ---------------------------------------------------

def sequential(url: str, requests: list[tuple[str, str, dict, bytes | None]], *, count: int,
               warmup: int = 20) -> dict:
    """One keep-alive connection, one request at a time: the cost of each request (ms)."""
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=15)
    samples, failures = [], 0
    try:
        for i in range(warmup + count):
            method, path, headers, body = requests[i % len(requests)]
            t = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - t
            if response.status >= 400:
                failures += 1
            if i >= warmup:
                samples.append(elapsed)
    finally:
        conn.close()
    samples.sort()
    return {"count": len(samples), "errors": failures,
            "p50_ms": round(percentile(samples, 50) * 1e3, 2),
            "p99_ms": round(percentile(samples, 99) * 1e3, 2),
            "mean_ms": round(sum(samples) / len(samples) * 1e3, 2)}
