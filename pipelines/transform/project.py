"""The dbt project handle and the one rule that names its assets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from pipelines.resources import REPO_ROOT

DBT_DIR = REPO_ROOT / "dbt_project"

# The dbt installed beside this Python, so runs work without the virtualenv on PATH (cron, `make`).
DBT_EXECUTABLE = shutil.which("dbt") or str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def _newest_source_mtime() -> float:
    files = [p for d in ("models", "macros", "tests") for p in (DBT_DIR / d).rglob("*") if p.is_file()]
    files += [DBT_DIR / "dbt_project.yml", DBT_DIR / "profiles.yml"]
    return max(p.stat().st_mtime for p in files)


def prepare_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project, before definitions load."""
    manifest = dbt_project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return manifest
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_VERSION_CHECK": "false"}
    cmd = [DBT_EXECUTABLE, "parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--quiet"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
    return manifest


# Under `dagster dev` the manifest is re-parsed on load when a model changed (dagster-dbt's prepare_if_dev
# re-parses every time, rewriting the manifest that other processes may be reading); elsewhere call
# prepare_manifest() first.
if os.getenv("DAGSTER_IS_DEV_CLI"):
    prepare_manifest()


class StratifyTranslator(DagsterDbtTranslator):
    """Asset key = DuckDB schema/table for every node, sources included, so one name follows the data."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        if dbt_resource_props["resource_type"] == "source":
            name = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
        return dg.AssetKey([dbt_resource_props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The published shapes (tag publish) belong to the publish stage; every other model to transform."""
        return "publish" if "publish" in (dbt_resource_props.get("tags") or []) else "transform"


translator = StratifyTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
