"""The cluster scenario's arithmetic (``bench/cluster.py``): figures per phase of the run, and
whether every accepted submission and decision took effect exactly once. No I/O here."""

from dataclasses import dataclass

from bench.loadgen import percentile


@dataclass(frozen=True)
class Sample:
    """One HTTP request of the load: when it was sent (``time.monotonic``), how long its answer
    took, whether it succeeded (2xx), its kind (``submit``, ``decide``) and the answer's status
    (None: no answer)."""
    at: float
    seconds: float
    ok: bool
    kind: str
    status: int | None = None


def phase_figures(samples: list[Sample], phases: list[tuple[str, float, float]],
                  kinds: tuple[str, ...] = ("submit", "decide")) -> dict:
    """For each phase ``(name, start, end)`` and kind: requests answered 2xx per second, the
    failed ones (and how: by status), and p50/p99 latency (ms) of every request sent within
    the phase."""
    figures = {}
    for name, start, end in phases:
        within = [s for s in samples if start <= s.at < end]
        span = max(end - start, 1e-9)
        per_kind = {}
        for kind in kinds:
            mine = [s for s in within if s.kind == kind]
            latencies = sorted(s.seconds for s in mine)
            ok = sum(1 for s in mine if s.ok)
            failed_by: dict[str, int] = {}
            for s in mine:
                if not s.ok:
                    key = str(s.status) if s.status is not None else "no answer"
                    failed_by[key] = failed_by.get(key, 0) + 1
            per_kind[kind] = {
                "ok": ok, "failed": len(mine) - ok, "failed_by": failed_by, "per_s": round(ok / span, 1),
                "p50_ms": round(percentile(latencies, 50) * 1e3, 1) if latencies else None,
                "p99_ms": round(percentile(latencies, 99) * 1e3, 1) if latencies else None,
            }
        figures[name] = {"seconds": round(span, 1), **per_kind}
    return figures


def exactly_once(accepted: set[str], decided: set[str], referrals: dict[str, int],
                 timeline: dict[tuple[str, str], int], decided_status: str = "bed_held") -> list[str]:
    """What went wrong, one line each (empty: nothing). ``accepted``: references the gateway
    answered 2xx to; ``decided``: references whose decision it answered 2xx to; ``referrals``:
    rows per reference in the referral service; ``timeline``: entries per (reference, status)."""
    problems = []
    lost = sorted(accepted - set(referrals))
    if lost:
        problems.append(f"{len(lost)} accepted submissions missing from the referral service: "
                        f"{', '.join(lost[:5])}")
    twice = sorted(ref for ref, n in referrals.items() if n > 1)
    if twice:
        problems.append(f"{len(twice)} referrals recorded more than once: {', '.join(twice[:5])}")
    repeated = sorted(f"{ref} {status} x{n}" for (ref, status), n in timeline.items() if n > 1)
    if repeated:
        problems.append(f"{len(repeated)} timeline entries applied more than once: "
                        f"{', '.join(repeated[:5])}")
    unapplied = sorted(ref for ref in decided if timeline.get((ref, decided_status), 0) == 0)
    if unapplied:
        problems.append(f"{len(unapplied)} accepted decisions never reached the referral's "
                        f"timeline: {', '.join(unapplied[:5])}")
    return problems
