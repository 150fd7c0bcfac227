"""Each service's alembic migrations build exactly the schema its tables.py declares, on SQLite
and on PostgreSQL: a schema change without a migration fails here."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from services.common.db import make_engine
from services.common.migrations import SERVICES, alembic_config, upgrade


def _head(service: str, url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(service, url)).get_current_head()


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_to_head_matches_tables_metadata(service, db_url):
    metadata = importlib.import_module(f"services.{service}.tables").metadata
    upgrade(service, db_url)

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            assert context.get_current_revision() == _head(service, db_url)
            differences = compare_metadata(context, metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()

    assert differences == []
    assert tables == set(metadata.tables) | {"alembic_version"}


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_is_repeatable(service, db_url):
    """``refnet migrate`` runs at every start: a second upgrade to head changes nothing."""
    upgrade(service, db_url)
    upgrade(service, db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == _head(service, db_url)
    finally:
        engine.dispose()
