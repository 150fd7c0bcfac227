"""Database access for a service: an engine per URL, short read and write transactions.

SQLite (the default) gets WAL mode, a busy timeout, and ``BEGIN IMMEDIATE`` for write
transactions, so two writers never both read the same last row and then both write (SQLAlchemy
drops ``FOR UPDATE`` on SQLite). Writes inside one process are serialised with a lock, which is
green under eventlet: a blocked SQLite busy-wait would otherwise freeze the whole hub, since
SQLite's wait does not yield to other green threads. Never hold a write transaction across an RPC or a publish.
"""

import functools
import os
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from sqlalchemy import MetaData, Table, create_engine, event, insert, inspect
from sqlalchemy.engine import Connection, Engine


def is_sqlite(url: str) -> bool:
    """Whether a database URL names SQLite."""
    return url.startswith("sqlite")


def make_engine(url: str) -> Engine:
    """An engine configured for this project's rules on SQLite or PostgreSQL. A failed
    statement's error never carries its bound values (``hide_parameters``): the error reaches
    the logs, and the values may be a person's."""
    if not is_sqlite(url):
        _green_psycopg_if_green()
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                             hide_parameters=True)
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False},
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        _set_up_sqlite(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("refnet_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _green_psycopg_if_green() -> None:
    """In a process eventlet has patched (a service), make psycopg2 wait through the hub, so a
    query in flight lets the other green threads run. The launcher patches everything else at
    start but leaves psycopg2 to this, the first PostgreSQL engine: importing it costs a
    service on SQLite about 6 MB (its own copies of libpq, libssl and Kerberos)."""
    patcher = sys.modules.get("eventlet.patcher")
    if patcher is not None and patcher.is_monkey_patched("socket"):
        from eventlet.support.psycopg2_patcher import make_psycopg_green
        make_psycopg_green()


def _set_up_sqlite(dbapi_conn) -> None:
    """Every SQLite connection: autocommit at the driver (BEGIN is ours to emit), WAL, a busy
    timeout, foreign keys."""
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@functools.lru_cache(maxsize=None)
def insert_into(table: Table):
    """``INSERT INTO table``, built once, its values given as parameters at each execution: a
    statement built at every call costs four times its execution on SQLite (SQLAlchemy's
    construction and cache key), and the outbox and audit inserts run on every write."""
    return insert(table)


class WriteTransaction:
    """A write transaction on a plain Core connection, as ``Database.write()`` gives it: use
    cases only ``execute`` Core statements, and an ORM session around them cost several times
    the statement (bench/README.md). ``info`` lives for this transaction only (the outbox's
    hand-over)."""

    __slots__ = ("connection", "info")

    def __init__(self, connection: Connection):
        self.connection = connection
        self.info: dict = {}

    def execute(self, statement, parameters=None):
        """Run a statement (a list of parameter dicts: executemany) in this transaction."""
        return self.connection.execute(statement, parameters)

    def get_bind(self) -> Connection:
        """The connection (its ``dialect`` says which database this is)."""
        return self.connection

    def begin_nested(self):
        """A savepoint: a context manager that rolls back to it if its block raises."""
        return self.connection.begin_nested()


class Database:
    """A service's database: ``read()`` gives a connection and ``write()`` a
    ``WriteTransaction``, each in a transaction."""

    _instances: dict[str, "Database"] = {}
    _instances_lock = threading.Lock()

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sqlite = is_sqlite(url)
        self._write_engine = self.engine.execution_options(refnet_write=True)
        self._write_lock = threading.RLock() if self.sqlite else None
        self._after_commit: list[Callable[[dict], None]] = []
        self._hand_over: Callable[[], Any] | None = None
        self._lookups = threading.local()  # each thread's connection for ``fetch_one``

    @classmethod
    def for_url(cls, url: str) -> "Database":
        """One shared Database per URL in a process (the relay and the entrypoints share it)."""
        with cls._instances_lock:
            if url not in cls._instances:
                cls._instances[url] = cls(url)
            return cls._instances[url]

    def on_commit(self, callback: Callable[[dict], None],
                  hand_over: Callable[[], Any] | None = None) -> None:
        """Call ``callback(transaction.info)`` after a committed write transaction that queued
        events (``WriteTransaction.info["events_queued"]``, set by the outbox): it hands the rows to the
        relay and wakes it. ``hand_over``, asked as each write transaction begins, gives the
        lease (a ``timedelta``) under which the outbox claims its rows for that relay at insert,
        or None (the relay then finds them by polling; ``services.common.relay``)."""
        self._after_commit.append(callback)
        if hand_over is not None:
            self._hand_over = hand_over

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction on a plain Core connection: reads only ``execute`` statements, and
        an ORM session around them cost four times the query on SQLite (bench/README.md)."""
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[WriteTransaction]:
        """A write transaction; commits on success, rolls back on any exception."""
        if self._write_lock is not None:
            self._write_lock.acquire()
        try:
            with self._write_engine.connect() as connection, connection.begin():
                transaction = WriteTransaction(connection)
                lease = self._hand_over() if self._hand_over is not None else None
                if lease is not None:
                    transaction.info["outbox_hand_over"] = lease
                    transaction.info["outbox_for"] = self._hand_over  # whose lease it is
                yield transaction
            queued = transaction.info.get("events_queued", False)
        finally:
            if self._write_lock is not None:
                self._write_lock.release()
        if queued:
            for callback in self._after_commit:
                callback(transaction.info)

    def ensure_tables(self, metadata: MetaData) -> None:
        """Create ``metadata``'s tables that are missing, for tables owned outside alembic (the
        gateway's). In a write transaction (SQLite: BEGIN IMMEDIATE, which waits for the lock),
        so processes starting together do not trip over each other's CREATE."""
        with self.engine.connect() as c:
            if set(metadata.tables) <= set(inspect(c).get_table_names()):
                return
        with self.write() as s:
            metadata.create_all(s.connection, checkfirst=True)

    def fetch_one(self, sql: str, params: tuple) -> tuple | None:
        """One row of a plain SQL SELECT written with ``?`` placeholders, on a DBAPI connection
        this thread keeps for such lookups (autocommit: each statement sees what is committed,
        and no transaction stays open): no SQLAlchemy compilation, no pool checkout. For lookups
        on every request (ten times cheaper than the Core version). A kept connection that
        fails (the database restarted) is dropped and the lookup tried once on a new one."""
        if self.engine.dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        if self.sqlite and self.engine.url.database in (None, "", ":memory:"):
            connection = self.engine.raw_connection()  # a memory database lives in the pool's
            try:
                return _fetch_one(connection, sql, params)
            finally:
                connection.close()
        kept = getattr(self._lookups, "connection", None)
        if kept is not None and kept[0] == os.getpid():
            try:
                return _fetch_one(kept[1], sql, params)
            except Exception:  # noqa: BLE001 - a broken connection: a new one, tried once
                self._drop_lookup_connection()
        connection = self._lookup_connection()
        self._lookups.connection = (os.getpid(), connection)
        return _fetch_one(connection, sql, params)

    def _lookup_connection(self):
        """A DBAPI connection outside the pool, in autocommit, set up as the engine's are."""
        dialect = self.engine.dialect
        cargs, cparams = dialect.create_connect_args(self.engine.url)
        connection = dialect.connect(*cargs, **cparams)
        if self.sqlite:
            _set_up_sqlite(connection)
        else:
            connection.autocommit = True
        return connection

    def _drop_lookup_connection(self) -> None:
        kept = getattr(self._lookups, "connection", None)
        self._lookups.connection = None
        if kept is not None:
            try:
                kept[1].close()
            except Exception:  # noqa: BLE001 - it was broken already
                pass

    def dispose(self) -> None:
        """Close every pooled connection of the engine (and this thread's lookup connection)."""
        self._drop_lookup_connection()
        self.engine.dispose()


def _fetch_one(connection, sql: str, params: tuple) -> tuple | None:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchone()
    finally:
        cursor.close()
