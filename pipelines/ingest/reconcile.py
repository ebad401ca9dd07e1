"""The reconciliation invariant: no row read is lost between landing, raw and quarantine."""

from __future__ import annotations

import duckdb


def unreconciled_files(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Describe each loaded file of a source whose counts do not add up; empty when all reconcile."""
    rows = con.execute(
        f"""
        WITH raw_counts AS (SELECT _source_file AS path, count(*) AS n FROM raw.{source} GROUP BY 1),
             q_counts AS (SELECT path, count(*) AS n FROM ops.quarantine WHERE source = ? GROUP BY 1)
        SELECT l.path, l.rows_read, l.rows_accepted, l.rows_quarantined,
               coalesce(r.n, 0) AS in_raw, coalesce(q.n, 0) AS in_quarantine
        FROM ops.load_ledger l
        LEFT JOIN raw_counts r USING (path) LEFT JOIN q_counts q USING (path)
        WHERE l.source = ? AND l.status = 'loaded'
          AND (l.rows_read <> l.rows_accepted + l.rows_quarantined
               OR coalesce(r.n, 0) <> l.rows_accepted OR coalesce(q.n, 0) <> l.rows_quarantined)
        ORDER BY l.path
    """,
        [source, source],
    ).fetchall()
    return [
        f"{p}: read {rd}, accepted {a}, quarantined {q}, in raw {r}, in quarantine {iq}" for p, rd, a, q, r, iq in rows
    ]
