"""Run one test layer as several pytest processes at once, each over a share of its files.

For the integration layer, which cannot use pytest-xdist: it monkey-patches with eventlet when
its conftest is imported (nameko needs that), and in an xdist worker execnet's I/O thread is
already running by then, so the worker hangs. Separate ``pytest`` processes have no such
thread. The layer mostly waits (on the broker, on PostgreSQL), so two processes on two cores
take little more than half the time of one.

    python -m tests.parts --parts 2 tests/integration -- -q --suppress-nameko-eventlet-notification

Files are shared out longest first, each to the part with the least so far (``SECONDS``: the
time each file took alone; only the balance depends on it, never a result; a file not named
takes the median). Each part runs with its own ``--basetemp``; its output is printed whole when
it ends, and the exit status is the first failing part's.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# tests/integration, seconds per file alone (``--durations=0``, summed per file), 2026-12-06
SECONDS = {
    "test_services_flow.py": 62, "test_gateway_rpc.py": 37, "test_care_audit.py": 20,
    "test_agency_directory.py": 19, "test_referral_names.py": 17, "test_notify_delivery.py": 15,
    "test_legal_consent.py": 14, "test_shelter_transfer_flow.py": 12, "test_shelter_scope.py": 12,
    "test_service_skeleton.py": 12, "test_notify_storage.py": 12, "test_relay_broker.py": 11,
    "test_care_storage.py": 10, "test_retention_storage.py": 9, "test_outbox.py": 9,
    "test_notify_service.py": 9, "test_gateway_accounts.py": 9, "test_audit_storage.py": 9,
    "test_shelter_capacity_storage.py": 7, "test_referral_storage.py": 7, "test_migrations.py": 7,
}


def shares(files: list[Path], parts: int) -> list[list[Path]]:
    """``files`` in ``parts`` lists of about equal time (longest first to the lightest)."""
    known = [SECONDS[f.name] for f in files if f.name in SECONDS]
    default = statistics.median(known) if known else 1
    weight = {f: SECONDS.get(f.name, default) for f in files}
    out: list[list[Path]] = [[] for _ in range(parts)]
    totals = [0.0] * parts
    for f in sorted(files, key=lambda f: (-weight[f], f.name)):
        lightest = totals.index(min(totals))
        out[lightest].append(f)
        totals[lightest] += weight[f]
    return [sorted(share) for share in out if share]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    pytest_args = args[args.index("--") + 1:] if "--" in args else []
    parser = argparse.ArgumentParser(prog="python -m tests.parts")
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("folder", type=Path)
    options = parser.parse_args(args[:args.index("--")] if "--" in args else args)
    files = sorted(options.folder.glob("test_*.py"))
    if options.parts <= 1:
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args, str(options.folder)])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="refnet-parts-") as scratch:
        running = []
        for n, share in enumerate(shares(files, options.parts), 1):
            log = open(Path(scratch) / f"part-{n}.log", "w+")
            command = [sys.executable, "-m", "pytest", *pytest_args,
                       f"--basetemp={Path(scratch) / f'tmp-{n}'}", *map(str, share)]
            running.append((n, share, log, subprocess.Popen(command, stdout=log,
                                                           stderr=subprocess.STDOUT)))
        status = 0
        for n, share, log, process in running:
            code = process.wait()
            status = status or code
            log.seek(0)
            print(f"--- part {n} of {len(running)}: {len(share)} files, exit {code}", flush=True)
            sys.stdout.write(log.read())
            log.close()
    print(f"--- {len(running)} parts in {time.monotonic() - started:.0f} s, exit {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
