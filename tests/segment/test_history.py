"""Training and holdout snapshots sit on the snapshot calendar with their outcome windows closed."""

from datetime import date, timedelta

from pipelines.config import load_config
from pipelines.segment.history import calendar_floor, training_anchor, training_dates, training_plan
from tests.conftest import REPO


def test_calendar_floor_is_a_month_end_or_a_sunday():
    assert calendar_floor(date(2025, 10, 2), "monthly") == date(2025, 9, 30)
    assert calendar_floor(date(2025, 9, 30), "monthly") == date(2025, 9, 30)
    assert calendar_floor(date(2025, 10, 1), "weekly") == date(2025, 9, 28)  # a Wednesday -> the Sunday before
    assert calendar_floor(date(2025, 9, 28), "weekly") == date(2025, 9, 28)


def test_outcome_windows_close_before_the_scored_snapshot():
    snapshot = date(2025, 12, 31)
    train, holdout = training_dates(snapshot, 90, 90, "monthly")
    assert (train, holdout) == (date(2025, 6, 30), date(2025, 9, 30))
    assert holdout + timedelta(days=90) <= snapshot and train + timedelta(days=90) <= holdout


def test_training_anchor_is_the_snapshot_or_its_last_quarter_end():
    assert training_anchor(date(2025, 11, 30), "snapshot") == date(2025, 11, 30)
    assert training_anchor(date(2025, 10, 31), "quarter") == date(2025, 9, 30)
    assert training_anchor(date(2025, 11, 30), "quarter") == date(2025, 9, 30)
    assert training_anchor(date(2025, 12, 31), "quarter") == date(2025, 12, 31)  # a quarter end is its own anchor
    assert training_anchor(date(2025, 12, 28), "quarter") == date(2025, 9, 30)  # a weekly snapshot before it
    assert training_anchor(date(2026, 2, 28), "quarter") == date(2025, 12, 31)


def test_quarterly_retraining_shares_training_snapshots_across_a_fresh_run():
    """Three monthly snapshots from scratch: 4 training dates each when they move with every snapshot (12
    distinct), 6 distinct when anchored on quarter ends; no outcome window is open at its scored snapshot."""
    config = load_config(REPO / "stratify.yaml").segment
    snapshots = [date(2025, 10, 31), date(2025, 11, 30), date(2025, 12, 31)]

    def dates(retrain_every: str) -> set[date]:
        seg = config.model_copy(update={"retrain_every": retrain_every})
        plans = [training_plan(s, seg, "monthly") for s in snapshots]
        for snapshot, plan in zip(snapshots, plans, strict=True):
            assert (
                plan["churn"][1] + timedelta(days=90) <= snapshot and plan["clv"][1] + timedelta(days=365) <= snapshot
            )
        return {day for plan in plans for pair in plan.values() for day in pair}

    assert len(dates("snapshot")) == 12 and len(dates("quarter")) == 6
