"""The segment stage on a generated demo, through the real snapshot job, scored against the generator's truth.

One demo is built for the module: ingest, then November and December 2025 (each fit builds its own
training snapshots with dbt). The bars are the issue's; where the demo cannot meet one the test says so.
"""

import json
from datetime import date

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from pipelines.config import load_config
from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.segment import history
from pipelines.segment.clusters import feature_matrix, fit_clusters
from pipelines.segment.history import training_plan
from pipelines.segment.model_store import previous_model, previous_names
from pipelines.segment.snapshot_fit import fit_snapshot, read_training
from pipelines.segment.store import COLUMNS
from tests.conftest import REPO
from tests.jobs import run_job

pytestmark = pytest.mark.slow
SNAPSHOTS = {"2025-11-01": date(2025, 11, 30), "2025-12-01": date(2025, 12, 31)}
CONTRACT = {"model_version", "snapshot_date", "training_snapshot", "params", "features", "metrics", "centroids",
            "sizes"}  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("segment_demo")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STRATIFY_HOME", str(home))
        env.setenv("STRATIFY_CONFIG", str(REPO / "stratify.yaml"))
        env.delenv("DAGSTER_HOME", raising=False)
        env.setenv("STRATIFY_PII_SALT", "test-salt")
        generate(DemoSpec(customers=2500, seed=7), home / "landing")
        run_job("ingest_job")
        for key in SNAPSHOTS:
            _run_segments(key)
        yield home


def _run_segments(partition_key: str) -> None:
    """The snapshot job up to this stage (features, their quality gate, segments): later stages have their tests."""
    result = defs.resolve_job_def("snapshot_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET_LOGS,
        partition_key=partition_key,
        asset_selection=[dg.AssetKey(["marts", "customer_features"]), dg.AssetKey(["segments", "customer_segments"])],
        raise_on_error=False,
    )
    failed = [c.check_name for c in result.get_asset_check_evaluations() if not c.passed]
    assert result.success and not failed, f"snapshot {partition_key} failed; checks: {failed}"


def _read(home, sql, *params):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def _segments(home, snapshot):
    return _read(home, "select * from segments.customer_segments where snapshot_date = ?", snapshot)


def _archetypes(home, keys: pd.Series) -> pd.Series:
    """Truth archetype per customer_key, through the loyalty id (every consenting customer is a member)."""
    ids = _read(home, "select customer_key, min(loyalty_id) as loyalty_id from intermediate.int_customers__identity "
                "group by customer_key")  # fmt: skip
    persons = pd.read_csv(home / "landing/_truth/persons.csv", dtype=str, keep_default_na=False)
    found = pd.DataFrame({"customer_key": keys}).merge(ids, on="customer_key", how="left")
    return found.merge(persons, on="loyalty_id", how="left")["archetype"]


def _card(home, version, name):
    return json.loads((home / "models" / version / f"{name}.json").read_text())


def test_every_profiled_customer_has_every_segmentation_and_no_one_without_consent_is_profiled(demo):
    persons = pd.read_csv(demo / "landing/_truth/persons.csv", dtype=str, keep_default_na=False)
    consenting = set(persons.loc[persons["profiling_consent"] == "Y", "loyalty_id"])
    for snapshot in SNAPSHOTS.values():
        seg = _segments(demo, snapshot)
        assert list(seg.columns) == COLUMNS and seg["model_version"].nunique() == 1
        profiled = seg[seg["profiled"]]
        scores = ["rfm_segment", "value_tier", "lifecycle_stage", "cluster_name", "tier", "churn_risk",
                  "expected_value_365d"]  # fmt: skip
        assert len(profiled) > 500 and profiled[scores].notna().all().all()
        assert profiled["churn_risk"].between(0, 1).all()
        assert seg.loc[~seg["profiled"], scores].isna().all().all()
        ids = _read(demo, "select customer_key, loyalty_id from intermediate.int_customers__identity")
        loyalty = profiled.merge(ids.dropna(), on="customer_key")["loyalty_id"]
        assert loyalty.isin(consenting).all() and loyalty.nunique() == len(profiled)


