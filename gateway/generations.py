"""Generation numbers every worker of every gateway on one gateway database shares: a change
made through one worker bumps one, and every other worker compares its copy's with the current
one at its next request (availability, decision 0026; status answers, 0048; revocations, 0060).

Three kinds, picked by ``for_database``:

* ``FileGeneration``: a gateway database that is a SQLite file (so every gateway using it is on
  this host). The counters live in a small file beside it, mapped into each worker's memory: a
  read is a load from shared memory, with no system call and no lock, so a worker thread never
  gives up the GIL to read it; a bump increments it under an exclusive ``flock``. Reading a row
  of the database instead cost each request a dozen thread switches (bench/README.md).
* ``SharedGeneration``: a row of the gateway database's ``cache_generations`` table, read with
  one prepared statement: PostgreSQL, whose gateways may be on several hosts.
* ``LocalGeneration``: one process (unit tests, an in-memory database).

A bump follows the commit of the change it announces, and a reader reads the generation before
the data it keeps under it: a reader that sees the new number reads what was committed before it.
"""

import fcntl
import mmap
import os
import struct

from sqlalchemy import BigInteger, Column, MetaData, String, Table
from sqlalchemy.engine import make_url

from services.common.db import Database, is_sqlite

metadata = MetaData()
generations = Table(
    "cache_generations", metadata,
    Column("name", String(50), primary_key=True),
    Column("generation", BigInteger, nullable=False),
)

# Each generation's place in the file: eight bytes, little-endian, unsigned. Additive only: a
# worker of the previous release still reads its own slots where they were.
SLOTS = {"availability": 0, "status": 8, "revocations": 16}
FILE_SIZE = 4096
_COUNTER = struct.Struct("<Q")


class LocalGeneration:
    """A generation number for one process (unit tests, a single worker)."""

    def __init__(self):
        self.value = 0

    def current(self) -> int:
        return self.value

    def bump(self) -> None:
        self.value += 1


class SharedGeneration:
    """A generation number in the gateway's database (``name``: availability's, the status
    copy's or the revocations'), read with one prepared statement."""

    def __init__(self, url: str, name: str = "availability"):
        self.db = Database.for_url(url)
        self.db.ensure_tables(metadata)  # ``refnet migrate`` does it before start-up
        self.name = name

    def current(self) -> int:
        row = self.db.fetch_one("SELECT generation FROM cache_generations WHERE name = ?",
                                (self.name,))
        return row[0] if row else 0

    def bump(self) -> None:
        with self.db.write() as s:
            updated = s.execute(generations.update().where(generations.c.name == self.name)
                                .values(generation=generations.c.generation + 1)).rowcount
            if not updated:
                s.execute(generations.insert().values(name=self.name, generation=1))


class FileGeneration:
    """A generation number in a file mapped into memory, shared by every process on this host
    that opens the same file. Created (zeros) when missing; a file replaced while a process
    has it mapped is not seen by that process (delete it only with the gateways stopped)."""

    def __init__(self, path: str, name: str):
        self.path, self.name, self.offset = path, name, SLOTS[name]
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < FILE_SIZE:
                os.ftruncate(fd, FILE_SIZE)  # zeros; a second process doing it too changes nothing
            self._map = mmap.mmap(fd, FILE_SIZE)
        finally:
            os.close(fd)  # the mapping stays

    def current(self) -> int:
        # one aligned 8-byte load; a reader that starts after a bump returned sees the new value
        return _COUNTER.unpack_from(self._map, self.offset)[0]

    def bump(self) -> None:
        # a fresh descriptor per bump: flock locks belong to an open file, and a descriptor
        # inherited across gunicorn's fork would be one lock shared by parent and child
        with open(self.path, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            _COUNTER.pack_into(self._map, self.offset, self.current() + 1)


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    return None if database in (None, "", ":memory:") else os.path.abspath(database)


def file_generation(url: str, name: str) -> FileGeneration | None:
    """The generation ``name`` in the file beside the SQLite file at ``url``; None for another
    database or an in-memory one."""
    path = sqlite_file(url)
    return FileGeneration(f"{path}.generations", name) if path is not None else None


def for_database(url: str, name: str):
    """The generation ``name`` of the gateways sharing the database at ``url``: beside a SQLite
    file, in that database otherwise, in this process for an in-memory one."""
    in_file = file_generation(url, name)
    if in_file is not None:
        return in_file
    if is_sqlite(url):
        return LocalGeneration()
    return SharedGeneration(url, name)
