"""The engine factory under eventlet (this layer is monkey-patched, as a service is): a
PostgreSQL engine makes psycopg2 wait through the hub, since the launcher leaves psycopg2
unpatched so that a service on SQLite never imports it (services/common/db.py)."""

import sys

from psycopg2 import extensions
from eventlet.support.psycopg2_patcher import eventlet_wait_callback

from services.common.db import make_engine


def test_a_postgresql_engine_makes_psycopg2_green():
    before = extensions.get_wait_callback()
    extensions.set_wait_callback(None)
    try:
        engine = make_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none")
        assert extensions.get_wait_callback() is eventlet_wait_callback
        engine.dispose()
    finally:
        extensions.set_wait_callback(before)


def test_a_sqlite_engine_leaves_psycopg2_alone(tmp_path):
    before = extensions.get_wait_callback()
    extensions.set_wait_callback(None)
    try:
        make_engine(f"sqlite:///{tmp_path}/x.db").dispose()
        assert extensions.get_wait_callback() is None
    finally:
        extensions.set_wait_callback(before)
    assert "eventlet.patcher" in sys.modules  # the layer runs patched, as a service does
