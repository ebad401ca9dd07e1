"""The published views' dbt tests look at the snapshot being published (STRATIFY_SNAPSHOT_DATE, as the publish
step sets it), so they do not grow with history; run by hand, without it, they look at every snapshot."""

import duckdb

from tests.publish.conftest import SNAPSHOTS, build_publish_models

UNIQUE_TEST = "unique_combination_of_columns_customer_tier_history_customer_key__snapshot_date"


def _repeat_a_customer(warehouse, snapshot) -> None:
    """The earlier snapshot breaks a contract: one customer twice in it."""
    with duckdb.connect(str(warehouse)) as con:
        one = "SELECT * FROM segments.customer_segments WHERE snapshot_date = ? LIMIT 1"
        con.execute(f"INSERT INTO segments.customer_segments {one}", [snapshot])


def test_tests_see_the_published_snapshot_only_and_every_one_when_run_by_hand(warehouse, monkeypatch):
    earlier, later = SNAPSHOTS
    _repeat_a_customer(warehouse, earlier)

    monkeypatch.setenv("STRATIFY_SNAPSHOT_DATE", later.isoformat())
    done = build_publish_models(warehouse, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    compiled = [p.read_text() for p in (warehouse.parent / "dbt_target" / "compiled").rglob("*.sql")]
    unique = [sql for sql in compiled if "customer_tier_history" in sql and "by customer_key, snapshot_date" in sql]
    assert len(unique) == 1 and f"snapshot_date = cast('{later.isoformat()}' as date)" in unique[0]

    monkeypatch.setenv("STRATIFY_SNAPSHOT_DATE", earlier.isoformat())  # the broken snapshot is caught in its own
    done = build_publish_models(warehouse, check=False)
    assert done.returncode != 0 and f"FAIL 1 {UNIQUE_TEST}" in done.stdout, done.stdout[-3000:]

    monkeypatch.delenv("STRATIFY_SNAPSHOT_DATE")  # by hand: every snapshot
    done = build_publish_models(warehouse, check=False)
    assert done.returncode != 0 and f"FAIL 1 {UNIQUE_TEST}" in done.stdout, done.stdout[-3000:]
