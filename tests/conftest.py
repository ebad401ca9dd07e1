"""Shared fixtures. Every test gets its own STRATIFY_HOME; nothing touches ./data."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DBT_VERSION_CHECK", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from pipelines.transform.project import prepare_manifest  # noqa: E402

# The Dagster definitions read the dbt manifest when imported, as under `dagster dev`.
prepare_manifest()

REPO = Path(__file__).resolve().parent.parent

# SIGINT raises KeyboardInterrupt in every test process, as in a pytest started from a terminal. One started in
# the background (`&`, nohup, a CI runner) has SIGINT ignored; a Dagster run on the main thread maps SIGTERM to
# SIGINT's handler, so SIGTERM was ignored from then on, and the log-capture `tail` processes of later runs off
# the main thread inherited that: the end of each of their steps waited 2 x 30 s for them to stop.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files holding slow tests first. `make test` hands whole files to its workers (--dist loadfile) in
    collection order, so a long file collected late ran alone at the end while the other worker idled."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: each file's tests stay together, in order


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh STRATIFY_HOME (and Dagster instance) for one test."""
    data = tmp_path / "home"
    data.mkdir()
    monkeypatch.setenv("STRATIFY_HOME", str(data))
    monkeypatch.setenv("STRATIFY_CONFIG", str(REPO / "stratify.yaml"))
    (data / "dagster").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(data / "dagster"))  # restored after the test, unlike a bare set
    monkeypatch.setenv("STRATIFY_PII_SALT", "test-salt")
    return data
