"""The baselines' HTTP app: a minimal Flask app, run under the gateway's own gunicorn settings
(deploy/gunicorn.conf.py: gthread, the same workers and threads, the same access log).

* ``POST /intake`` validates the body with the same ``ReferralSubmissionSchema`` the gateway
  uses and inserts one row into SQLite (WAL, like the services): the intake baseline.
* ``GET /constant`` returns a constant JSON document: the reads baseline.

``gunicorn -c deploy/gunicorn.conf.py "bench.baseline_app:create_app()"`` with
``BENCH_BASELINE_DB`` naming the SQLite file.
"""

import json
import os
import sqlite3
import threading

from flask import Flask, jsonify, request

from services.contracts.submission import ReferralSubmissionSchema


def create_app() -> Flask:
    """The baseline app: the intake schema and one SQLite insert, and a constant answer."""
    app = Flask(__name__)
    path = os.environ.get("BENCH_BASELINE_DB", "baseline.db")
    schema = ReferralSubmissionSchema()
    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            conn = sqlite3.connect(path, timeout=15, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS submissions "
                         "(id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            local.conn = conn
        return local.conn

    @app.post("/intake")
    def intake():
        raw = request.get_json()
        schema.load(raw)
        conn = connection()
        cur = conn.execute("INSERT INTO submissions (body) VALUES (?)", (json.dumps(raw),))
        return jsonify({"id": cur.lastrowid, "status": "submitted"}), 202

    @app.get("/constant")
    def constant():
        return jsonify({"status": "ok", "facilities": []})

    return app
