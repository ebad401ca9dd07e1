"""The typed view of stratify.yaml: the one place the file is parsed.

Every stage reads settings through `StratifyConfig` so a typo in the YAML fails at load time with the
field's path, not deep inside a run.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
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
    lock_retries: int = Field(
        4, ge=0, description="Times a dbt step retries while another process holds the warehouse file."
    )
    lock_retry_delay_seconds: float = Field(
        10.0, gt=0, description="Wait before the first such retry; doubled for each next one."
    )

    @field_validator("memory_limit")
    @classmethod
    def _duckdb_reads_it(cls, value: str) -> str:
        """DuckDB itself judges the value (4GB, 500 MiB, 80%), here, so that a bad one is an error naming this
        field when the config loads, not a parser error in every step that opens the warehouse."""
        import duckdb

        from pipelines.sql_literals import sql_str

        with duckdb.connect() as con:
            try:
                con.execute(f"SET memory_limit = {sql_str(value)}")
            except duckdb.Error as exc:
                message = f"{value!r} is not a memory size DuckDB reads (e.g. 4GB, 3.5GiB, 80%): {exc}"
                raise ValueError(message) from None
        return value


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

    def provides(self, column: str) -> bool:
        """True when some file set maps the canonical column or a constant fills it."""
        return column in self.constants or any(column in f.columns for f in self.files)

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
    dates_per_build: int = Field(
        5,
        ge=1,
        description=(
            "Snapshot dates one customer_features statement builds: a partition and the earlier snapshots its "
            "models train on (up to 4 more). Fewer need less memory (DuckDB keeps distinct counts "
            "in memory instead of spilling them); each extra statement costs a dbt call (about 7 s when "
            "dbt ran as a subprocess; its start-up is about 0.3 s now that it runs in the step's process)."
        ),
    )
    customer_buckets: int = Field(
        1,
        ge=1,
        le=64,
        description=(
            "Shares of the customers customer_features builds one statement each (by a hash of customer_key). "
            "Each statement holds 1/customer_buckets of the per-customer rows, so memory falls with it; each "
            "extra statement costs a dbt call. 50M order lines at a 3 GB DuckDB limit need 2."
        ),
    )


class RfmRule(_Strict):
    """One row of the RFM rule table: a segment and the scores it covers."""

    segment: str = Field(min_length=1, description="Segment name given to customers matching this rule.")
    r: tuple[int, int] = Field(description="Inclusive [low, high] range of the recency score R.")
    fm: tuple[float, float] = Field(
        description="Inclusive [low, high] range of (F + M) / 2, the mean of the frequency and monetary scores."
    )

    @model_validator(mode="after")
    def _ranges_not_reversed(self) -> RfmRule:
        for name in ("r", "fm"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"rule {self.segment!r}: {name} range [{low}, {high}] is reversed")
        return self


class RfmConfig(_Strict):
    """Within-market RFM scores and the ordered rule table that names segments from them."""

    levels: int = Field(5, ge=2, le=10, description="Scores run 1..levels (5: quintiles within each market).")
    rules: tuple[RfmRule, ...] = Field(
        # The common 11-segment RFM map on R x (F + M) / 2, ordered so the first match tiles the grid.
        default=tuple(
            RfmRule(segment=segment, r=r, fm=fm)
            for segment, r, fm in [
                ("Champions", (4, 5), (4, 5)),
                ("Loyal", (3, 5), (3, 5)),
                ("Cannot Lose Them", (1, 1), (4, 5)),
                ("At Risk", (1, 2), (3, 5)),
                ("New", (4, 5), (1, 1.5)),
                ("Promising", (3, 3), (1, 1.5)),
                ("Potential Loyalist", (4, 5), (2, 3)),
                ("Need Attention", (2, 3), (2, 3)),
                ("About to Sleep", (2, 3), (1, 2)),
                ("Hibernating", (1, 1), (1.5, 3)),
                ("Lost", (1, 5), (1, 5)),
            ]
        ),
        min_length=1,
        description="Ordered rules on R and (F + M) / 2; the first match names the segment, the last catches all.",
    )

    @model_validator(mode="after")
    def _rules_in_range_reachable_and_total(self) -> RfmConfig:
        """Fail at load time on a range outside the scores, a rule no score reaches, or no catch-all last."""
        top = self.levels
        for i, rule in enumerate(self.rules):
            if rule.r[0] < 1 or rule.r[1] > top or rule.fm[0] < 1 or rule.fm[1] > top:
                raise ValueError(f"rfm.rules[{i}] ({rule.segment}): ranges must lie within 1..{top}")
        last = self.rules[-1]
        if last.r != (1, top) or last.fm != (1, top):
            raise ValueError(f"rfm.rules: the last rule ({last.segment}) must catch all, with r and fm [1, {top}]")
        # F + M takes every integer 2..2*levels, so (F + M) / 2 every half step: a small grid to walk.
        first_match = {
            next(i for i, x in enumerate(self.rules) if x.r[0] <= r <= x.r[1] and x.fm[0] <= s / 2 <= x.fm[1])
            for r in range(1, top + 1)
            for s in range(2, 2 * top + 1)
        }
        dead = [f"rules[{i}] ({x.segment})" for i, x in enumerate(self.rules) if i not in first_match]
        if dead:
            raise ValueError(f"rfm.rules: {', '.join(dead)} never match: earlier rules take all their scores")
        return self


class ValueTierConfig(_Strict):
    """Value tiers by cumulative share of a market's revenue, biggest spenders first."""

    tier_names: tuple[str, ...] = Field(
        default=("high", "mid", "low"), min_length=2, description="Tier names, highest value first."
    )
    cumulative_shares: tuple[float, ...] = Field(
        default=(0.5, 0.8),
        description=(
            "Share of the market's revenue covered by the tiers up to and including each tier but the last "
            "(0.5, 0.8: high = top 50%, mid = next 30%, low = the rest)."
        ),
    )

    @model_validator(mode="after")
    def _shares_fit_names(self) -> ValueTierConfig:
        if len(set(self.tier_names)) != len(self.tier_names):
            raise ValueError(f"value.tier_names must be distinct, got {list(self.tier_names)}")
        if len(self.cumulative_shares) != len(self.tier_names) - 1:
            raise ValueError(
                f"value.cumulative_shares needs one share per tier but the last: {len(self.tier_names) - 1} "
                f"for {list(self.tier_names)}, got {list(self.cumulative_shares)}"
            )
        shares = (0.0, *self.cumulative_shares, 1.0)
        if any(low >= high for low, high in zip(shares, shares[1:], strict=False)):
            raise ValueError(
                f"value.cumulative_shares must increase strictly within (0, 1), got {list(self.cumulative_shares)}"
            )
        return self


