"""Resources, and the only module that reads environment variables.

Environment variables are read when a run (or the CLI) asks for them, never while a module is imported,
so the Dagster UI can reload code without side effects and tests can point STRATIFY_HOME anywhere.
The one exception is `definitions_config()`: Dagster needs the partition calendar when it loads the
code location, so the config file is read then; change it and reload the code location.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.config import StratifyConfig, load_config

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = "data"
DEFAULT_CONFIG = "stratify.yaml"


def stratify_home() -> Path:
    """STRATIFY_HOME (default ./data): landing files, warehouse, published tables and reports."""
    return Path(os.environ.get("STRATIFY_HOME", DEFAULT_HOME)).resolve()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether the warehouse has schema.name yet: stages read tables that an earlier first run creates."""
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
    return con.execute(sql, [schema, name]).fetchall()[0][0] > 0


def config_path() -> Path:
    """STRATIFY_CONFIG (default ./stratify.yaml, then the repository's copy)."""
    explicit = os.environ.get("STRATIFY_CONFIG")
    if explicit:
        return Path(explicit).resolve()
    local = Path(DEFAULT_CONFIG).resolve()
    return local if local.is_file() else REPO_ROOT / DEFAULT_CONFIG


def dagster_home(paths: StratifyPaths) -> Path:
    """DAGSTER_HOME, or a per-STRATIFY_HOME instance so CLI runs show up in the UI started by `make ui`."""
    explicit = os.environ.get("DAGSTER_HOME")
    home = Path(explicit).resolve() if explicit else paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    current = settings.read_text(encoding="utf-8") if settings.exists() else None
    if current is None or current.startswith(_MANAGED) or current == "telemetry:\n  enabled: false\n":
        settings.write_text(INSTANCE_SETTINGS, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


_MANAGED = "# Written by stratify"
# Every Stratify job carries this tag: the run queue holds runs with it to one at a time, which also
# covers runs dequeued in the same daemon tick (pools alone let a sensor's and a user's run start together).
WAREHOUSE_TAG = "stratify/warehouse"
# DuckDB allows one writer per file: every warehouse-writing asset is in the pool "warehouse", and with
# run granularity the run queue starts at most one run holding it; the others wait queued, not fail.
# Runs started outside the queue (`stratify run`) rely on the connection's own retry with back-off.
INSTANCE_SETTINGS = f"""{_MANAGED} (pipelines/resources.py); remove this line to keep your own edits.
telemetry:
  enabled: false
concurrency:
  pools:
    granularity: run
    default_limit: 1
  runs:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: {WAREHOUSE_TAG}
        limit: 1
"""


def definitions_config() -> StratifyConfig:
    """The config as of code-location load time; see the module docstring for why this exists."""
    return load_config(config_path())


@dataclass(frozen=True)
class StratifyPaths:
    """Where everything lives under one STRATIFY_HOME."""

    home: Path

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def publish(self) -> Path:
        return self.home / "publish"

    @property
    def tiers_db(self) -> Path:
        return self.publish / "tiers.duckdb"

    @property
    def parquet(self) -> Path:
        return self.publish / "parquet"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def dbt_target(self) -> Path:
        return self.home / "dbt-target"


class StratifyResource(dg.ConfigurableResource):
    """The warehouse connection, the config and the data folder, resolved at run time."""

    home: str | None = None
    config_file: str | None = None

    @property
    def paths(self) -> StratifyPaths:
        return StratifyPaths(Path(self.home).resolve() if self.home else stratify_home())

    @property
    def config(self) -> StratifyConfig:
        return load_config(Path(self.config_file) if self.config_file else config_path())

    @contextmanager
    def warehouse(self, wait: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the warehouse with the configured memory cap and spill folder.

        While another process holds the file, dagster-duckdb retries for about 100 s before raising;
        `wait=False` raises at once, for a step that retries on its own schedule (dbt_runs.retried_when_locked).
        """
        paths, wh = self.paths, self.config.warehouse
        paths.home.mkdir(parents=True, exist_ok=True)
        spill = paths.home / wh.temp_directory
        spill.mkdir(parents=True, exist_ok=True)
        settings = {
            "memory_limit": wh.memory_limit,
            "threads": wh.threads,
            "temp_directory": str(spill),
        }
        if wait:
            opened = DuckDBResource(database=str(paths.warehouse), connection_config=settings).get_connection()
        else:
            opened = duckdb.connect(str(paths.warehouse), config=settings)
        with opened as con:
            # Timestamps with time zone are read and shown in UTC whatever the machine's zone.
            con.execute("SET TimeZone = 'UTC'")
            yield con

    def pii_salt(self) -> str:
        """STRATIFY_PII_SALT, the secret mixed into every PII hash; there is deliberately no default."""
        salt = os.environ.get("STRATIFY_PII_SALT")
        if not salt:
            raise RuntimeError(
                "STRATIFY_PII_SALT is not set: PII is hashed with a secret salt at ingestion and there is no "
                "default. Set it in the environment (keep it out of the repo); `make run` sets a demo salt."
            )
        return salt

    def alert_webhook(self) -> str | None:
        """STRATIFY_ALERT_WEBHOOK, the URL drift alerts are POSTed to; unset means alerts are only recorded."""
        return os.environ.get("STRATIFY_ALERT_WEBHOOK") or None

    def export_dbt_env(self) -> None:
        """Tell dbt (profiles.yml reads env_var) which warehouse and limits to use."""
        wh = self.config.warehouse
        os.environ["STRATIFY_WAREHOUSE_PATH"] = str(self.paths.warehouse)
        os.environ["STRATIFY_DUCKDB_MEMORY_LIMIT"] = wh.memory_limit
        os.environ["STRATIFY_DUCKDB_THREADS"] = str(wh.threads)
        # dbt's connection spills to the same folder as ours, so large models degrade to disk instead of failing.
        spill = self.paths.home / wh.temp_directory
        spill.mkdir(parents=True, exist_ok=True)
        os.environ["STRATIFY_DUCKDB_TEMP_DIRECTORY"] = str(spill)
        os.environ["STRATIFY_BASE_CURRENCY"] = self.config.base_currency
        # Each home keeps its own dbt target folder: every invocation's artifacts and log, and the parse state
        # the next one starts from. Shared (dbt_project/target), homes overwrote each other's state and the
        # next invocation re-parsed the whole project (3.3 s): its warehouse path is part of dbt's profile.
        os.environ["DBT_TARGET_PATH"] = str(self.paths.dbt_target)
        # Read while dbt parses (customer_features' strategy): the same in every run, so nothing is re-parsed.
        os.environ["STRATIFY_CUSTOMER_BUCKETS"] = str(self.config.snapshots.customer_buckets)
        # A test runs only with all its parents built or upstream: dagster-dbt drops the step's --exclude when
        # a run selects some of its models (the UI's Materialize), and dbt's default (eager) then also ran the
        # tests spanning a load and a snapshot model, which fail without a snapshot date. Whole runs select
        # the same tests either way.
        os.environ["DBT_INDIRECT_SELECTION"] = "buildable"
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        os.environ.setdefault("DBT_VERSION_CHECK", "false")
