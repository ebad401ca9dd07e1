"""What the Dagster UI shows about every asset beyond its code: owner, kinds and a code version.

Applied once to the merged definitions so no stage can forget it. Python assets get a code version from
the source of their stage's package, so the UI flags them as changed when that code changes (dbt assets
get theirs from dagster-dbt, a checksum of the model's SQL).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import dagster as dg

from pipelines.resources import definitions_config

PIPELINES = Path(__file__).resolve().parent.parent
EXPECTATIONS = PIPELINES.parent / "expectations"
STAGE_OF_GROUP = {"ingest": "ingest", "segment": "segment", "publish": "publish", "drift": "drift"}


@cache
def stage_code_version(stage: str) -> str:
    """A short hash of every Python file of one stage's package."""
    digest = hashlib.sha256()
    for path in sorted((PIPELINES / stage).glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def _guarded_tables() -> frozenset[str]:
    """Tables with a Great Expectations suite in expectations/ (named after the table)."""
    return frozenset(p.stem for p in EXPECTATIONS.glob("*.json"))


def describe_asset(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Owners from config, the great_expectations kind where a suite guards the table, a code version."""
    kinds = {"great_expectations"} if spec.key.path[-1] in _guarded_tables() else set()
    spec = spec.merge_attributes(owners=definitions_config().owners, kinds=kinds)
    stage = STAGE_OF_GROUP.get(spec.group_name or "")
    if spec.code_version is None and stage:
        spec = spec.replace_attributes(code_version=stage_code_version(stage))
    return spec
