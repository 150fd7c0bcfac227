"""The sign-in attack: many bogus sign-ins at once, each from its own address, while a prober
reads ``/healthz`` and an authenticated API read one after another and a sampler watches the
gateway's memory (docs/decisions/0032).

The network runs with ``REFNET_TRUSTED_PROXIES=1`` and each attempt names a different client in
X-Forwarded-For, as a botnet behind the proxy would: the per-client buckets then let every
attempt through, and what holds is the global bucket, the delays and the bounded password
checks, the worst case for the gateway's memory.
"""

import re
import statistics
import threading
import time

import requests

from bench import memory

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _bogus(url: str, i: int) -> tuple[int, float]:
    """One bogus sign-in (the page, then the form): (status, seconds the form took)."""
    forwarded = {"X-Forwarded-For": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"}
    try:
        page = requests.get(f"{url}/sign-in", headers=forwarded, timeout=60)
        token = CSRF.search(page.text).group(1)
        started = time.perf_counter()
        answer = requests.post(f"{url}/sign-in", allow_redirects=False, timeout=60, headers=forwarded,
                               cookies={"refnet_presession": page.cookies["refnet_presession"]},
                               data={"username": f"nobody.{i}", "password": "a bogus password",
                                     "csrf_token": token})
        return answer.status_code, time.perf_counter() - started
    except (requests.RequestException, AttributeError, KeyError):
        return 0, 0.0


def _p99(samples: list[float]) -> float | None:
    if len(samples) < 2:
        return round(samples[0] * 1000, 2) if samples else None
    return round(statistics.quantiles(samples, n=100)[98] * 1000, 2)


def _probe(url: str, path: str, headers: dict, stop: threading.Event, out: list[float]) -> None:
    with requests.Session() as session:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                session.get(f"{url}{path}", headers=headers, timeout=30).raise_for_status()
                out.append(time.perf_counter() - started)
            except requests.RequestException:
                out.append(30.0)


def _probes(url: str, read_headers: dict, seconds: float) -> dict:
    """p99 of /healthz and of an authenticated read, probed one after another for ``seconds``."""
    stop, health, read = threading.Event(), [], []
    threads = [threading.Thread(target=_probe, args=(url, "/healthz", {}, stop, health)),
               threading.Thread(target=_probe, args=(url, "/api/v1/shelters/availability",
                                                     read_headers, stop, read))]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return {"healthz_p99_ms": _p99(health), "read_p99_ms": _p99(read),
            "healthz_samples": len(health), "read_samples": len(read)}


def run(url: str, gateway_pid: int, read_headers: dict, attempts: int, log) -> dict:
    """``attempts`` bogus sign-ins at once; the probes' p99 before and during, the gateway's
    memory idle and at its peak, and how the attempts were answered."""
    quiet = _probes(url, read_headers, 3.0)
    idle = memory.measure({"gateway": gateway_pid})
    peak = {"total_rss_mb": idle["total_rss_mb"], "total_pss_mb": idle["total_pss_mb"]}
    stop, health, read, answers = threading.Event(), [], [], []

    def sample():
        while not stop.is_set():
            now = memory.measure({"gateway": gateway_pid})
            peak["total_rss_mb"] = max(peak["total_rss_mb"], now["total_rss_mb"])
            if now["total_pss_mb"] is not None:
                peak["total_pss_mb"] = max(peak["total_pss_mb"] or 0, now["total_pss_mb"])
            time.sleep(0.1)
    watchers = [threading.Thread(target=sample),
                threading.Thread(target=_probe, args=(url, "/healthz", {}, stop, health)),
                threading.Thread(target=_probe, args=(url, "/api/v1/shelters/availability",
                                                      read_headers, stop, read))]
    for t in watchers:
        t.start()
    gate = threading.Barrier(attempts)

    def attack(i):
        try:
            gate.wait(timeout=120)
        except threading.BrokenBarrierError:
            pass
        answers.append(_bogus(url, i))
    started = time.perf_counter()
    attackers = [threading.Thread(target=attack, args=(i,)) for i in range(attempts)]
    for t in attackers:
        t.start()
    for t in attackers:
        t.join()
    seconds = time.perf_counter() - started
    stop.set()
    for t in watchers:
        t.join()
    codes: dict[str, int] = {}
    for status, _ in answers:
        codes[str(status)] = codes.get(str(status), 0) + 1
    result = {
        "attempts": attempts, "seconds": round(seconds, 2), "answers": codes,
        "form_p99_ms": _p99([s for status, s in answers if status]),
        "quiet": quiet,
        "during": {"healthz_p99_ms": _p99(health), "read_p99_ms": _p99(read),
                   "healthz_samples": len(health), "read_samples": len(read)},
        "gateway_memory": {"idle_rss_mb": idle["total_rss_mb"], "idle_pss_mb": idle["total_pss_mb"],
                           "peak_rss_mb": peak["total_rss_mb"], "peak_pss_mb": peak["total_pss_mb"]},
    }
    log(f"sign-in attack: {attempts} bogus sign-ins in {result['seconds']} s, answers {codes}; "
        f"gateway RSS {idle['total_rss_mb']} -> peak {peak['total_rss_mb']} MB; "
        f"/healthz p99 {quiet['healthz_p99_ms']} -> {result['during']['healthz_p99_ms']} ms; "
        f"read p99 {quiet['read_p99_ms']} -> {result['during']['read_p99_ms']} ms")
    return result
