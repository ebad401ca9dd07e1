"""The typed view of stratify.yaml: the one place the file is parsed.

Every stage reads settings through `StratifyConfig` so a typo in the YAML fails at load time with the
field's path, not deep inside a run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

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


class SourceConfig(_Strict):
    contract: Literal["order_lines"] = Field(description="Canonical shape the source fills.")
    path: str = Field(description="Glob of the source's files under the landing folder.")
    format: Literal["csv", "parquet", "jsonl"] = Field("csv", description="File format.")
    csv: CsvOptions = Field(default_factory=CsvOptions, description="Options for format csv.")
    columns: dict[str, str] = Field(description="Canonical column name -> column name in the file.")


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
    segment: SegmentConfig = Field(default_factory=SegmentConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)

    @field_validator("sources")
    @classmethod
    def _names_are_identifiers(cls, sources: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        for name in sources:
            if not name.isidentifier() or name != name.lower():
                raise ValueError(
                    f"source name {name!r} must be a lower-case identifier (it names raw.{name})"
                )
        if not sources:
            raise ValueError("at least one source is needed")
        return sources

    def sources_of(self, contract: str) -> dict[str, SourceConfig]:
        """Sources filling one canonical contract, in config order."""
        return {name: s for name, s in self.sources.items() if s.contract == contract}


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
