"""Quality gates on generated incidents, through the same runner `stratify run` uses."""

import io
import re
from datetime import date

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.runner import run_pipeline
from pipelines.resources import StratifyResource

pytestmark = pytest.mark.slow
LAST = (date(2025, 12, 31), date(2025, 12, 31))


def _run(snapshots=LAST):
    said: list[str] = []
    outcome = run_pipeline(
        defs, dg.DagsterInstance.ephemeral(), StratifyResource(), snapshots, io.StringIO(), said.append
    )
    return outcome, "\n".join(said)


@pytest.fixture
def landing(home):
    return home / "landing"


def test_amounts_in_cents_stop_the_run_and_leave_published_tiers_alone(home, landing):
    generate(DemoSpec(customers=400, days=240, seed=4, incidents=("cents",)), landing)
    # December (when the cents start) lands after a first, clean run has published tiers.
    late = [p for p in landing.rglob("*2025-12*") if not {"_truth", "crm"} & set(p.parts)]
    held = {p: home / "held" / p.relative_to(landing) for p in late}
    for src, dst in held.items():
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)
    outcome, _ = _run((date(2025, 11, 30), date(2025, 11, 30)))
    assert outcome.ok, outcome.failures
    published = (home / "publish" / "tiers.duckdb").read_bytes()
    for src, dst in held.items():
        dst.rename(src)

    outcome, said = _run()
    assert not outcome.ok
    failure = next(f for f in outcome.failures if "spend_distribution" in f)
    assert re.search(r"ecommerce in [A-Z]{2}: mean line spend .* \(x\d{2,3}\.\d\)", failure), failure
    assert "snapshot_job" not in said  # nothing downstream ran
    assert (home / "publish" / "tiers.duckdb").read_bytes() == published
    report = (home / "reports" / "quality" / "index.html").read_text()
    assert "spend_distribution" in report and "ecommerce" in report


def test_a_silent_channel_fails_freshness(home, landing):
    generate(DemoSpec(customers=300, days=200, seed=5, incidents=("silent_channel",)), landing)
    outcome, _ = _run()
    failure = next(f for f in outcome.failures if "channel_freshness" in f)
    assert "app: latest order" in failure and "days behind" in failure


def test_missing_birth_years_warn_the_run_goes_on_and_nothing_else_fails(home, landing):
    """The incident touches the CRM's birth years only; the rest of the demo is clean, so every other check
    of every stage passes (what a clean run must do)."""
    generate(DemoSpec(customers=300, days=200, seed=6, incidents=("crm_birth_years",)), landing)
    outcome, said = _run()
    assert outcome.ok, outcome.failures
    assert "raw/crm_customers:expectations failed (WARN)" in said and "birth_year" in said
    failed = [line for line in said.splitlines() if " failed (" in line]
    assert failed and all("raw/crm_customers:expectations failed (WARN)" in line for line in failed), failed
    assert "checks: " in said and (home / "publish" / "tiers.duckdb").exists()
