from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from pipelines.config import RfmConfig, RfmRule, SegmentConfig, load_config
from pipelines.segment.rfm import name_rfm_segments, score_rfm

REPO = Path(__file__).resolve().parents[2]
CFG = RfmConfig()
SEGMENTS = [
    "Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention",
    "About to Sleep", "At Risk", "Cannot Lose Them", "Hibernating", "Lost",
]  # fmt: skip


def _market(market, n, spend_scale, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_key": [f"{market}{i}" for i in range(n)],
            "home_market": market,
            "recency_days": rng.permutation(n),
            "frequency_365d": rng.permutation(n) + 1,
            "monetary_365d": (rng.permutation(n) + 1) * spend_scale,
        }
    )


def _grid(cells):
    return pd.DataFrame(cells, columns=["rfm_r", "rfm_f", "rfm_m"])


def test_scores_are_quantiles_within_each_market():
    # Every Japanese customer outspends every German one; scored within market, both still span 1..5.
    features = pd.concat([_market("DE", 100, 1.0, 0), _market("JP", 100, 1000.0, 1)], ignore_index=True)
    scored = score_rfm(features, CFG)
    for market, group in scored.groupby("home_market"):
        for column in ["rfm_r", "rfm_f", "rfm_m"]:
            assert group[column].value_counts().sort_index().to_dict() == {s: 20 for s in range(1, 6)}, market
    jp = scored[scored["home_market"] == "JP"]
    assert jp.loc[jp["monetary_365d"].idxmax(), "rfm_m"] == 5 and jp.loc[jp["monetary_365d"].idxmin(), "rfm_m"] == 1
    # R is 5 for the most recent (lowest recency_days), F for the most orders.
    assert jp.loc[jp["recency_days"].idxmin(), "rfm_r"] == 5 and jp.loc[jp["recency_days"].idxmax(), "rfm_r"] == 1
    assert jp.loc[jp["frequency_365d"].idxmax(), "rfm_f"] == 5


def test_a_customer_is_scored_against_their_own_market_only():
    features = pd.concat([_market("DE", 50, 1.0, 2), _market("JP", 50, 1000.0, 3)], ignore_index=True)
    alone = score_rfm(features[features["home_market"] == "DE"], CFG)
    together = score_rfm(features, CFG)
    pd.testing.assert_frame_equal(alone, together[together["home_market"] == "DE"])


def test_unknown_market_forms_its_own_group():
    features = pd.concat([_market("DE", 10, 1.0, 4), _market("XX", 10, 500.0, 5)], ignore_index=True)
    features["home_market"] = features["home_market"].where(features["home_market"] == "DE", None)
    scored = score_rfm(features, CFG)
    assert sorted(scored.loc[scored["home_market"].isna(), "rfm_m"]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_equal_values_get_equal_scores():
    features = _market("DE", 12, 1.0, 6)
    features["frequency_365d"] = [1] * 7 + [2, 3, 4, 5, 6]
    features["monetary_365d"] = [10.0, 10.0, 10.0, 20.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
    scored = score_rfm(features, CFG)
    for column, feature in [("rfm_f", "frequency_365d"), ("rfm_m", "monetary_365d")]:
        assert (scored.groupby(feature)[column].nunique() == 1).all()
        assert scored.groupby(feature)[column].first().is_monotonic_increasing
    # Seven one-order customers: a tie over the bottom 7/12 sits at the middle of its span, score 2.
    assert set(scored.loc[scored["frequency_365d"] == 1, "rfm_f"]) == {2}


def test_scores_do_not_depend_on_row_order():
    features = _market("DE", 40, 1.0, 7)
    features["monetary_365d"] = features["monetary_365d"] // 4
    shuffled = features.sample(frac=1, random_state=0)
    pd.testing.assert_frame_equal(score_rfm(features, CFG), score_rfm(shuffled, CFG).loc[features.index])


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_tiny_market_gets_valid_scores(n):
    scored = score_rfm(_market("IS", n, 1.0, 8), CFG)
    for column in ["rfm_r", "rfm_f", "rfm_m"]:
        assert scored[column].between(1, 5).all() and scored[column].is_unique
    if n == 1:
        assert scored[["rfm_r", "rfm_f", "rfm_m"]].iloc[0].tolist() == [3, 3, 3]


def test_empty_and_null_inputs():
    assert score_rfm(_market("DE", 0, 1.0, 9), CFG)[["rfm_r", "rfm_f", "rfm_m"]].dtypes.eq("int64").all()
    bad = _market("DE", 3, 1.0, 9).astype({"monetary_365d": "float64"})
    bad.loc[0, "monetary_365d"] = np.nan
    with pytest.raises(ValueError, match="monetary_365d"):
        score_rfm(bad, CFG)


def test_every_default_segment_is_reachable_and_every_score_gets_one():
    cells = _grid([(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)])
    segments = name_rfm_segments(cells, CFG.rules)
    assert len(segments) == 125 and segments.notna().all()
    assert sorted(segments.unique()) == sorted(SEGMENTS)


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "Champions"),
        (5, 3, 3, "Loyal"),  # Champions needs FM >= 4
        (3, 5, 5, "Loyal"),
        (4, 2, 3, "Potential Loyalist"),
        (5, 1, 1, "New"),
        (3, 1, 2, "Promising"),
        (3, 2, 2, "Need Attention"),
        (2, 1, 2, "About to Sleep"),
        (2, 5, 5, "At Risk"),
        (1, 5, 5, "Cannot Lose Them"),
        (1, 4, 2, "At Risk"),
        (1, 2, 1, "Hibernating"),
        (1, 1, 1, "Lost"),
    ],
)
def test_default_table_names_the_standard_segments(r, f, m, segment):
    assert name_rfm_segments(_grid([(r, f, m)]), CFG.rules).tolist() == [segment]


