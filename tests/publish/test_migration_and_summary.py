"""tier_migration and segment_summary, the BI views, equal a pandas computation from the segments table."""

import duckdb
import numpy as np
import pandas as pd

from tests.publish.conftest import SNAPSHOTS

SEGMENTATIONS = ["tier", "rfm_segment", "value_tier", "lifecycle_stage", "cluster_name"]


def _segments(con) -> pd.DataFrame:
    frame = con.execute("SELECT * FROM segments.customer_segments").df()
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    for name in SEGMENTATIONS:  # a customer not profiled is in 'not profiled'; a profiled one without one 'unassigned'
        frame[name] = np.where(frame["profiled"], frame[name].astype(object).fillna("unassigned"), "not profiled")
    return frame


def _published(con, sql: str) -> pd.DataFrame:
    frame = con.execute(sql).df()
    for column in ("snapshot_date", "previous_snapshot_date"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def test_tier_migration_counts_each_customer_present_in_both_snapshots_once(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        segments = _segments(con)
        got = _published(con, "SELECT * FROM marts.tier_migration WHERE previous_snapshot_date IS NOT NULL")
    earlier = segments[segments["snapshot_date"] == SNAPSHOTS[0]]
    later = segments[segments["snapshot_date"] == SNAPSHOTS[1]]
    both = earlier.merge(later, on="customer_key", suffixes=("_from", "_to"))
    assert 0 < len(both) < min(len(earlier), len(later))  # some left, some joined: they must not count
    expected = pd.concat(
        both.groupby([f"{s}_from", f"{s}_to"]).size().rename("customers").reset_index()
        .set_axis(["from_segment", "to_segment", "customers"], axis=1).assign(segmentation=s)
        for s in SEGMENTATIONS
    )  # fmt: skip
    key = ["segmentation", "from_segment", "to_segment"]
    merged = got.merge(expected, on=key, how="outer", suffixes=("", "_expected"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged["customers"] == merged["customers_expected"]).all()
    assert set(got["previous_snapshot_date"]) == {SNAPSHOTS[0]} and set(got["snapshot_date"]) == {SNAPSHOTS[1]}
    shares = got.groupby(["segmentation", "from_segment"])["share_of_from_segment"].sum()
    np.testing.assert_allclose(shares, 1.0, atol=1e-9)
    share = got["customers"] / got.groupby(["segmentation", "from_segment"])["customers"].transform("sum")
    np.testing.assert_allclose(got["share_of_from_segment"].astype(float), share, atol=1e-4)


def test_segment_summary_counts_and_shares_per_market_and_in_all(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        segments = _segments(con)
        got = _published(con, "SELECT * FROM marts.segment_summary")
    rows = []
    for s in SEGMENTATIONS:
        for market_level in ("market", "ALL"):
            frame = segments.assign(market="ALL") if market_level == "ALL" else segments
            per = frame.groupby(["snapshot_date", "market", s]).agg(
                customers=("customer_key", "size"), revenue_base=("monetary_365d", "sum")
            )
            per = per.reset_index().rename(columns={s: "segment"}).assign(segmentation=s)
            rows.append(per)
    expected = pd.concat(rows)
    key = ["snapshot_date", "segmentation", "segment", "market"]
    merged = got.merge(expected, on=key, how="outer", suffixes=("", "_expected"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged["customers"] == merged["customers_expected"]).all()
    np.testing.assert_allclose(merged["revenue_base"].astype(float), merged["revenue_base_expected"], atol=0.01)
    share = got["customers"] / got.groupby(["snapshot_date", "segmentation", "market"])["customers"].transform("sum")
    np.testing.assert_allclose(got["customer_share"].astype(float), share, atol=1e-4)
