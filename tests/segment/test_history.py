"""Training and holdout snapshots sit on the snapshot calendar with their outcome windows closed."""

from datetime import date, timedelta

from pipelines.segment.history import calendar_floor, training_dates


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
