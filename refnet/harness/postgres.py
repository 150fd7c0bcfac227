"""A fresh PostgreSQL database per use, dropped afterwards; and the superuser's hand for a
deployed configuration's fixed databases and roles (``refnet.harness.deployed``)."""

import atexit
import functools
import threading
import uuid

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from .settings import VALUES

ADMIN_URL = VALUES.test_postgres_url


# Databases this process made: a dropped one is emptied and kept for the next create (PostgreSQL
# 15 makes each CREATE and DROP DATABASE wait for a checkpoint, about 0.2 s on a quiet disk and
# seconds on a busy one; emptying and renaming waits for none). Dropped for good at exit.
_lock = threading.Lock()
_made: set[str] = set()   # current names of the databases this process made
_free: list[str] = []     # of those, the emptied ones ready to be handed out again
_EMPTY = """
DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')
           AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""


def create_database(prefix: str = "refnet_test") -> str:
    """An empty database of a new name; its URL. One this process emptied before is renamed
    when there is one, else one is created."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _lock:
        free = _free.pop() if _free else None
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if free is not None:
                try:
                    conn.execute(text(f'ALTER DATABASE "{free}" RENAME TO "{name}"'))
                except DBAPIError:  # someone connected to it meanwhile: leave it for the exit
                    free = None
            if free is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    with _lock:
        _made.discard(free)
        _made.add(name)
    _drop_made_at_exit()
    return admin_url_of(name)


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database`, closing its connections first. One
    this process made is emptied instead (every schema dropped, ``public`` made anew as
    PostgreSQL makes it) and kept for the next :func:`create_database` under a new name, so
    nothing that still holds its URL can reach it again."""
    name = url.rsplit("/", 1)[1]
    with _lock:
        ours = name in _made
    if ours:
        try:
            execute_as_admin([_TERMINATE.format(name=name)])
            engine = create_engine(admin_url_of(name), isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as conn, conn.connection.cursor() as cursor:
                    cursor.execute(_EMPTY)  # no parameters: the driver sends the text as is
            finally:
                engine.dispose()
            execute_as_admin([_TERMINATE.format(name=name)])
        except DBAPIError:
            pass  # not emptied: dropped below
        else:
            with _lock:
                if name not in _free:  # dropped twice: still one database to hand out
                    _free.append(name)
            return
        with _lock:
            _made.discard(name)
    execute_as_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


_TERMINATE = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE datname = '{name}' AND pid <> pg_backend_pid()")


def release_databases() -> None:
    """Drop every database this process made and still holds (the emptied ones and any a
    test left); run at exit, or by a test layer when its session ends."""
    with _lock:
        names = sorted(_made)
        _made.clear()
        _free.clear()
    if names:
        execute_as_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names])


@functools.cache
def _drop_made_at_exit() -> None:
    atexit.register(release_databases)


def admin_endpoint() -> dict[str, str]:
    """Where the harness's server is and its superuser, as libpq variables (for psql)."""
    url = make_url(ADMIN_URL)
    return {"PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432),
            "PGUSER": url.username or "postgres"}


def execute_as_admin(statements: list[str]) -> None:
    """Run statements one by one as the superuser, outside a transaction (CREATE DATABASE)."""
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def execute_as_admin_in(database: str, statements: list[str]) -> None:
    """Run statements as the superuser in another database of the server (no parameters: the
    text goes to the server as written)."""
    engine = create_engine(admin_url_of(database), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def drop_databases_and_roles(databases: list[str], roles: list[str]) -> None:
    """Drop named databases (closing their connections) and then named roles; none is an error."""
    execute_as_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in databases]
                     + [f'DROP ROLE IF EXISTS "{name}"' for name in roles])


def admin_url_of(database: str) -> str:
    """The superuser's URL of another database of the same server."""
    return make_url(ADMIN_URL).set(database=database).render_as_string(hide_password=False)


_CATALOGS = {"database": ("pg_database", "datname", "pg_database"),
             "role": ("pg_roles", "rolname", "pg_authid")}


def comments(kind: str, names: list[str]) -> dict[str, str]:
    """The comment ("" for none) of each named ``database`` or ``role`` that exists."""
    view, column, catalog = _CATALOGS[kind]
    engine = create_engine(ADMIN_URL)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {column}, shobj_description(oid, '{catalog}') FROM {view} "
                                 f"WHERE {column} = ANY(:names)"), {"names": list(names)}).all()
    engine.dispose()
    return {name: comment or "" for name, comment in rows}


def comment_on(kind: str, names: list[str], comment: str) -> None:
    """Put ``comment`` on each named ``database`` or ``role``."""
    quoted = comment.replace("'", "''")
    execute_as_admin([f"COMMENT ON {kind.upper()} \"{name}\" IS '{quoted}'" for name in names])