class LifecycleConfig(_Strict):
    """Lifecycle stages judged against each customer's own order rhythm."""

    new_days: int = Field(90, ge=0, description="A customer whose first order is at most this many days old is new.")
    new_max_orders: int = Field(
        2, ge=1, description="Most orders a new customer can have; a single gap is not yet a rhythm."
    )
    default_gap_days: float = Field(
        60, gt=0, description="Typical gap assumed for customers without one (fewer than two order dates)."
    )
    min_gap_days: float = Field(
        14, gt=0, description="Floor on the typical gap, so a week's pause does not churn a near-daily buyer."
    )
    active_factor: float = Field(1.5, gt=0, description="Active while recency <= active_factor x typical gap.")
    at_risk_factor: float = Field(3.0, gt=0, description="At risk while recency <= at_risk_factor x typical gap.")
    churned_factor: float = Field(
        6.0, gt=0, description="Dormant while recency <= churned_factor x typical gap; churned beyond."
    )
    churned_after_days: int = Field(
        365, ge=1, description="Hard cap: this many days without an order is churned, whatever the rhythm."
    )

    @model_validator(mode="after")
    def _factors_ordered(self) -> LifecycleConfig:
        if not self.active_factor < self.at_risk_factor:
            raise ValueError(
                f"lifecycle.at_risk_factor ({self.at_risk_factor}) must be above active_factor ({self.active_factor})"
            )
        if not self.at_risk_factor < self.churned_factor:
            raise ValueError(
                f"lifecycle.churned_factor ({self.churned_factor}) must be above at_risk_factor ({self.at_risk_factor})"
            )
        return self