def test_model_folder_keeps_the_drift_contract(demo):
    version = _segments(demo, SNAPSHOTS["2025-12-01"])["model_version"].iloc[0]
    card = _card(demo, version, "clusters")
    assert set(card) == CONTRACT and card["model_version"] == version and card["snapshot_date"] == "2025-12-31"
    assert set(card["metrics"]) == {"k", "silhouette", "davies_bouldin", "calinski_harabasz"}
    assert len(card["centroids"]) == card["metrics"]["k"] == len(card["sizes"])
    assert all(len(c) == len(card["features"]) for c in card["centroids"].values())
    assert _card(demo, version, "churn")["fitted"] and _card(demo, version, "clv")["fitted"]
    profiles = _read(demo, "select * from segments.segment_profiles where snapshot_date = ?", date(2025, 12, 31))
    assert set(profiles["segmentation"]) == {"rfm_segment", "value_tier", "lifecycle_stage", "cluster_name"}


def test_segment_profiles_describe_the_profiled_customers_of_each_segment(demo):
    snapshot = date(2025, 12, 31)
    profiles = _read(demo, "select * from segments.segment_profiles where snapshot_date = ?", snapshot)
    profiled = _read(demo, "select * from segments.customer_segments where snapshot_date = ? and profiled", snapshot)
    assert len(profiled) > 500 and set(profiles["feature"]) >= {"recency_days", "monetary_365d"}
    for segmentation, rows in profiles.groupby("segmentation"):
        per_segment = rows.drop_duplicates("segment").set_index("segment")
        assert per_segment["customers"].to_dict() == profiled[segmentation].astype(str).value_counts().to_dict()
        assert per_segment["customer_share"].sum() == pytest.approx(1.0)
        assert per_segment["revenue_share"].sum() == pytest.approx(1.0)
    spend = profiles[profiles["feature"] == "monetary_365d"]
    for segmentation, segment, mean in spend[["segmentation", "segment", "segment_mean"]].itertuples(index=False):
        members = profiled[profiled[segmentation].astype(str) == segment]
        assert mean == pytest.approx(members["monetary_365d"].astype(float).mean()), (segmentation, segment)
    ratio = profiles["segment_mean"] / profiles["overall_mean"].replace(0, np.nan)  # no index for a zero mean
    assert np.allclose(profiles["index"].astype(float), ratio, equal_nan=True)


def test_churn_auc_on_the_holdout_reaches_the_bar(demo):
    version = _segments(demo, SNAPSHOTS["2025-12-01"])["model_version"].iloc[0]
    metrics = _card(demo, version, "churn")["metrics"]
    print(f"churn: {json.dumps({k: v for k, v in metrics.items() if k != 'reliability'})}")
    print(f"clv: {json.dumps(_card(demo, version, 'clv')['metrics'])}")
    assert metrics["auc"] >= 0.75 and metrics["brier"] < metrics["brier_base_rate"]


def test_rerunning_a_snapshot_gives_identical_assignments(demo):
    snapshot, config = SNAPSHOTS["2025-12-01"], load_config(REPO / "stratify.yaml")
    plan = training_plan(snapshot, config.segment, "monthly")
    with duckdb.connect(str(demo / "warehouse.duckdb"), read_only=True) as con:
        features = history.read_features(con, snapshot)
        previous, names = previous_model(con, demo / "models", snapshot), previous_names(con, snapshot)
        training = read_training(con, plan, config.segment)
        again = fit_snapshot(features, training, config.segment, snapshot, previous, names)
    stored = _segments(demo, snapshot).set_index("customer_key").loc[again.segments["customer_key"]]
    assert (stored["model_version"] == again.model_version).all()
    refit = again.segments.set_index("customer_key")
    columns = ["rfm_r", "rfm_f", "rfm_m", "rfm_segment", "value_tier", "lifecycle_stage", "cluster_id", "cluster_name",
               "tier", "churn_risk", "expected_value_365d", "profiled", "exclusion_reason"]  # fmt: skip
    for column in columns:  # every segment and score, as stored: numbers to float precision, labels exactly
        if pd.api.types.is_numeric_dtype(stored[column]) and not pd.api.types.is_bool_dtype(stored[column]):
            got = refit[column].astype("float64").to_numpy()
            assert np.allclose(stored[column].astype("float64"), got, equal_nan=True, atol=1e-6), column
        else:
            assert (stored[column].fillna("-").to_numpy() == refit[column].fillna("-").to_numpy()).all(), column


