"""Alembic migrations per service, run programmatically (``refnet migrate``).

Each service keeps its scripts in ``services/<name>/migrations``; its ``env.py`` calls
``run_env`` with the service's metadata. The database URL is passed in, never read from a file.
"""

import os

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from .db import make_engine

SERVICES = ("referral", "shelter", "legal", "notify")


def alembic_config(service_name: str, url: str) -> Config:
    """Alembic's configuration for a service's migrations against ``url``."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    config = Config()
    config.set_main_option("script_location", os.path.join(here, service_name, "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(service_name: str, url: str, revision: str = "head", file_keys: str | None = None,
            settings: dict | None = None) -> None:
    """Migrate a service's database to ``revision`` (the newest by default). ``file_keys``
    (else ``REFNET_FILE_KEYS``) is for migrations that encrypt existing rows; ``settings``
    (variable name -> value, else the environment) for migrations that read a setting
    (``setting_of_migration``)."""
    config = alembic_config(service_name, url)
    config.attributes["file_keys"] = file_keys
    config.attributes["settings"] = dict(settings or {})
    command.upgrade(config, revision)


def downgrade(service_name: str, url: str, revision: str, file_keys: str | None = None) -> None:
    """Migrate a service's database back to ``revision``."""
    config = alembic_config(service_name, url)
    config.attributes["file_keys"] = file_keys
    command.downgrade(config, revision)


def file_cipher_of_migration():
    """Inside a migration: the ``FileCipher`` of the keys ``upgrade`` was given (else of
    ``REFNET_FILE_KEYS``); None when there are none."""
    from .sealing import FileCipher
    keys = context.config.attributes.get("file_keys") or os.environ.get("REFNET_FILE_KEYS")
    return FileCipher(keys) if keys else None


def setting_of_migration(name: str, default: str | None = None) -> str | None:
    """Inside a migration: the setting ``name`` as ``upgrade`` was given it, else the
    environment's, else ``default``."""
    given = context.config.attributes.get("settings") or {}
    return given.get(name) or os.environ.get(name) or default


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``env.py`` (online mode only)."""
    url = context.config.attributes["url"]
    sqlite = url.startswith("sqlite")
    engine = make_engine(url)
    with engine.connect() as connection:
        if sqlite:  # batch mode copies and drops tables that rows of other tables refer to
            _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=sqlite)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = _sqlite_pragma(connection, "PRAGMA foreign_key_check")
            _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"the migration left {len(broken)} row(s) whose foreign key "
                                   f"names nothing (first in table {broken[0][0]})")
    engine.dispose()


def _sqlite_pragma(connection, statement: str) -> list:
    """Run a PRAGMA outside any transaction (SQLite ignores ``foreign_keys`` inside one) on the
    driver connection, which runs in autocommit (``make_engine``)."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(statement)
        return cursor.fetchall()
    finally:
        cursor.close()


class audit_log_ops:
    """The ``audit_log`` table (services.common.audit) for a service's migration, with triggers
    that refuse UPDATE and DELETE on SQLite and PostgreSQL: the application only appends. (A
    database owner can still drop the triggers; the hash chain is what detects that.)"""

    @staticmethod
    def create() -> None:
        """Create the audit table and its triggers."""
        import sqlalchemy as sa
        from alembic import op
        op.create_table(
            'audit_log',
            sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
            sa.Column('at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('actor', sa.String(100), nullable=False),
            sa.Column('role', sa.String(20), nullable=False),
            sa.Column('agency', sa.String(100), nullable=False),
            sa.Column('action', sa.String(64), nullable=False),
            sa.Column('object', sa.String(120), nullable=False),
            sa.Column('outcome', sa.String(20), nullable=False),
            sa.Column('correlation_id', sa.String(64), nullable=True),
            sa.Column('prev_hash', sa.String(64), nullable=False),
            sa.Column('hash', sa.String(64), nullable=False),
            sa.PrimaryKeyConstraint('id'))
        op.create_index('ix_audit_object', 'audit_log', ['object', 'id'])
        op.create_index('ix_audit_actor', 'audit_log', ['actor', 'id'])
        if op.get_bind().dialect.name == 'sqlite':
            for verb in ('UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        else:
            op.execute("CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$")
            op.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                       "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")

    @staticmethod
    def add_key_id() -> None:
        """The ``key_id`` column of a keyed chain (the audit key's fingerprint; entries written
        before have none and keep their plain SHA-256, auditchain)."""
        import sqlalchemy as sa
        from alembic import op
        op.add_column('audit_log', sa.Column('key_id', sa.String(16), nullable=True))

    @staticmethod
    def drop_key_id() -> None:
        """Drop ``key_id`` (downgrade)."""
        from alembic import op
        op.execute("ALTER TABLE audit_log DROP COLUMN key_id")  # keeps the triggers on SQLite

    @staticmethod
    def protect() -> None:
        """On PostgreSQL, hand ``audit_log`` to the role ``audit_owner``: the service's role
        keeps SELECT and INSERT only. Done by ``refnet_protect_audit_log()``, the function the
        deployment's superuser defined in the database (deploy/postgres/audit-owner.sql), when
        it is there; else directly when the migrating role is a superuser and ``audit_owner``
        exists; else (a development database with neither) nothing, said in the log."""
        import logging

        from alembic import op
        bind = op.get_bind()
        if bind.dialect.name != 'postgresql':
            return
        has_function = bind.exec_driver_sql(
            "SELECT to_regprocedure('public.refnet_protect_audit_log()') IS NOT NULL").scalar()
        if has_function:
            op.execute("SELECT public.refnet_protect_audit_log()")
            return
        superuser, owner_role = bind.exec_driver_sql(
            "SELECT rolsuper, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_owner') "
            "FROM pg_roles WHERE rolname = current_user").one()
        if superuser and owner_role:
            from pathlib import Path
            sql = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "audit-owner.sql"
            if sql.exists():
                op.execute(sql.read_text())
                op.execute("SELECT public.refnet_protect_audit_log()")
                return
        logging.getLogger(__name__).warning(
            "audit_log stays owned by the service's role: no refnet_protect_audit_log() in this "
            "database and no audit_owner role (deploy/postgres/audit-owner.sql)")

    @staticmethod
    def unprotect() -> None:
        """Give ``audit_log`` back to the database's owner (a superuser's downgrade)."""
        from alembic import op
        if op.get_bind().dialect.name != 'postgresql':
            return
        op.execute("""DO $$ DECLARE service name := (SELECT pg_get_userbyid(datdba) FROM pg_database
                      WHERE datname = current_database()); BEGIN
                      IF (SELECT pg_get_userbyid(relowner) FROM pg_class
                          WHERE oid = 'public.audit_log'::regclass) <> service THEN
                        EXECUTE format('ALTER TABLE public.audit_log OWNER TO %I', service);
                        EXECUTE format('ALTER FUNCTION public.audit_log_append_only() OWNER TO %I', service);
                        EXECUTE format('ALTER SCHEMA public OWNER TO %I', 'pg_database_owner');
                      END IF; END $$""")

    @staticmethod
    def drop() -> None:
        """Drop the audit table and its triggers."""
        from alembic import op
        if op.get_bind().dialect.name == 'sqlite':
            op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
            op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        else:
            op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
            op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
        op.drop_index('ix_audit_actor', 'audit_log')
        op.drop_index('ix_audit_object', 'audit_log')
        op.drop_table('audit_log')