class ClusterConfig(_Strict):
    """Behavioural clusters: k chosen by silhouette, names kept across snapshots by centroid matching."""

    k_min: int = Field(4, ge=2, description="Fewest clusters tried.")
    k_max: int = Field(8, ge=2, description="Most clusters tried; the best silhouette in [k_min, k_max] wins.")
    sample_size: int = Field(
        5000, ge=100, description="Seeded sample on which k is chosen (silhouette costs the square of the rows)."
    )
    minibatch_above: int = Field(
        200_000, ge=1, description="Above this many customers MiniBatchKMeans is fitted instead of KMeans."
    )
    k_tolerance: float = Field(
        0.02,
        ge=0,
        description="Silhouettes within this of the best count as equal: the previous snapshot's k is kept if "
        "among them (stable names), else the smallest such k (fewer segments to act on).",
    )
    k_keep_tolerance: float = Field(
        0.05,
        ge=0,
        description="The previous snapshot's k is kept while its silhouette is within this of the best: "
        "a new k (new clusters, new names) needs a clear gain, not a month's noise.",
    )
    n_init: int = Field(10, ge=1, description="KMeans restarts; the best inertia wins.")
    warm_start_tolerance: float = Field(
        0.02,
        ge=0,
        description=(
            "A re-fit with the previous snapshot's k also starts KMeans from the previous centroids, and keeps "
            "that solution unless the fresh restarts' inertia is lower by more than this share. Clusters in "
            "spend data are weakly separated; fresh restarts can settle on another partition of nearly equal "
            "inertia and move a third of the customers to other names."
        ),
    )
    match_max_distance: float = Field(
        2.0,
        gt=0,
        description="A cluster whose centroid lies further than this (standardised units) from every previous "
        "centroid is new and gets a new name instead of inheriting one.",
    )
    switch_margin: float = Field(
        0.1,
        ge=0,
        description=(
            "A customer keeps last snapshot's cluster name while that cluster's centroid is at most this much "
            "farther (as a share of the distance) than the nearest one; 0 always takes the nearest. Customers "
            "near a boundary otherwise change name with a month of noise."
        ),
    )
    rule_depth: int = Field(4, ge=1, le=6, description="Depth of the decision tree that explains the clusters.")

    @model_validator(mode="after")
    def _k_range(self) -> ClusterConfig:
        if self.k_min > self.k_max:
            raise ValueError(f"clusters.k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        return self


class ChurnConfig(_Strict):
    """Churn propensity: will the customer order within the horizon? Trained and tested on earlier snapshots."""

    horizon_days: int = Field(90, ge=7, description="A customer without an order in this many days has churned.")
    model: Literal["logistic", "gradient_boosting"] = Field("logistic", description="Classifier fitted.")
    min_customers: int = Field(
        50, ge=10, description="Fewer customers in the training or holdout snapshot: no model, churn_risk empty."
    )
    reliability_bins: int = Field(10, ge=2, description="Bins of the reliability (calibration) table.")


class ValueModelConfig(_Strict):
    """Expected value: net spend over the horizon, against the naive forecast 'same as the last 365 days'."""

    horizon_days: int = Field(365, ge=30, description="Days of future net spend predicted.")
    training_lag_days: int = Field(
        90,
        ge=1,
        description="The training snapshot lies this many days (rounded to the calendar) before the holdout. "
        "Below horizon_days their label windows overlap: needed when history is shorter than three horizons.",
    )
    min_customers: int = Field(50, ge=10, description="Fewer customers: no model, expected_value_365d empty.")


class SegmentConfig(_Strict):
    tier_names: list[str] = Field(
        default=["platinum", "gold", "silver", "bronze"],
        min_length=2,
        description="Tier names, highest value first: clusters ranked by mean spend are spread over them.",
    )
    random_seed: int = Field(42, description="Seed for clustering and models, so re-runs give the same result.")
    clusters: ClusterConfig = Field(default_factory=ClusterConfig, description="Behavioural clusters.")
    churn: ChurnConfig = Field(default_factory=ChurnConfig, description="Churn propensity model.")
    value_model: ValueModelConfig = Field(default_factory=ValueModelConfig, description="Expected value model.")
    retrain_every: Literal["snapshot", "quarter"] = Field(
        "quarter",
        description="How often the churn and value models' training windows move: with every snapshot, or at "
        "each calendar quarter end (the snapshots of a quarter count back from its last quarter end on or before "
        "them, so they share training snapshots: a monthly schedule builds two training dates a quarter, not two a "
        "month, and a first run of three monthly snapshots 9 feature dates, not 15). Per quarter, models are up to "
        "two months older with monthly snapshots, a quarter with weekly ones, and early in a short history a "
        "training date before the first order leaves a model unfitted.",
    )
    require_consent: bool = Field(
        True,
        description="Profile only customers with profiling consent (CRM); false when another legal basis applies "
        "or no consent data exists. Customers not profiled stay listed with profiled = false and the reason.",
    )
    fit_sample_size: int = Field(
        100_000,
        ge=100,
        description="Most customers a fit learns from where a sample serves as well as everyone: the churn and "
        "value models' training and holdout snapshots, the skew transform before clustering and the rule tree "
        "that explains the clusters. Larger snapshots are sampled (seeded); every customer is still clustered "
        "and scored. On the demo the churn model's holdout AUC and the value model's error stop improving "
        "between 5,000 and 10,000 training customers.",
    )
    rfm: RfmConfig = Field(default_factory=RfmConfig, description="RFM scores and the segment rule table.")
    value: ValueTierConfig = Field(default_factory=ValueTierConfig, description="Revenue-share value tiers.")
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig, description="Lifecycle stage thresholds.")

    @model_validator(mode="after")
    def _sample_can_fit_the_models(self) -> SegmentConfig:
        least = max(self.churn.min_customers, self.value_model.min_customers)
        if self.fit_sample_size < least:
            raise ValueError(
                f"segment.fit_sample_size ({self.fit_sample_size}) is below the models' min_customers ({least}): "
                "no churn or value model would ever be fitted"
            )
        return self


