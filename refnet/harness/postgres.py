"""A fresh PostgreSQL database per use, dropped afterwards; and the superuser's hand for a
deployed configuration's fixed databases and roles (``refnet.harness.deployed``)."""

import uuid

from sqlalchemy import create_engine, make_url, text

from .settings import VALUES

ADMIN_URL = VALUES.test_postgres_url


def create_database(prefix: str = "refnet_test") -> str:
    """Create a database; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database`, closing its connections first."""
    name = url.rsplit("/", 1)[1]
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


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
