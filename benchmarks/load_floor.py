"""The floor under Stratify's ingest stage: DuckDB loading the same landed files as they are.

Every folder of the demo's landing (order lines, CRM, stores, FX rates) becomes one table of a fresh
DuckDB file, by `CREATE TABLE ... AS SELECT * FROM read_csv/read_json/read_parquet` with types
detected by DuckDB. No rules, no quarantine, no lineage columns, no PII hashing, no ledger: what loading
costs on this machine before any of the guarantees ingestion gives. The layout is hard-coded, as a
hand-written load would have it. Rows are written in any order (preserve_insertion_order off), as the
ingest stage writes raw: DuckDB's default, keeping the files' order, wrote 4.4M POS lines to disk in
7.3-8.3 s against 4.3-4.7 s unordered (2026-12-07), so a floor that keeps order is no floor.

Run as `python -m benchmarks.load_floor LANDING OUT.duckdb` so that it is measured as a process of its
own; it writes OUT.json (seconds spent loading, imports excluded, and the rows per table).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

TABLES = {
    "stores": "read_csv('{landing}/stores/*.csv')",
    "fx_rates": "read_csv('{landing}/fx/*.csv')",
    "crm_customers": "read_csv('{landing}/crm/*.csv')",
    "pos": "read_csv('{landing}/pos/*.csv')",
    "pos_de": "read_csv('{landing}/pos_de/*.csv', delim = ';', decimal_separator = ',')",
    "ecommerce": "read_csv('{landing}/ecommerce/*.csv')",
    "app": "read_json('{landing}/app/*.jsonl', format = 'newline_delimited')",
    "marketplace": "read_parquet('{landing}/marketplace/*.parquet')",
}


def load(landing: Path, out: Path, threads: int, memory_limit: str) -> dict:
    """Every table loaded into a fresh database file; its seconds and row counts."""
    import duckdb

    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out), config={"threads": threads, "memory_limit": memory_limit})
    con.execute("SET preserve_insertion_order = false")
    started = time.perf_counter()
    for table, scan in TABLES.items():
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {scan.format(landing=landing)}")
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
    con.close()
    return {"seconds": seconds, "rows": rows, "rows_in_any_order": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_floor")
    parser.add_argument("landing", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args(argv)
    found = load(args.landing, args.out, args.threads, args.memory_limit)
    args.out.with_suffix(".json").write_text(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