def test_first_matching_rule_wins():
    broad = RfmRule(segment="Broad", r=(1, 5), fm=(1, 5))
    narrow = RfmRule(segment="Narrow", r=(5, 5), fm=(5, 5))
    cells = _grid([(5, 5, 5), (1, 1, 1)])
    assert name_rfm_segments(cells, [narrow, broad]).tolist() == ["Narrow", "Broad"]
    assert name_rfm_segments(cells, [broad, narrow]).tolist() == ["Broad", "Broad"]


def test_unmatched_customers_are_refused_not_left_blank():
    with pytest.raises(ValueError, match="1 customers match no rule"):
        name_rfm_segments(_grid([(5, 5, 5), (1, 1, 1)]), [RfmRule(segment="Top", r=(4, 5), fm=(4, 5))])


def _rules(*rows):
    return [{"segment": s, "r": r, "fm": fm} for s, r, fm in rows]


def test_rule_table_without_catch_all_is_refused():
    with pytest.raises(ValidationError, match=r"last rule \(Top\) must catch all"):
        RfmConfig(rules=_rules(("Top", [4, 5], [4, 5])))


def test_rule_that_can_never_match_is_named():
    rules = _rules(("All", [1, 5], [1, 5]), ("Shadowed", [5, 5], [5, 5]), ("Again", [1, 5], [1, 5]))
    with pytest.raises(ValidationError, match=r"rules\[1\] \(Shadowed\), rules\[2\] \(Again\) never match"):
        RfmConfig(rules=rules)


def test_rule_ranges_are_checked():
    with pytest.raises(ValidationError, match=r"rule 'Top': r range \[5, 4\] is reversed"):
        RfmRule(segment="Top", r=(5, 4), fm=(1, 5))
    with pytest.raises(ValidationError, match=r"rfm.rules\[0\] \(Top\): ranges must lie within 1..5"):
        RfmConfig(rules=_rules(("Top", [4, 6], [4, 5]), ("Rest", [1, 5], [1, 5])))


def test_errors_carry_the_config_path(tmp_path):
    raw = yaml.safe_load((REPO / "stratify.yaml").read_text())
    raw["segment"]["rfm"]["rules"].pop()
    path = tmp_path / "stratify.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(
        ValueError, match=r"(?s)stratify.yaml.*segment\.rfm\n.*last rule \(Hibernating\) must catch all"
    ):
        load_config(path)


def test_shipped_segment_section_is_the_documented_default():
    assert load_config(REPO / "stratify.yaml").segment == SegmentConfig()
