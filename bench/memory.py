"""Resident memory of process trees (psutil): RSS, and PSS where the kernel gives it.

RSS counts a shared page (the Python binary, libssl, a page a forked gunicorn worker still
shares with its master) once in every process that maps it, so a sum of RSS overstates what
the machine spends; PSS splits each shared page between the processes that share it, so a sum
of PSS is what the processes really take together. Both are reported; the target is judged on
the sum of RSS, the stricter one.
"""

import psutil


def tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (empty when it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def measure(named_pids: dict[str, int]) -> dict:
    """{name: pid} -> per process RSS/PSS (MB) and totals, each process counted once."""
    seen, processes = set(), []
    for name, pid in named_pids.items():
        for proc in tree(pid):
            if proc.pid in seen:
                continue
            seen.add(proc.pid)
            try:
                info = proc.memory_full_info()
                rss, pss = info.rss, getattr(info, "pss", None)
            except psutil.AccessDenied:
                rss, pss = proc.memory_info().rss, None
            except psutil.NoSuchProcess:
                continue
            label = name if proc.pid == pid else f"{name} (child {proc.pid})"
            processes.append({"process": label, "pid": proc.pid, "rss_mb": round(rss / 2**20, 1),
                              "pss_mb": round(pss / 2**20, 1) if pss is not None else None})
    total_rss = sum(p["rss_mb"] for p in processes)
    psses = [p["pss_mb"] for p in processes]
    total_pss = sum(psses) if psses and None not in psses else None
    return {"processes": processes, "total_rss_mb": round(total_rss, 1),
            "total_pss_mb": round(total_pss, 1) if total_pss is not None else None}
