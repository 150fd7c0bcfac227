"""Alembic migrations per service, run programmatically (``refnet migrate``).

Each service keeps its scripts in ``services/<name>/migrations``; its ``env.py`` calls
``run_env`` with the service's metadata. The database URL is passed in, never read from a file.
"""

import os

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from .db import make_engine

SERVICES = ("referral", "shelter", "legal")


def alembic_config(service_name: str, url: str) -> Config:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    config = Config()
    config.set_main_option("script_location", os.path.join(here, service_name, "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(service_name: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service_name, url), revision)


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``env.py`` (online mode only)."""
    url = context.config.attributes["url"]
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
