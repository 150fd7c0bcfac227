"""The benchmark's table: each figure beside its baseline, the ratio, the target and whether it
was met; printed, and the machine it ran on."""

import os
import platform
import socket
from pathlib import Path


# issue 22's targets: reads against a constant endpoint; the whole network's memory
READ_TARGETS = {"availability": 0.6, "status": 0.5}
MEMORY_TARGET_MB = 300


def ratio(figure, baseline) -> float | None:
    """figure / baseline, rounded; None when either is missing."""
    if figure is None or baseline in (None, 0):
        return None
    return round(figure / baseline, 3)


def figures_table(r: dict) -> list[dict]:
    """One row per figure: value, baseline, ratio, target and whether it was met."""
    rows = []

    def row(name, figure, unit, baseline, baseline_name, target_text, met, ratio_value=None):
        rows.append({"figure": name, "value": figure, "unit": unit, "baseline": baseline,
                     "baseline_name": baseline_name,
                     "ratio": ratio_value if ratio_value is not None else ratio(figure, baseline),
                     "target": target_text, "met": met})

    i = r.get("intake")
    if i:
        g, b = i["gateway"], i["baseline"]
        rr = ratio(g["rps"], b["rps"])
        row("intake throughput (10 clients)", g["rps"], "req/s", b["rps"], "Flask+schema+SQLite insert",
            ">= 0.7x", rr is not None and rr >= 0.7 and g["errors"] == 0)
        rp = ratio(g["p99_ms"], b["p99_ms"])
        row("intake p99", g["p99_ms"], "ms", b["p99_ms"], "same baseline", "<= 2x",
            rp is not None and rp <= 2)
    pr = r.get("propagation")
    if pr:
        a, k = pr["admission_to_police_status"], pr["kombu_round_trip"]
        row("propagation p50 (admission -> police status)", a["p50_ms"], "ms", k["p50_ms"],
            "raw kombu round trip p50", "(informative)", None)
        rp = ratio(a["p99_ms"], k["p99_ms"])
        row("propagation p99 (admission -> police status)", a["p99_ms"], "ms", k["p99_ms"],
            "raw kombu round trip p99", "<= 20x", rp is not None and rp <= 20)
    rd = r.get("reads")
    if rd:
        c = rd["constant"]
        for name, least in READ_TARGETS.items():
            x = rd[name]
            rr = ratio(x["rps"], c["rps"])
            row(f"reads: {name} (10 clients)", x["rps"], "req/s", c["rps"], "Flask constant",
                f">= {least}x", rr is not None and rr >= least and x["errors"] == 0)
    m = r.get("memory")
    if m:
        base = m.get("baseline_app", {}).get("total_rss_mb")
        for when in ("idle", "after_load"):
            if when in m:
                total = m[when]["total_rss_mb"]
                row(f"memory RSS summed, {when.replace('_', ' ')} (all network processes)", total,
                    "MB", base, "baseline Flask app RSS", f"<= {MEMORY_TARGET_MB} MB",
                    total <= MEMORY_TARGET_MB)
                held = m[when].get("total_pss_mb")
                if held is not None:
                    row(f"memory PSS summed, {when.replace('_', ' ')} (each page once)", held, "MB",
                        base, "baseline Flask app RSS", f"<= {MEMORY_TARGET_MB} MB",
                        held <= MEMORY_TARGET_MB)
    si = r.get("signin")
    if si:
        m, q, d = si["gateway_memory"], si["quiet"], si["during"]
        row(f"sign-in attack ({si['attempts']} at once): gateway peak RSS", m["peak_rss_mb"], "MB",
            m["idle_rss_mb"], "gateway idle RSS", "<= 512 MB (pod limit)", m["peak_rss_mb"] <= 512)
        row("sign-in attack: /healthz p99", d["healthz_p99_ms"], "ms", q["healthz_p99_ms"],
            "same, no attack", "(informative)", None)
        row("sign-in attack: authenticated read p99", d["read_p99_ms"], "ms", q["read_p99_ms"],
            "same, no attack", "(informative)", None)
    cs = r.get("cold_start")
    if cs:
        base, first = cs["baseline_app_start_seconds"], cs["first"]
        row("cold start: broker users, migrate, broker setup, processes -> /readyz 200",
            first["seconds"], "s", base, "baseline Flask app start", "(informative)", None)
        for step, label in (("broker_users", "each process kind's broker user"),
                            ("migrate", "migrate (empty databases)"),
                            ("broker_setup", "broker setup (exchanges, queues)"),
                            ("processes_to_ready", "processes started -> /readyz 200")):
            row(f"cold start, step: {label}", first["steps"][step], "s", None, "-",
                "(informative)", None)
        for name, label in (("shelter", "shelter service, stop + start -> /readyz shelter ok"),
                            ("gateway", "gateway, stop + start -> /readyz 200")):
            if f"restart_{name}" in cs:
                row(f"restart: {label}", cs[f"restart_{name}"]["seconds"], "s", base,
                    "baseline Flask app start", "(informative)", None)
    gr = r.get("growth")
    if gr and len(gr) >= 2:
        small, large = sorted(gr, key=int)[0], sorted(gr, key=int)[-1]
        for key, label in (("status", "status read"), ("list_first_page", "list, first page"),
                           ("list_deep_page", "list, page mid-way (cursor)")):
            s, l = gr[small][key]["p50_ms"], gr[large][key]["p50_ms"]
            rr = ratio(l, s)
            scans = any(p["seq_scan"] for p in gr[large]["plans"].values())
            # a figure that timed refusals or failures says nothing about the reads
            failed = gr[small][key].get("errors", 0) + gr[large][key].get("errors", 0)
            row(f"growth: {label} p50 at {int(large):,}", l, "ms", s, f"same at {int(small):,}",
                "<= 1.5x" if not failed else f"<= 1.5x, 0 errors ({failed} answered >= 400)",
                rr is not None and rr <= 1.5 and not scans and not failed)
    d = r.get("day")
    for database in ("sqlite", "postgres"):
        figures = (d or {}).get(database)
        if not figures:
            continue
        waited = {n: f for n, f in figures["endpoints"].items() if f["waits"]}
        worst = max(waited, key=lambda n: waited[n]["p99_ms"], default=None)
        if worst is not None:
            row(f"day ({database}, 2 replicas): worst p99 a person waits on", waited[worst]["p99_ms"],
                "ms", None, worst, "<= 100 ms", waited[worst]["p99_ms"] <= 100)
        row(f"day ({database}, 2 replicas): endpoints a person waits on over 100 ms",
            sum(1 for f in waited.values() if f["p99_ms"] > 100), "", None, "-", "0",
            all(f["p99_ms"] <= 100 for f in waited.values()))
        row(f"day ({database}, 2 replicas): errors of {figures['sent']} requests", figures["errors"], "",
            None, "-", "0", figures["errors"] == 0)
    if r.get("cluster"):
        rows += cluster_rows(r["cluster"])
    return rows


