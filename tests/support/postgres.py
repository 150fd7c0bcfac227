"""A fresh PostgreSQL database per use: the harness (``refnet.harness.postgres``), for tests."""

from refnet.harness.postgres import ADMIN_URL, create_database, drop_database

__all__ = ["ADMIN_URL", "create_database", "drop_database"]