class SpendCheckConfig(_Strict):
    recent_days: int = Field(30, ge=1, description="Days (data clock) judged against the baseline.")
    baseline_days: int = Field(180, ge=1, description="Days before the recent window that set the expected level.")
    max_ratio: float = Field(
        3.0, gt=1, description="Mean or quantile of line spend moving beyond x ratio (or 1/x) fails."
    )
    min_lines: int = Field(50, ge=1, description="Channel/market groups with fewer recent lines are not judged.")


class FreshnessConfig(_Strict):
    max_lag_days: int = Field(
        7,
        ge=0,
        description="A channel whose latest order, or a foreign currency of recent lines whose latest FX rate, is "
        "more days older than the latest order overall fails.",
    )
    severity: Literal["ERROR", "WARN"] = Field("ERROR", description="ERROR stops the run; WARN only reports.")


class QualityConfig(_Strict):
    snapshot_rows_max_ratio: float = Field(
        1.5, gt=1, description="customer_features rows changing beyond x (or 1/x) from the previous snapshot fail."
    )
    spend: SpendCheckConfig = Field(default_factory=SpendCheckConfig)
    freshness: FreshnessConfig = Field(default_factory=FreshnessConfig)


class DriftAlertConfig(_Strict):
    """Delivery of drift alerts to the webhook in STRATIFY_ALERT_WEBHOOK."""

    retries: int = Field(3, ge=0, description="Further attempts after a failed delivery.")
    backoff_seconds: float = Field(1.0, ge=0, description="Wait before the first retry; doubles after each.")
    timeout_seconds: float = Field(5.0, gt=0, description="Per-attempt HTTP timeout.")


