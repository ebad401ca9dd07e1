"""A markdown preview of the published segment summary, for the asset's metadata in the UI."""

from __future__ import annotations

from pathlib import Path

import duckdb

PREVIEW_SQL = """
SELECT segment, customers, round(customer_share, 3) AS customer_share, revenue_base,
       round(revenue_share, 3) AS revenue_share, round(mean_recency_days, 1) AS mean_recency_days
FROM segment_summary
WHERE snapshot_date = (SELECT max(snapshot_date) FROM segment_summary) AND segmentation = 'tier' AND market = 'ALL'
ORDER BY revenue_base DESC, segment
LIMIT ?"""


def summary_preview(tiers_db: Path, rows: int = 10) -> str:
    """The latest snapshot's tiers over all markets, read back from the published file as a reader would."""
    with duckdb.connect(str(tiers_db), read_only=True) as con:
        cursor = con.execute(PREVIEW_SQL, [rows])
        names = [d[0] for d in cursor.description]
        data = cursor.fetchall()
    if not data:
        return "_no snapshot published yet_"
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in data]
    return "\n".join(lines)
