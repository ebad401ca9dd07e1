"""No published table, in DuckDB or Parquet, holds an email, a phone or any identifier the warehouse keeps."""

import re

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.partitions import snapshot_date_of
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.publish.atomic import PUBLISHED_TABLES

pytestmark = pytest.mark.slow
SNAPSHOT_PARTITIONS = ["2025-11-01", "2025-12-01"]
# Columns that hold identifiers of people or their orders, in every warehouse schema BI must not see.
IDENTIFIER_COLUMN = r"(^|_)id$|hash|key|email|phone"
LOOKS_LIKE_PII = {
    "email": re.compile(r"[^@\s]+@[^@\s]+"),
    "phone": re.compile(r"^\+?[\d ()]{8,}$"),  # a whole cell of digits (ids have digit runs, dates dashes)
    "sha256 hex": re.compile(r"[0-9a-f]{64}"),
}


def _run(name: str, partition_key: str | None = None) -> None:
    """Run a job as `stratify run` does; WARN checks (e.g. drift on tiny data) may fail, steps may not."""
    result = defs.resolve_job_def(name).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS, partition_key=partition_key
    )
    assert result.success


def _warehouse_identifiers(con: duckdb.DuckDBPyConnection) -> set[str]:
    columns = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_schema IN ('raw', 'staging', 'intermediate', 'ops') AND data_type = 'VARCHAR' "
        "AND regexp_matches(column_name, ?)",
        [IDENTIFIER_COLUMN],
    ).fetchall()
    values: set[str] = set()
    for schema, table, column in columns:
        rows = con.execute(f'SELECT DISTINCT "{column}" FROM {schema}.{table} WHERE "{column}" IS NOT NULL')
        values.update(v for (v,) in rows.fetchall())
    return values


def _published_values(con: duckdb.DuckDBPyConnection, relations: dict[str, str]) -> dict[str, set[str]]:
    """Every cell of every column, as text, per table."""
    out = {}
    for name, relation in relations.items():
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        cells = " UNION ".join(f'SELECT DISTINCT CAST("{c}" AS VARCHAR) AS v FROM {relation}' for c in columns)
        out[name] = {v for (v,) in con.execute(f"SELECT v FROM ({cells}) WHERE v IS NOT NULL").fetchall()}
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = tmp_path_factory.mktemp("pii")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIFY_HOME", str(home))
        mp.setenv("STRATIFY_PII_SALT", "test-salt")
        mp.delenv("STRATIFY_CONFIG", raising=False)
        mp.delenv("DAGSTER_HOME", raising=False)
        generate(DemoSpec(customers=300, days=200, seed=11), home / "landing")
        _run("ingest_job")
        for partition in SNAPSHOT_PARTITIONS:
            _run("snapshot_job", partition)
    return home


def test_published_tables_hold_no_pii_nor_warehouse_identifier(published):
    persons = pd.read_csv(published / "landing" / "_truth" / "persons.csv", dtype=str)
    clear_text = set(persons[["email", "phone_e164", "loyalty_id", "app_user_id"]].stack().dropna())
    with duckdb.connect(str(published / "warehouse.duckdb"), read_only=True) as con:
        identifiers = _warehouse_identifiers(con)
        warehouse_keys = {k for (k,) in con.execute("SELECT customer_key FROM segments.customer_segments").fetchall()}
    # The scan would catch the warehouse's own customer key (a hash of a channel id) if it were published.
    assert warehouse_keys and warehouse_keys <= identifiers
    assert any(LOOKS_LIKE_PII["sha256 hex"].fullmatch(v) for v in identifiers)  # salted hashes are in the set

    parquet = published / "publish" / "parquet"
    with duckdb.connect(str(published / "publish" / "tiers.duckdb"), read_only=True) as con:
        assert {r[0] for r in con.execute("SHOW TABLES").fetchall()} == set(PUBLISHED_TABLES)
        scanned = _published_values(con, {t: t for t in PUBLISHED_TABLES})
        scanned |= {
            f"parquet/{t}": _published_values(con, {t: f"read_parquet('{parquet / t}/*/*.parquet')"})[t]
            for t in PUBLISHED_TABLES
        }
    assert all(scanned.values()), [name for name, values in scanned.items() if not values]
    for name, values in scanned.items():
        assert not values & identifiers, f"{name} holds warehouse identifiers: {sorted(values & identifiers)[:3]}"
        assert not values & clear_text, f"{name} holds clear-text PII: {sorted(values & clear_text)[:3]}"
        for kind, pattern in LOOKS_LIKE_PII.items():
            hits = [v for v in values if pattern.search(v)]
            assert not hits, f"{name} holds what looks like {kind}: {hits[:3]}"


def test_each_publish_step_tests_its_own_snapshot_only(published):
    """The publish step hands dbt its partition's date, so the published views' tests filter on it."""
    runs = sorted((published / "dbt-target").glob("dbt_publish_models-*"), key=lambda p: p.stat().st_mtime)
    assert len(runs) == len(SNAPSHOT_PARTITIONS)
    for run, partition in zip(runs, SNAPSHOT_PARTITIONS, strict=True):
        snapshot = snapshot_date_of(partition).isoformat()
        compiled = [p.read_text() for p in (run / "compiled").rglob("*.sql")]
        migration = [sql for sql in compiled if "tier_migration" in sql and "dbt_subquery" in sql]
        assert migration and all(f"snapshot_date = cast('{snapshot}' as date)" in sql for sql in migration)
