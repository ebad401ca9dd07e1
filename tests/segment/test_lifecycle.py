from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipelines.config import LifecycleConfig, load_config
from pipelines.segment.lifecycle import STAGES, assign_lifecycle

REPO = Path(__file__).resolve().parents[2]
CFG = LifecycleConfig()  # new <= 90 days and <= 2 orders; gap floor 14, default 60; x1.5 / x3 / x6; cap 365


def _customers(*rows):
    """Rows of (recency_days, tenure_days, frequency_365d, median_days_between_orders)."""
    columns = ["recency_days", "tenure_days", "frequency_365d", "median_days_between_orders"]
    return pd.DataFrame(rows, columns=columns).astype({"median_days_between_orders": "float64"})


def test_same_recency_is_judged_against_each_customers_own_rhythm():
    # 60 days since the last order: four gaps for a fortnightly buyer, a normal pause for a bimonthly one.
    stages = assign_lifecycle(_customers((60, 700, 20, 15.0), (60, 700, 6, 60.0), (60, 700, 24, 20.0)), CFG)
    assert stages.tolist() == ["dormant", "active", "at_risk"]


@pytest.mark.parametrize(
    ("recency", "stage"),
    [(30, "active"), (31, "at_risk"), (60, "at_risk"), (61, "dormant"), (120, "dormant"), (121, "churned")],
)
def test_stage_boundaries_are_inclusive_multiples_of_the_gap(recency, stage):
    assert assign_lifecycle(_customers((recency, 700, 5, 20.0)), CFG).tolist() == [stage]


def test_hard_cap_churns_whatever_the_rhythm():
    # A gap of 100 days would allow 600 days of dormancy; a year without an order is churn regardless.
    stages = assign_lifecycle(_customers((364, 2000, 4, 100.0), (365, 2000, 4, 100.0), (150, 2000, 4, 100.0)), CFG)
    assert stages.tolist() == ["dormant", "churned", "active"]


def test_new_customers_by_tenure_and_order_count():
    stages = assign_lifecycle(
        _customers(
            (80, 90, 1, None),  # first order 90 days ago, one order: new even though long silent
            (5, 40, 2, 35.0),  # two orders within new_days: one gap is not yet a rhythm
            (5, 40, 3, 17.0),  # three orders: judged on rhythm
            (91, 91, 1, None),  # one day past new_days: judged against the default gap of 60
        ),
        CFG,
    )
    assert stages.tolist() == ["new", "new", "active", "at_risk"]


def test_customers_without_a_gap_use_the_default_and_short_gaps_the_floor():
    stages = assign_lifecycle(_customers((100, 400, 1, None), (30, 400, 1, None), (30, 400, 50, 2.0)), CFG)
    # default gap 60: 100 <= 180 at risk, 30 <= 90 active; gap 2 floored to 14: 30 <= 42 at risk.
    assert stages.tolist() == ["at_risk", "active", "at_risk"]


def test_every_customer_gets_one_known_stage_and_the_index_is_kept():
    features = _customers((0, 0, 1, None), (400, 900, 0, 30.0), (10, 300, 4, 30.0)).set_axis(["a", "b", "c"])
    stages = assign_lifecycle(features, CFG)
    assert stages.to_dict() == {"a": "new", "b": "churned", "c": "active"} and set(stages) <= set(STAGES)


def test_thresholds_come_from_config():
    cfg = LifecycleConfig(active_factor=1, at_risk_factor=2, churned_factor=3, churned_after_days=1000)
    assert assign_lifecycle(_customers((25, 700, 5, 20.0), (70, 700, 5, 20.0)), cfg).tolist() == ["at_risk", "churned"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"active_factor": 3.0, "at_risk_factor": 2.0}, r"lifecycle\.at_risk_factor \(2\.0\) must be above active"),
        ({"churned_factor": 3.0}, r"lifecycle\.churned_factor \(3\.0\) must be above at_risk_factor"),
        ({"min_gap_days": 0}, r"min_gap_days\n.*greater than 0"),
    ],
)
def test_unordered_thresholds_are_refused_naming_the_field(tmp_path, change, message):
    raw = yaml.safe_load((REPO / "stratify.yaml").read_text())
    raw["segment"]["lifecycle"].update(change)
    path = tmp_path / "stratify.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=rf"(?s)segment\.lifecycle.*{message}"):
        load_config(path)