def test_next_snapshot_keeps_customers_under_the_same_cluster_name(demo):
    """Issue #6's bar: >= 0.9 of the customers keep their cluster name from Nov to Dec 2025. Measured 0.911.

    Re-fits start from the previous centroids (warm start; here the fresh fit was already the same partition,
    0.885 without, 0.886 with) and a customer keeps last month's name while that centroid is at most 10%
    farther than the nearest (clusters.switch_margin): without it, customers near a boundary move as a month
    of recency and spend changes. On the 5,000-customer demo, where fresh restarts found another partition in
    December, warm start lifted the figure from 0.62 to 0.90 and the margin to 0.93.
    """
    nov, dec = (_segments(demo, s).query("profiled").set_index("customer_key") for s in SNAPSHOTS.values())
    common = nov.index.intersection(dec.index)
    same = float((nov.loc[common, "cluster_name"] == dec.loc[common, "cluster_name"]).mean())
    print(f"next-snapshot same cluster name: {same:.3f} of {len(common)} customers")
    assert same >= 0.9


def test_bootstrap_refits_agree_with_the_full_fit(demo):
    config = load_config(REPO / "stratify.yaml").segment
    features = _read(demo, "select * from marts.customer_features where snapshot_date = ? and has_profiling_consent "
                     "order by customer_key", date(2025, 12, 31))  # fmt: skip
    full = fit_clusters(features, config.clusters, config.random_seed)
    rng, scores = np.random.default_rng(0), []
    for _ in range(5):
        rows = np.sort(rng.choice(len(features), int(0.8 * len(features)), replace=False))
        part = fit_clusters(features.iloc[rows], config.clusters, config.random_seed, k=full.metrics["k"])
        scores.append(adjusted_rand_score(full.labels, part.pipeline.predict(feature_matrix(features))))
    print(f"bootstrap ARI (k={full.metrics['k']}): {np.round(scores, 3).tolist()} mean {np.mean(scores):.3f}")
    assert np.mean(scores) >= 0.9


def test_clusters_recover_the_latent_archetypes(demo):
    """Issue #6 asks ARI >= 0.6; measured 0.276, so the bar is NOT met and the issue stays open.

    A supervised classifier on the same features, 5-fold cross-validated against the truth, reaches only
    about 0.53: the generator's archetypes overlap in behaviour (each person's order rate varies by a gamma
    factor with CV 0.7). With lifetime features added (orders per year of tenure, discounted-line share,
    category and channel shares) the supervised ceiling is 0.68 and KMeans on them 0.36 (5,000-customer demo).
    The floor guards what is achieved.
    """
    seg = _segments(demo, SNAPSHOTS["2025-12-01"]).query("profiled")
    truth = _archetypes(demo, seg["customer_key"])
    assert truth.notna().all()
    score = adjusted_rand_score(truth, seg["cluster_name"])
    print(f"ARI clusters vs archetypes: {score:.3f}")
    assert score >= 0.2


def test_fits_learn_from_a_seeded_sample_and_still_score_everyone(demo):
    """segment.fit_sample_size: training snapshots past it are sampled (the same customers on every read,
    consenting ones only, each with the outcomes the full read gives it); rules and scores cover everyone."""
    config = load_config(REPO / "stratify.yaml").segment
    small = config.model_copy(update={"fit_sample_size": 300})
    snapshot = SNAPSHOTS["2025-12-01"]
    plan = training_plan(snapshot, config, "monthly")
    with duckdb.connect(str(demo / "warehouse.duckdb"), read_only=True) as con:
        full, sampled, again = (read_training(con, plan, c) for c in (config, small, small))
        features = history.read_features(con, snapshot)
    for name in plan:
        for i in (0, 2):  # training and holdout snapshot: (features, outcomes)
            rows, outcomes, everyone = sampled[name][i], sampled[name][i + 1], full[name][i]
            assert len(everyone) > 300 and len(rows) == 300 and rows["has_profiling_consent"].all()
            assert (
                rows["customer_key"].is_monotonic_increasing
                and rows["customer_key"].isin(everyone["customer_key"]).all()
            )
            assert list(rows["customer_key"]) != list(everyone["customer_key"][:300])  # spread, not the first keys
            pd.testing.assert_frame_equal(rows, again[name][i])
            expected = full[name][i + 1].set_index("customer_key").loc[rows["customer_key"]].reset_index()
            pd.testing.assert_frame_equal(outcomes, expected)
    fit = fit_snapshot(features, sampled, small, snapshot, None)
    profiled = fit.segments[fit.segments["profiled"]]
    assert len(profiled) > 300 and profiled[["cluster_name", "churn_risk", "expected_value_365d"]].notna().all().all()
    counts = [int(rule.rsplit("(", 1)[1].split()[0]) for rules in fit.rules.values() for rule in rules]
    assert sum(counts) == len(profiled)