class DriftActivityConfig(_Strict):
    """Activity drift: the orders of the snapshot's period against the reference period's, per order country.

    An effect decides the level (watch / alert) only when its test tells it from chance (p < p_value); markets
    with fewer purchase orders than min_orders in either period are not judged.
    """

    order_value_watch: float = Field(
        0.10, gt=0, description="Relative change of the mean order value (spend per order) worth watching."
    )
    order_value_alert: float = Field(
        0.25, gt=0, description="Relative change of the mean order value that raises an alert (0.25: +-25%)."
    )
    share_watch: float = Field(
        0.04, gt=0, lt=1, description="Change of a channel's share of orders worth watching (0.04: 4 points)."
    )
    share_alert: float = Field(
        0.08, gt=0, lt=1, description="Change of a channel's share of orders that raises an alert (0.08: 8 points)."
    )
    p_value: float = Field(
        0.001,
        gt=0,
        lt=1,
        description="Welch t-test (order value) / two-proportion z-test (channel share) p-value below which a "
        "change counts; ~30 comparisons per snapshot, so stricter than the feature tests.",
    )
    min_orders: int = Field(
        100, ge=1, description="Markets with fewer purchase orders in either period are not judged."
    )

    @model_validator(mode="after")
    def _watch_below_alert(self) -> DriftActivityConfig:
        if self.order_value_watch >= self.order_value_alert or self.share_watch >= self.share_alert:
            raise ValueError("drift.activity: each *_watch must be below its *_alert")
        return self


class DriftConfig(_Strict):
    psi_watch: float = Field(0.1, gt=0, description="PSI at which drift is worth watching.")
    psi_alert: float = Field(0.25, gt=0, description="PSI at which drift raises an alert.")
    reference: str = Field(
        "previous",
        description="Snapshot each one is compared with: previous (the latest before it), first (the earliest "
        "built, a fixed baseline) or an ISO date of a built snapshot.",
    )
    min_group_size: int = Field(
        200, ge=1, description="Markets with fewer customers in either snapshot are not judged (PSI is noisy)."
    )
    p_value: float = Field(
        0.01,
        gt=0,
        lt=1,
        description="KS / chi-square p-value below which a change is significant; PSI at the alert threshold "
        "without a significant test is reported as watch only.",
    )
    bins: int = Field(10, ge=2, le=50, description="Quantile bins of numeric features, fixed on the reference.")
    numeric_features: tuple[str, ...] = Field(
        default=(
            "recency_days",
            "frequency_365d",
            "monetary_365d",
            "orders_90d",
            "monetary_90d",
            "avg_order_value_365d",
            "return_rate",
            "discount_share",
            "distinct_channels",
            "spend_share_pos",
            "spend_share_ecommerce",
            "spend_share_app",
            "spend_share_marketplace",
        ),  # fmt: skip
        description="Numeric columns of marts.customer_features whose drift is measured.",
    )
    categorical_features: tuple[str, ...] = Field(
        default=("last_channel", "top_category", "age_band", "gender"),
        description="Categorical columns of marts.customer_features whose drift is measured.",
    )
    segmentations: tuple[str, ...] = Field(
        default=("rfm_segment", "value_tier", "lifecycle_stage", "cluster_name", "tier"),
        description="Columns of segments.customer_segments whose distribution and migration are measured.",
    )
    movements: dict[str, tuple[tuple[str, str], ...]] = Field(
        default_factory=lambda: {
            "rfm_segment": (("Champions", "At Risk"), ("Champions", "Cannot Lose Them"), ("Loyal", "At Risk")),
            "value_tier": (("high", "low"), ("high", "mid")),
            "lifecycle_stage": (("active", "at_risk"), ("active", "churned")),
        },
        description="Per segmentation, the [from, to] moves a CRM team wants called out in the report.",
    )
    activity: DriftActivityConfig = Field(
        default_factory=DriftActivityConfig,
        description="Activity drift: spend per order and channel mix of the snapshot's period vs the reference's.",
    )
    alert: DriftAlertConfig = Field(default_factory=DriftAlertConfig, description="Webhook alert delivery.")

    @model_validator(mode="after")
    def _watch_below_alert(self) -> DriftConfig:
        if self.psi_watch >= self.psi_alert:
            raise ValueError("drift.psi_watch must be below drift.psi_alert")
        if self.reference not in ("previous", "first"):
            try:
                date.fromisoformat(self.reference)
            except ValueError:
                raise ValueError(
                    f"drift.reference must be previous, first or a date (YYYY-MM-DD), got {self.reference!r}"
                ) from None
        unknown = sorted(set(self.movements) - set(self.segmentations))
        if unknown:
            raise ValueError(f"drift.movements: {unknown} are not in drift.segmentations")
        return self


