"""The customer_features suite with one clean and one dirty frame, through real Great Expectations."""

import pandas as pd
import pytest

from pipelines.quality.suites import load_suite_files, validate


@pytest.fixture(scope="module")
def suite():
    return next(s for s in load_suite_files() if s.name == "customer_features")


def _features(**overrides):
    frame = pd.DataFrame(
        {
            "customer_key": ["a", "b", "c"],
            "snapshot_date": pd.to_datetime(["2025-01-31"] * 3),
            "recency_days": [1, 10, 100],
            "frequency_365d": [5, 2, 0],
            "monetary_365d": [100.0, 20.0, 0.0],
            "tenure_days": [300, 200, 150],
            "first_order_date": pd.to_datetime(["2024-04-01"] * 3),
            "last_order_date": pd.to_datetime(["2025-01-30"] * 3),
            "return_rate": [0.0, 0.5, None],
            "discount_share": [0.1, 0.0, None],
            "spend_share_pos": [1.0, 0.5, 0.0],
            "spend_share_ecommerce": [0.0, 0.5, 0.0],
            "spend_share_app": [0.0] * 3,
            "spend_share_marketplace": [0.0] * 3,
            "spend_share_orders": [0.0] * 3,
            "top_category_share": [1.0, 0.6, None],
            "age_band": ["25-34", "unknown", "65+"],
            "has_profiling_consent": [True, False, True],
        }
    )
    return frame.assign(**overrides)


def test_suite_file_declares_what_it_guards(suite):
    assert (suite.table, suite.severity, suite.snapshot_column) == ("marts.customer_features", "ERROR", "snapshot_date")


def test_clean_features_pass(suite):
    evaluated, failures = validate(_features(), suite)
    assert evaluated >= 8 and failures == []


def test_dirty_features_fail_naming_column_and_rows(suite):
    _, failures = validate(_features(recency_days=[1, -5, 100], customer_key=["a", "a", "c"]), suite)
    described = {(f.expectation, f.column) for f in failures}
    assert ("expect_column_values_to_be_between", "recency_days") in described
    assert ("expect_column_values_to_be_unique", "customer_key") in described
    negative = next(f for f in failures if f.column == "recency_days")
    assert negative.unexpected_count == 1 and -5 in negative.sample
    assert "recency_days" in negative.describe()
    assert negative.rows == [{"recency_days": -5, "customer_key": "a"}] and "'customer_key': 'a'" in negative.describe()


def test_offending_rows_are_found_whatever_the_frame_index(suite):
    """Rows are looked up by the labels GX returns: a frame's index (gaps, any order, a label twice, as
    after a concat) must not point the message at another customer or at two."""
    frame = _features(recency_days=[1, 10, -7]).set_axis([7, 3, 7])
    (failure,) = validate(frame, suite)[1]
    assert failure.rows == [{"recency_days": -7, "customer_key": "c"}]
