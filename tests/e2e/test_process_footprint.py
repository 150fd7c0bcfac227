"""What each process of a running network has loaded (its ``/proc/PID/maps``): a library a
process never uses is memory it holds for as long as it runs (issue 22's 300 MB for the whole
network; bench/README.md). The session network runs on SQLite."""

from pathlib import Path

from tests.e2e.conftest import SERVICES


def loaded(pid: int) -> str:
    """The paths of every file process ``pid`` has mapped, one per line."""
    return "\n".join(line.split(maxsplit=5)[-1] for line in
                     Path(f"/proc/{pid}/maps").read_text().splitlines() if "/" in line)


def test_a_service_on_sqlite_never_loads_psycopg2(network):
    for name in SERVICES:
        maps = loaded(network.processes[name].pid)
        assert "sqlalchemy" in maps, name  # the maps were read: its database library is there
        assert "psycopg2" not in maps, name


def test_the_gunicorn_master_holds_neither_sqlalchemy_nor_cryptography(network):
    """The master checks the gateway's settings in a child of its own (deploy/gunicorn.conf.py);
    its worker, which uses both, has them."""
    master = network.processes["gateway"].pid
    workers = [int(pid) for pid in
               Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    assert workers
    master_maps, worker_maps = loaded(master), loaded(workers[0])
    for library in ("sqlalchemy", "cryptography"):
        assert library in worker_maps
        assert library not in master_maps
