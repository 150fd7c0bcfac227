"""The benchmark, run with tiny sizes so that it cannot rot: it starts its own network on a
fresh vhost (and PostgreSQL database), runs every scenario, stops everything and writes its
results. Only the shape of the results is checked, never a figure: no timed assertions."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from refnet.harness.postgres import ADMIN_URL
from refnet.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def postgres_answers() -> bool:
    try:
        engine = create_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.mark.parametrize("client", ["python"])
def test_the_benchmark_runs_end_to_end_with_tiny_sizes(tmp_path, client):
    out = tmp_path / "results.json"
    # the realistic day on SQLite only: its PostgreSQL network is the same code with another URL,
    # and a second network of two replicas each would double this test's time
    command = [sys.executable, "-m", "bench", "--size", "tiny", "--client", client, "--out", str(out),
               "--day-on", "sqlite"]
    with_growth = postgres_answers()
    if not with_growth:
        command += ["--skip", "growth"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]

    results = json.loads(out.read_text())
    assert results["machine"]["nproc"] >= 1 and results["machine"]["cpu"]
    figures = {row["figure"]: row for row in results["table"]}
    expected = ["intake throughput (10 clients)", "intake p99", "propagation p99 (admission -> police status)",
                "reads: availability (10 clients)", "reads: status (10 clients)",
                "memory RSS summed, idle (all network processes)",
                "memory RSS summed, after load (all network processes)",
                "memory PSS summed, idle (each page once)", "memory PSS summed, after load (each page once)"]
    if with_growth:
        expected += [name for name in figures if name.startswith("growth: ")]
        assert len([n for n in figures if n.startswith("growth: ")]) == 3
        for size, reads in results["growth"].items():  # timed answers, never refusals
            for key in ("status", "list_first_page", "list_deep_page"):
                assert reads[key]["errors"] == 0 and reads[key]["count"] > 0, (size, key, reads[key])
    attack = [name for name in figures if name.startswith("sign-in attack")]
    assert len(attack) == 3   # the gateway's peak memory, /healthz p99 and a read's p99
    expected += attack
    answers = results["signin"]["answers"]
    assert sum(answers.values()) == results["signin"]["attempts"] and set(answers) <= {"200", "429"}
    for name in expected:
        row = figures[name]
        assert row["value"] is not None and row["baseline"] is not None, row
        assert row["ratio"] is not None and row["target"], row
    # the cold start, its steps and the two restarts: present and positive, never their size
    cold = results["cold_start"]
    steps = cold["first"]["steps"]
    assert set(steps) == {"broker_users", "migrate", "broker_setup", "processes_to_ready"}, steps
    assert all(seconds > 0 for seconds in steps.values()), steps
    assert {*SERVICES, "gateway"} <= set(cold["first"]["processes"]["cpu_seconds_at_ready"])
    for name in ("shelter", "gateway"):
        restart = cold[f"restart_{name}"]
        assert restart["stop_seconds"] > 0 and restart["start_to_ready_seconds"] > 0, restart
        assert name in restart["cpu_seconds_at_ready"], restart
    cold_rows = [name for name in figures if name.startswith(("cold start", "restart: "))]
    assert len(cold_rows) == 7, cold_rows  # the whole, its four steps, the two restarts
    for name in cold_rows:
        assert figures[name]["value"] > 0 and name in run.stdout, figures[name]
    assert results["intake"]["gateway"]["requests"] > 0
    assert "drained" in results["intake"]["drain"]
    assert results["memory"]["idle"]["processes"], "no network process was measured"
    # the figure is the whole network's: every service (notify too) and the gateway
    measured = {p["process"] for p in results["memory"]["idle"]["processes"]}
    assert {*SERVICES, "gateway"} <= measured, measured
    # the realistic day: every operation of the model measured or skipped
    for database in ["sqlite"]:
        day = results["day"][database]
        assert day["replicas"] == 2 and day["sent"] > 0, day
        assert day["sent"] + sum(day["skipped"].values()) == day["planned"], day
        for name, endpoint in day["endpoints"].items():
            assert {"p50_ms", "p99_ms", "errors", "waits", "met"} <= set(endpoint), name
        assert day["load_average"]["before"] and day["load_average"]["after"]
        day_rows = [n for n in figures if n.startswith(f"day ({database}")]
        assert len(day_rows) == 3, day_rows
        for name in day_rows:  # no baseline: the target is absolute (p99 <= 100 ms, 0 errors)
            assert figures[name]["value"] is not None and figures[name]["target"], figures[name]
            assert name in run.stdout
        assert f"A realistic day on {database}" in run.stdout
    # the printed table carries every figure
    for name in expected:
        assert name in run.stdout
    assert "intake throughput" in run.stdout and "ratio" in run.stdout
