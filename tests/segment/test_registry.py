"""Model versions hash their input frames: equal content must hash equal, any change must not."""

import numpy as np
import pandas as pd

from pipelines.segment.registry import fingerprint


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_key": pd.Series(["k1", "k2", None, "k4"], dtype="str"),
        "recency_days": np.array([3, 40, 7, 0], dtype="int64"),
        "monetary_365d": [10.5, np.nan, 3.25, 0.0],
        "snapshot_date": pd.to_datetime(["2025-12-31"] * 4),
        "orders": pd.array([1, None, 2, 3], dtype="Int64"),
    })  # fmt: skip


def test_equal_content_hashes_equal_however_the_frame_was_made():
    frame = _frame()
    chunked = pd.concat([_frame().iloc[:1], _frame().iloc[1:]]).reset_index(drop=True)  # text in two Arrow chunks
    assert fingerprint(frame) == fingerprint(frame.copy()) == fingerprint(chunked)
    tail = _frame().iloc[1:]  # text as a slice of the frame's Arrow array (offset 1)
    rebuilt = pd.DataFrame({name: list(tail[name]) for name in tail.columns}).astype(tail.dtypes.to_dict())
    assert fingerprint(tail) == fingerprint(rebuilt)
    assert fingerprint(frame) == fingerprint(frame.set_axis([9, 8, 7, 6]))  # the index is not content
    signed_zero = frame.assign(monetary_365d=[10.5, np.nan, 3.25, -0.0])
    assert fingerprint(signed_zero) == fingerprint(frame)  # -0.0 == 0.0, as pandas' own hash has it


def test_any_changed_value_type_or_name_changes_the_hash():
    base = fingerprint(_frame())
    changes = [
        lambda f: f.assign(customer_key=pd.Series(["k1", "k2", "", "k4"], dtype="str")),  # missing vs empty text
        lambda f: f.assign(customer_key=pd.Series(["k1k", "2", None, "k4"], dtype="str")),  # a character moved
        lambda f: f.assign(recency_days=f["recency_days"] + np.array([0, 0, 0, 1])),
        lambda f: f.assign(monetary_365d=[10.5, 0.0, 3.25, 0.0]),  # NaN vs 0
        lambda f: f.assign(orders=pd.array([1, 0, 2, 3], dtype="Int64")),
        lambda f: f.assign(recency_days=f["recency_days"].astype("int32")),
        lambda f: f.rename(columns={"orders": "orders_90d"}),
        lambda f: f.iloc[:3],
    ]
    hashes = [fingerprint(change(_frame())) for change in changes]
    assert base not in hashes and len(set(hashes)) == len(hashes)
