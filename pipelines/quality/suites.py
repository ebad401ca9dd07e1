"""Load expectation suites from expectations/*.json and validate a DataFrame with GX Core 1.x.

Suites are files reviewed like code; their `meta` says which table they guard, whether it is
snapshot-partitioned, and the severity of a failure (ERROR blocks downstream, WARN only reports).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.resources import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "expectations"


@dataclass(frozen=True)
class SuiteFile:
    name: str
    table: str  # schema.table, which is also the asset key
    severity: str  # ERROR | WARN: the default for its expectations (an expectation's meta may override)
    snapshot_column: str | None  # validate one snapshot partition's rows
    scope: str  # all | latest_load (raw tables: the rows of the source's latest loaded files)
    body: dict[str, Any]

    @property
    def asset_key_path(self) -> list[str]:
        return self.table.split(".")


@dataclass(frozen=True)
class Failure:
    severity: str
    expectation: str
    column: str | None
    observed: Any
    unexpected_count: int | None
    sample: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        where = f" on column {self.column}" if self.column else ""
        count = f", {self.unexpected_count} unexpected rows" if self.unexpected_count else ""
        sample = f", e.g. {self.sample[:5]}" if self.sample else ""
        observed = f"observed {self.observed}" if self.observed is not None else "observed"
        return f"[{self.severity}] {self.expectation}{where} failed ({observed}{count}{sample})"


def load_suite_files(folder: Path = EXPECTATIONS_DIR) -> list[SuiteFile]:
    """Every suite file in the folder, sorted by name; a malformed file fails loudly with its path."""
    suites = []
    for path in sorted(folder.glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        meta = body.get("meta", {})
        if "table" not in meta or meta.get("severity") not in ("ERROR", "WARN"):
            raise ValueError(f"{path}: meta needs 'table' and 'severity' (ERROR or WARN)")
        suites.append(
            SuiteFile(
                body["name"],
                meta["table"],
                meta["severity"],
                meta.get("snapshot_column"),
                meta.get("scope", "all"),
                body,
            )
        )
    return suites


def _quiet_gx():
    """Import GX with analytics and progress bars off: no network calls, no noise in run logs."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def validate(df: pd.DataFrame, suite: SuiteFile) -> tuple[int, list[Failure]]:
    """Run the suite on the frame; return the number of expectations evaluated and the failures."""
    gx = _quiet_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=suite.body["expectations"]))
    batch = context.data_sources.add_pandas("stratify").add_dataframe_asset(suite.name)
    definition = batch.add_batch_definition_whole_dataframe("whole")
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=definition, suite=gx_suite)
    )
    result = validation.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    failures = [
        Failure(
            severity=(r.expectation_config.meta or {}).get("severity", suite.severity),
            expectation=r.expectation_config.type,
            column=r.expectation_config.kwargs.get("column"),
            observed=r.result.get("observed_value"),
            unexpected_count=r.result.get("unexpected_count"),
            sample=[v for v in (r.result.get("partial_unexpected_list") or [])][:10],
        )
        for r in result.results
        if not r.success
    ]
    return len(result.results), failures
