"""Fixtures of the transform tests: a small demo ingested once per module, copied into each test's home."""

import shutil

import pytest

from pipelines.demo.generator import DemoSpec, generate
from tests.conftest import REPO
from tests.jobs import run_job


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A small demo with two month ends (Oct and Nov 2025), ingested once for the module's tests."""
    template = tmp_path_factory.mktemp("dbt_runs") / "home"
    (template / "dagster").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIFY_HOME", str(template))
        mp.setenv("STRATIFY_CONFIG", str(REPO / "stratify.yaml"))
        mp.setenv("DAGSTER_HOME", str(template / "dagster"))
        mp.setenv("STRATIFY_PII_SALT", "test-salt")
        generate(DemoSpec(customers=40, days=70, seed=2), template / "landing")
        run_job("ingest_job")
    return template


@pytest.fixture
def loaded(home, ingested):
    """This test's own copy of the ingested home; dbt's artifacts and parse state stay with the template."""
    shutil.copytree(ingested, home, dirs_exist_ok=True, ignore=shutil.ignore_patterns("dbt-target"))
    return home
