"""Identity stitching on generated data, scored on pairs of channel ids against the generator's truth."""

import itertools

import duckdb
import pandas as pd
import pytest

from pipelines.demo.generator import DemoSpec, generate
from tests.jobs import run_job

pytestmark = pytest.mark.slow
WAREHOUSE_KIND = {
    "loyalty_id": "loyalty_id",
    "email": "email_hash",
    "app_user_id": "app_user_id",
    "buyer_id": "marketplace_buyer_id",
    "phone": "phone_hash",  # evidence only (CRM, web and marketplace delivery phones), not a channel id
}


@pytest.fixture(scope="module")
def stitched(tmp_path_factory):
    home = tmp_path_factory.mktemp("identity")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIFY_HOME", str(home))
        mp.setenv("STRATIFY_PII_SALT", "test-salt")
        mp.delenv("STRATIFY_CONFIG", raising=False)
        generate(DemoSpec(customers=1500, days=300, seed=9), home / "landing")
        run_job("ingest_job")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        ids = con.execute("SELECT * FROM intermediate.int_customers__identity").df()
        truth = pd.read_csv(home / "landing" / "_truth" / "channel_ids.csv", dtype=str)
        emails = truth.loc[truth.id_kind == "email", "id"].unique().tolist()
        hashed = dict(con.execute("SELECT e, sha256('test-salt' || e) FROM unnest(?) t(e)", [emails]).fetchall())
    truth["id_kind"], truth["id"] = truth.id_kind.map(WAREHOUSE_KIND), [hashed.get(i, i) for i in truth.id]
    channel_ids = truth[(truth.channel != "crm") & (truth.id_kind != "phone_hash")]
    ordering = channel_ids[["id_kind", "id", "person_id"]].drop_duplicates()
    return ids, ordering.merge(ids, on=["id_kind", "id"], how="left"), truth


def _pairs(frame: pd.DataFrame, by: str) -> set:
    pairs = set()
    for _, group in frame.groupby(by):
        pairs.update(itertools.combinations(sorted(zip(group.id_kind, group.id, strict=True)), 2))
    return pairs


def _evidenced_pairs(truth: pd.DataFrame, scored: pd.DataFrame) -> set:
    """True pairs that some record of the data joins, directly or through a chain of records.

    In this generator a person's ids within one channel travel in the same record (a CRM row holds
    loyalty id, email, phone and app id; an app order its app id and account email; a web order its
    email and often a delivery phone; a marketplace order its buyer id, and a loyalty number or a
    delivery phone when it has one), so co-occurrence per (channel, person) is the evidence the data
    carries. Union-find over it, independently of the SQL under test.
    """
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, group in truth.groupby(["channel", "person_id"]):
        ids = list(zip(group.id_kind, group.id, strict=True))
        for other in ids[1:]:
            parent[find(other)] = find(ids[0])
    seen = scored.assign(component=[find(i) for i in zip(scored.id_kind, scored.id, strict=True)])
    return _pairs(seen, "person_id") & _pairs(seen, "component")


def test_every_channel_id_seen_in_orders_gets_a_customer_key(stitched):
    _, scored, _ = stitched
    assert scored.customer_key.notna().all()


def test_pairs_precision_and_recall(stitched):
    _, scored, truth = stitched
    true_pairs, found = _pairs(scored, "person_id"), _pairs(scored, "customer_key")
    evidenced = _evidenced_pairs(truth, scored)
    precision = len(true_pairs & found) / len(found)
    recall_evidenced = len(evidenced & found) / len(evidenced)
    recall_all = len(true_pairs & found) / len(true_pairs)
    print(f"precision {precision:.4f} recall(evidenced) {recall_evidenced:.4f} recall(all) {recall_all:.4f}")
    assert precision >= 0.99, precision
    assert recall_evidenced >= 0.99, recall_evidenced
    # Issue #4's bar, over all true pairs. Some pairs no record joins: a marketplace buyer none of whose
    # orders carries a loyalty number or a delivery phone. Deterministic stitching must not guess those.
    assert recall_all >= 0.95, recall_all
    missed = {(a[0], b[0]) for a, b in true_pairs - found}
    assert all("marketplace_buyer_id" in kinds for kinds in missed), missed


def test_links_carry_evidence_and_propagation_converged(stitched):
    ids, _, _ = stitched
    linked = ids[ids.identities_in_customer > 1]
    assert len(linked) and linked.link_evidence.notna().all()
    assert not ids.is_still_changing.any()
    sizes = ids.groupby("customer_key").size()
    assert (sizes == ids.groupby("customer_key").identities_in_customer.first()).all()
