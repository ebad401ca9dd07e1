"""The benchmark script end to end at its self-check scale: every figure present, no timing asserted."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import readme, run
from benchmarks.stages import OUTSIDE, STAGES

INGEST_JOB_STAGES = ("ingest", "transform", "quality")  # the load models and their tests, the expectations


@pytest.fixture
def restored_environ() -> Iterator[None]:
    """The script points its own process at the bench home (env vars); later tests must not inherit that."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.slow
@pytest.mark.usefixtures("restored_environ")
def test_tiny_benchmark_writes_every_stage_ratio_and_table(tmp_path: Path):
    out, readme_file = tmp_path / "results", tmp_path / "README.md"
    begin, end = readme.BEGIN.format(scale="tiny"), readme.END.format(scale="tiny")
    readme_file.write_text(f"# Stratify\n\n{begin}\nstale\n{end}\n", encoding="utf-8")
    argv = ["--scale", "tiny", "--runs", "1", "--snapshots", "1", "--out", str(out), "--work-dir", str(tmp_path / "w"),
            "--readme", str(readme_file)]  # fmt: skip
    assert run.main(argv) == 0

    (result_file,) = out.glob("bench-tiny-*.json")
    result = json.loads(result_file.read_text())
    assert result["data"]["order_lines"] > 0 and result["data"]["held_out_order_lines"] > 0
    assert list(result["data"]["held_out_days"]) == ["2026-01-01", "2026-01-02"]
    assert all(n > 0 for n in result["data"]["held_out_days"].values())
    # The first held-out day rebuilds the last snapshot, saying why: the tiny scale's seed puts Tokyo web orders of
    # 2026-01-01 before 09:00 local on the snapshot's day in UTC (benchmarks/run.py SEEDS). The second day is
    # ingested only.
    reasons = result["incremental_run"]["rebuild_reasons"]
    assert reasons == {"2025-12-31": "ecommerce orders of 2025-12-31 loaded since it was built"}, reasons
    for label, ran in (("full_run", STAGES), ("incremental_run", STAGES), ("next_day_run", INGEST_JOB_STAGES)):
        measured = result[label]
        assert measured["wall_s"] > 0 and measured["peak_rss"] > 0
        assert set(measured["seconds"]) == {*STAGES, OUTSIDE}
        for stage in STAGES:  # every stage that ran was timed, none with a negative remainder
            assert (measured["seconds"][stage] > 0) == (stage in ran), (label, stage)
    for stage in STAGES:
        assert result["full_run"]["stage_peak_rss"][stage] > 0, stage
    full = result["full_run"]  # where the time goes: the customer_features step and model are among the heaviest
    assert any("customer_features" in e["name"] for e in full["heaviest_dbt_models"]), full["heaviest_dbt_models"]
    assert {e["name"] for e in full["heaviest_steps"]} & {"dbt_snapshot_models", "dbt_load_models"}
    assert all(e["seconds"] > 0 for e in full["heaviest_steps"] + full["heaviest_dbt_models"])
    jobs = [(j["job"], j["snapshot_date"]) for j in result["incremental_run"]["jobs"]]
    assert jobs == [("ingest_job", None), ("snapshot_job", "2025-12-31")], jobs
    next_day = result["next_day_run"]
    assert [j["job"] for j in next_day["jobs"]] == ["ingest_job"] and next_day["rebuild_reasons"] == {}
    assert 0 < result["derived"]["next_day_ratio"] < result["derived"]["incremental_ratio"]  # a rebuild costs more
    features = result["feature_stage"]
    assert features["baselines_agree"]
    for name in ("stratify/duckdb", "stratify/pandas"):
        assert all(v > 0 for v in features["ratios"][name].values()), name
    assert result["derived"]["ingest_lines_per_s"] > 0 and result["derived"]["incremental_ratio"] > 0
    scaled = result["segment_scale"]  # the segment asset itself, on the run's customers copied to 20,000
    assert scaled["replicas"] > 1 and scaled["runs"]
    assert all(r["customers"] >= 20_000 and r["profiled"] > 0 and 0 < r["step_s"] < r["wall_s"] for r in scaled["runs"])
    ref = result["reference"]  # the reference read, at the self-check scale a small file: no comparison
    assert ref["lines"] == run.REFERENCE_LINES["tiny"] and ref["seconds"] > 0 and ref["to_issue"] is None
    assert not list((tmp_path / "w" / "reference").glob("*.csv"))  # its file is removed after the read
    floor = result["load_floor"]  # the plain load read exactly the order lines the pipeline ingested
    assert sum(floor["rows"][t] for t in run.ORDER_FOLDERS) == result["data"]["order_lines"]
    assert floor["compute_s"] > 0 and result["derived"]["ingest_to_load_floor"] > 0
    assert floor["rows_in_any_order"]  # as the ingest stage writes raw; the report says which

    table = (out / "latest-tiny.md").read_text()
    assert "| ingest |" in table and "| **end to end**" in table and "lower bound" in table
    assert "heaviest dbt models" in table and "`marts/customer_features`" in table
    assert "Segment stage at a million customers" in table and "asset step" in table
    assert "Reference read: DuckDB reading 50,000 CSV lines" in table and "too few to compare" in table
    assert "Ingest floor:" in table and "rows in any order" in table and "+ 2026-01-02 (s)" in table
    assert "### Against the targets of issue #10 (scale tiny)" in table
    assert list(out.glob("cost-curve.*"))
    quoted = readme_file.read_text()  # the README's block now holds this run's table, a heading level down
    assert "stale" not in quoted and "### Stratify benchmark, scale tiny" in quoted
    assert "#### Against the targets of issue #10 (scale tiny)" in quoted and quoted.rstrip().endswith(end)