class ScheduleConfig(_Strict):
    """When the Dagster daemon runs Stratify unattended."""

    timezone: str = Field("UTC", description="IANA time zone the cron expressions are read in.")
    ingest_cron: str = Field("0 2 * * *", description="Cron of the daily ingestion run (the landing sensor adds more).")
    snapshot_cron: str = Field(
        "0 4 1 * *",
        description="Cron of the stratification run; each tick builds the latest snapshot period that has closed "
        "by then, and everything downstream of it.",
    )
    running_by_default: bool = Field(True, description="Schedules start switched on in a new Dagster instance.")

    @field_validator("ingest_cron", "snapshot_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"expected a 5-field cron expression, got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)  # raises for an unknown zone
        return value


class StratifyConfig(_Strict):
    base_currency: str = Field("EUR", description="ISO-4217 code every amount is converted to.")
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    sources: dict[str, SourceConfig] = Field(description="Landed sources by name; raw.<name> tables.")
    snapshots: SnapshotConfig
    quality: QualityConfig = Field(default_factory=QualityConfig)
    segment: SegmentConfig = Field(default_factory=SegmentConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
    schedules: ScheduleConfig = Field(default_factory=ScheduleConfig)
    owners: list[str] = Field(
        default_factory=lambda: ["team:data-engineering"],
        description="Owners shown on every asset in the Dagster UI: e-mail addresses or team:<name>.",
    )

    @field_validator("base_currency")
    @classmethod
    def _iso_code(cls, value: str) -> str:
        """Upper-cased as the loader normalises every line's currency: 'gbp' matched no line's 'GBP', and every
        amount came out empty."""
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"expected a three-letter ISO-4217 code such as EUR or GBP, got {value!r}")
        return code

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


class ConfigError(ValueError):
    """The config file is missing, not YAML, or not valid: the user's to fix, so the CLI prints the message (file
    and field) without a traceback."""


class ConfigNotFound(ConfigError, FileNotFoundError):
    """A FileNotFoundError too, for callers that check for a missing file whatever its kind."""


def load_config(path: str | Path) -> StratifyConfig:
    """Parse and validate a stratify.yaml; errors name the file and the offending field."""
    path = Path(path)
    if not path.is_file():
        raise ConfigNotFound(f"Stratify config not found: {path} (set STRATIFY_CONFIG)")
    stat = path.stat()
    return _parse_config(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _parse_config(path: Path, mtime_ns: int, size: int) -> StratifyConfig:
    """One parse per version of the file: steps read the config many times, and it is frozen, so shared.

    mtime and size are in the key so that an edited file is parsed again.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:  # its own message says '<unicode string>', not the file
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return StratifyConfig.model_validate(raw)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
