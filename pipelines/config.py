"""The typed view of stratify.yaml: the one place the file is parsed.

Every stage reads settings through `StratifyConfig` so a typo in the YAML fails at load time with the
field's path, not deep inside a run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WarehouseConfig(_Strict):
    memory_limit: str = Field("4GB", description="DuckDB memory cap; beyond it DuckDB spills to disk.")
    threads: int = Field(2, ge=1, description="DuckDB worker threads.")
    temp_directory: str = Field("tmp/duckdb", description="Spill folder, relative to STRATIFY_HOME.")


class CsvOptions(_Strict):
    delimiter: str = Field(",", description="Field separator.")
    decimal: Literal[".", ","] = Field(".", description="Decimal separator of numbers.")
    encoding: str = Field("utf-8", description="Text encoding of the file.")


class FileSet(_Strict):
    path: str = Field(description="Glob of the files under the landing folder.")
    format: Literal["csv", "parquet", "jsonl"] = Field("csv", description="File format.")
    csv: CsvOptions = Field(default_factory=CsvOptions, description="Options for format csv.")
    columns: dict[str, str] = Field(description="Canonical column name -> column name in the file.")
    timestamp_format: str | None = Field(
        None,
        description="strptime format of dates and timestamps (e.g. '%m/%d/%Y %H:%M'); ISO-8601 if unset.",
    )


class SourceConfig(_Strict):
    """One source: one or more sets of files (exports of different layouts) filling one contract."""

    files: list[FileSet] = Field(min_length=1, description="File sets; a single set may be given inline.")
    constants: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical column -> value for columns the files lack (e.g. currency: GBP).",
    )

    @model_validator(mode="before")
    @classmethod
    def _inline_file_set(cls, data: Any) -> Any:
        """Accept `path/format/csv/columns` directly on the source as shorthand for one file set."""
        if isinstance(data, dict) and "files" not in data and "path" in data:
            inline = {k: data[k] for k in ("path", "format", "csv", "columns", "timestamp_format") if k in data}
            rest = {k: v for k, v in data.items() if k not in inline}
            return {**rest, "files": [inline]}
        return data


class SnapshotConfig(_Strict):
    cadence: Literal["weekly", "monthly"] = Field("monthly", description="Length of a snapshot period.")
    start_date: date = Field(description="First period that can be built.")
    latest: int = Field(3, ge=1, description="Periods `stratify run` builds when none are named.")


class SegmentConfig(_Strict):
    tier_names: list[str] = Field(
        default=["platinum", "gold", "silver", "bronze"],
        min_length=2,
        description="Tier names, highest value first; their count is the number of clusters.",
    )
    random_seed: int = Field(42, description="Seed for clustering, so re-runs give the same tiers.")


class SpendCheckConfig(_Strict):
    recent_days: int = Field(30, ge=1, description="Days (data clock) judged against the baseline.")
    baseline_days: int = Field(180, ge=1, description="Days before the recent window that set the expected level.")
    max_ratio: float = Field(
        3.0, gt=1, description="Mean or quantile of line spend moving beyond x ratio (or 1/x) fails."
    )
    min_lines: int = Field(50, ge=1, description="Channel/market groups with fewer recent lines are not judged.")


class FreshnessConfig(_Strict):
    max_lag_days: int = Field(7, ge=0, description="A channel whose latest order is older than this fails.")
    severity: Literal["ERROR", "WARN"] = Field("ERROR", description="ERROR stops the run; WARN only reports.")


class QualityConfig(_Strict):
    snapshot_rows_max_ratio: float = Field(
        1.5, gt=1, description="customer_features rows changing beyond x (or 1/x) from the previous snapshot fail."
    )
    spend: SpendCheckConfig = Field(default_factory=SpendCheckConfig)
    freshness: FreshnessConfig = Field(default_factory=FreshnessConfig)


class DriftConfig(_Strict):
    psi_watch: float = Field(0.1, gt=0, description="PSI at which drift is worth watching.")
    psi_alert: float = Field(0.25, gt=0, description="PSI at which drift raises an alert.")

    @model_validator(mode="after")
    def _watch_below_alert(self) -> DriftConfig:
        if self.psi_watch >= self.psi_alert:
            raise ValueError("drift.psi_watch must be below drift.psi_alert")
        return self


class StratifyConfig(_Strict):
    base_currency: str = Field("EUR", description="ISO-4217 code every amount is converted to.")
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    sources: dict[str, SourceConfig] = Field(description="Landed sources by name; raw.<name> tables.")
    snapshots: SnapshotConfig
    quality: QualityConfig = Field(default_factory=QualityConfig)
    segment: SegmentConfig = Field(default_factory=SegmentConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)

    @field_validator("sources")
    @classmethod
    def _sources_fill_their_contracts(cls, sources: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        """Fail at load time, naming the source, when a mapping cannot fill the source's contract."""
        from pipelines.ingest.contracts import CONTRACTS

        for name, source in sources.items():
            if name not in CONTRACTS:
                raise ValueError(f"unknown source {name!r}; known sources: {sorted(CONTRACTS)}")
            contract = CONTRACTS[name]
            for fileset in source.files:
                unknown = sorted(set(fileset.columns) - set(contract.names))
                if unknown:
                    raise ValueError(
                        f"source {name} ({fileset.path}): unknown canonical columns {unknown}; "
                        f"the contract has {contract.names}"
                    )
                missing = [
                    c.name
                    for c in contract.columns
                    if c.required
                    and c.kind != "row_number"
                    and c.name not in fileset.columns
                    and c.name not in source.constants
                ]
                if missing:
                    raise ValueError(
                        f"source {name} ({fileset.path}): required columns {missing} are neither "
                        "mapped in columns nor given in constants"
                    )
        return sources


def load_config(path: str | Path) -> StratifyConfig:
    """Parse and validate a stratify.yaml; errors name the file and the offending field."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Stratify config not found: {path} (set STRATIFY_CONFIG)")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return StratifyConfig.model_validate(raw)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