PHASE_NAMES = {"before": "before", "node_killed": "node 1 killed", "node_back": "node 1 back",
               "leader_killed": "intake leader killed", "leader_back": "leader back"}


def cluster_rows(c: dict) -> list[dict]:
    """The cluster scenario's rows: per phase, submissions and decisions per second and their
    p99, against the phase before any kill; then whether everything happened exactly once."""
    rows = []
    before = c["phases"].get("before", {})
    for phase, figures in c["phases"].items():
        label = PHASE_NAMES.get(phase, phase)
        for kind, what in (("submit", "submissions"), ("decide", "decisions")):
            f, b = figures[kind], before.get(kind, {})
            rows.append({"figure": f"cluster, {label}: {what} (failed {f['failed']})",
                         "value": f["per_s"], "unit": "/s", "baseline": b.get("per_s"),
                         "baseline_name": "before", "ratio": ratio(f["per_s"], b.get("per_s")),
                         "target": "(informative)", "met": None})
            rows.append({"figure": f"cluster, {label}: {what} p99", "value": f["p99_ms"],
                         "unit": "ms", "baseline": b.get("p99_ms"), "baseline_name": "before",
                         "ratio": ratio(f["p99_ms"], b.get("p99_ms")), "target": "(informative)",
                         "met": None})
    rows.append({"figure": f"cluster: {c['accepted_submissions']} submissions and "
                           f"{c['accepted_decisions']} decisions accepted, each applied once",
                 "value": len(c["problems"]), "unit": "problems", "baseline": None,
                 "baseline_name": "-", "ratio": None, "target": "0", "met": not c["problems"]})
    return rows


def print_table(rows: list[dict], results: dict) -> None:
    """Print the rows as an aligned table, then the notes."""
    def fmt(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    header = ("figure", "value", "baseline", "ratio", "target", "met?")
    table = [(r["figure"], f"{fmt(r['value'])} {r['unit']}", f"{fmt(r['baseline'])} ({r['baseline_name']})",
              fmt(r["ratio"]), r["target"], {True: "yes", False: "NO", None: "-"}[r["met"]]) for r in rows]
    widths = [max(len(str(x[i])) for x in [header, *table]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w for w in widths)
    print()
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for t in table:
        print(line.format(*t))
    notes = results.get("notes", [])
    for note in notes:
        print(f"* {note}")


def machine() -> dict:
    """The machine the figures were taken on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil
        mem_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        mem_gb = None
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": mem_gb, "python": platform.python_version(),
            "host": socket.gethostname()}
