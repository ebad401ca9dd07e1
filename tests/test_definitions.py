"""The Definitions load, every asset explains itself, and the asset graph only changes on purpose."""

import json
import os
import subprocess
import sys
from pathlib import Path

from pipelines.definitions import defs

REPO = Path(__file__).resolve().parent.parent
GRAPH_SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"
STAGES = {"ingest", "transform", "segment", "publish", "drift"}


def _graph() -> dict:
    specs = defs.resolve_all_asset_specs()
    checks = defs.resolve_asset_graph().asset_check_keys
    return {
        spec.key.to_user_string(): {
            "group": spec.group_name,
            "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
            "partitioned": spec.partitions_def is not None,
            "checks": sorted(c.name for c in checks if c.asset_key == spec.key),
        }
        for spec in sorted(specs, key=lambda s: s.key.to_user_string())
    }


def test_every_asset_has_a_description_and_a_stage_group():
    for spec in defs.resolve_all_asset_specs():
        assert spec.description, f"{spec.key.to_user_string()} has no description"
        assert spec.group_name in STAGES, f"{spec.key.to_user_string()} is in group {spec.group_name}"


def test_asset_graph_matches_snapshot():
    """Regenerate with STRATIFY_UPDATE_SNAPSHOTS=1 after an intended change, and review the diff."""
    graph = _graph()
    if os.environ.get("STRATIFY_UPDATE_SNAPSHOTS"):
        GRAPH_SNAPSHOT.parent.mkdir(exist_ok=True)
        GRAPH_SNAPSHOT.write_text(json.dumps(graph, indent=2) + "\n")
    assert graph == json.loads(GRAPH_SNAPSHOT.read_text())


def test_flow_runs_raw_to_drift():
    graph = _graph()
    assert graph["marts/customer_features"]["deps"] == [
        "intermediate/int_customers__identity",
        "intermediate/int_orders__category_daily_totals",
        "intermediate/int_orders__daily_totals",
        "staging/stg_crm_customers__customers",
    ]
    for totals in ["int_orders__daily_totals", "int_orders__category_daily_totals"]:
        assert graph[f"intermediate/{totals}"]["deps"] == ["intermediate/int_orders__unified"]
    assert "raw/pos" in graph["staging/stg_pos__order_lines"]["deps"]
    assert graph["raw/pos"]["deps"] == ["raw/fx_rates", "raw/stores"]
    assert graph["drift/drift_metrics"]["deps"] == ["intermediate/int_orders__unified", "segments/customer_segments"]
    published = ["customer_tier_history", "customer_tiers", "drift_metrics", "segment_summary", "tier_migration"]
    assert graph["publish/customer_tiers"]["deps"] == [f"marts/{table}" for table in published]
    assert graph["marts/drift_metrics"]["deps"] == ["drift/drift_metrics"]
    assert graph["pseudonyms/customer_key_map"]["deps"] == ["segments/customer_segments"]
    assert "expectations" in graph["marts/customer_features"]["checks"]


def test_dagster_validates_the_workspace(home):
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        [str(bin_dir / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "All code locations passed validation" in done.stderr + done.stdout


def test_every_asset_is_described_for_the_ui():
    """Owner, description, kinds and a code version on every asset; GX kind where a suite guards it."""
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    for key, spec in specs.items():
        assert spec.description and spec.owners == ["team:data-engineering"], key
        assert spec.kinds and spec.code_version, key
    assert "great_expectations" in specs["marts/customer_features"].kinds
    assert "great_expectations" in specs["raw/pos"].kinds
    assert "sklearn" in specs["segments/customer_segments"].kinds
    assert specs["marts/segment_summary"].group_name == "publish"


def test_loading_the_definitions_leaves_scikit_learn_and_scipy_stats_unimported():
    """Every `stratify run` and UI reload loads the definitions; the models' libraries wait for a snapshot."""
    code = "import sys, pipelines.definitions; print(sorted(m for m in ('sklearn', 'scipy.stats') if m in sys.modules))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert found.stdout.strip() == "[]"
