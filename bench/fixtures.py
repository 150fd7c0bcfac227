"""Bulk-loaded referrals, with timelines, straight into the referral service's PostgreSQL tables.

One ``INSERT ... SELECT generate_series`` per table: no Python loop, no round trip per row.
For a large batch the secondary indexes are dropped first and rebuilt after (the usual bulk-load
practice: one sort per index instead of a million index insertions), then the tables are
analysed so the planner knows their size. The rows are the shape the service writes: a
reference that passes ``is_reference``, codes in clear, an opaque ``file_ciphertext`` (the
status and list reads never decrypt it), and a timeline of ``submitted`` and ``received``.

A tenth of the rows belong to ``AGENCY`` (the police agency the benchmark reads as), so a page
of the police list is full at every size.
"""

import time

from sqlalchemy import create_engine, text

AGENCY = "bench-police-0"
AGENCIES = 10

# The secondary indexes of services/referral/tables.py (dropped and rebuilt around a big load).
INDEXES = {
    "ix_referrals_agency_status_id": "referrals (referring_agency, status, id)",
    "ix_referrals_agency_id": "referrals (referring_agency, id)",
    "ix_referrals_status_id": "referrals (status, id)",
    "ix_timeline_referral_id": "timeline_entries (referral_id, id)",
}

UNIQUE_REFERENCE = "referrals_reference_key"  # PostgreSQL's name for UNIQUE (reference)

# 'RN-' + 16 letters from md5(n): hex digits mapped onto A..P, all inside the base32 alphabet.
_REFERENCE = ("'RN-' || substr(h, 1, 4) || '-' || substr(h, 5, 4) || '-' || substr(h, 9, 4)"
              " || '-' || substr(h, 13, 4)")

INSERT_REFERRALS = f"""
INSERT INTO referrals (reference, referring_agency, submitted_by, status, population_group,
    urgency, needs, children_count, beds_needed, share_status_with_referrer, share_with_legal,
    file_ciphertext, body_hash, submitted_at, updated_at)
SELECT {_REFERENCE}, 'bench-police-' || (n % {AGENCIES}), 'officer.bench',
    (ARRAY['received', 'received', 'accepted', 'declined'])[1 + n % 4],
    (ARRAY['women', 'men', 'children'])[1 + n % 3], (ARRAY['urgent', 'normal'])[1 + n % 2],
    '["shelter"]', n % 3, 1 + n % 3, true, true, '\\x00'::bytea, h || h,
    ts, ts
FROM (SELECT n, translate(md5('bench-' || n), '0123456789abcdef', 'ABCDEFGHIJKLMNOP') AS h,
             TIMESTAMPTZ '2026-01-01' + n * INTERVAL '1 second' AS ts
      FROM generate_series(:first, :last) AS n) AS g
"""

INSERT_TIMELINE = """
INSERT INTO timeline_entries (referral_id, at, agency, status, note)
SELECT r.id, r.submitted_at + s.k * INTERVAL '1 minute',
       CASE s.k WHEN 0 THEN r.referring_agency ELSE 'erbil-shelter' END,
       CASE s.k WHEN 0 THEN 'submitted' ELSE 'received' END,
       CASE s.k WHEN 0 THEN 'Referral submitted' ELSE 'Received by the shelter' END
FROM referrals r CROSS JOIN (VALUES (0), (1)) AS s(k)
WHERE r.id > :after_id
ORDER BY r.id, s.k
"""


def bulk_load(url: str, first: int, last: int, *, rebuild_indexes: bool | None = None) -> dict:
    """Insert referrals ``first..last`` (inclusive) with two timeline entries each; return
    the seconds each step took and the table sizes after."""
    count = last - first + 1
    if rebuild_indexes is None:
        rebuild_indexes = count >= 50_000
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    steps = {}
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("SET synchronous_commit = off"))
            conn.execute(text("SET maintenance_work_mem = '256MB'"))
            # the rows are consistent by construction: skip the per-row foreign-key triggers
            conn.execute(text("SET session_replication_role = replica"))
            after_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM referrals")).scalar_one()
            if rebuild_indexes:
                for name in INDEXES:
                    conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
                conn.execute(text(f"ALTER TABLE referrals DROP CONSTRAINT {UNIQUE_REFERENCE}"))
            t = time.perf_counter()
            conn.execute(text(INSERT_REFERRALS), {"first": first, "last": last})
            steps["referrals_s"] = time.perf_counter() - t
            t = time.perf_counter()
            conn.execute(text(INSERT_TIMELINE), {"after_id": after_id})
            steps["timeline_s"] = time.perf_counter() - t
            if rebuild_indexes:
                t = time.perf_counter()
                conn.execute(text(f"ALTER TABLE referrals ADD CONSTRAINT {UNIQUE_REFERENCE} "
                                  "UNIQUE (reference)"))
                for name, target in INDEXES.items():
                    conn.execute(text(f"CREATE INDEX {name} ON {target}"))
                steps["indexes_s"] = time.perf_counter() - t
            t = time.perf_counter()
            conn.execute(text("VACUUM ANALYZE referrals"))
            conn.execute(text("VACUUM ANALYZE timeline_entries"))
            steps["analyze_s"] = time.perf_counter() - t
            sizes = dict(conn.execute(text(
                "SELECT 'referrals', count(*) FROM referrals UNION ALL "
                "SELECT 'timeline_entries', count(*) FROM timeline_entries")).all())
    finally:
        engine.dispose()
    return {"inserted": count, "seconds": time.perf_counter() - started, **steps,
            "rows": {k: int(v) for k, v in sizes.items()}}


def sample_references(url: str, n: int, agency: str = AGENCY) -> list[str]:
    """``n`` references of ``agency`` spread over the whole table (old and new)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total = conn.execute(text("SELECT max(id) FROM referrals")).scalar_one() or 0
            step = max(1, total // max(1, n))
            rows = conn.execute(text(
                "SELECT reference FROM referrals WHERE referring_agency = :a AND id % :step < 10 "
                "ORDER BY id LIMIT :n"), {"a": agency, "step": step, "n": n}).scalars().all()
    finally:
        engine.dispose()
    return list(rows)


def middle_id(url: str, agency: str = AGENCY) -> int:
    """An id in the middle of ``agency``'s referrals: a cursor there pages deep into the list."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY id) FROM referrals "
                "WHERE referring_agency = :a"), {"a": agency}).scalar_one())
    finally:
        engine.dispose()


def explain(url: str, sql: str, params: dict) -> dict:
    """The plan of one query (EXPLAIN ANALYZE): whether it scans a whole table, and its time."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            plan = conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql), params).scalar_one()
    finally:
        engine.dispose()
    root = plan[0]
    nodes, stack = [], [root["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node["Node Type"] + (f" on {node['Relation Name']}" if "Relation Name" in node else "")
                     + (f" using {node['Index Name']}" if "Index Name" in node else ""))
        stack.extend(node.get("Plans", []))
    return {"nodes": nodes, "seq_scan": any(n.startswith("Seq Scan") for n in nodes),
            "execution_ms": root["Execution Time"]}
