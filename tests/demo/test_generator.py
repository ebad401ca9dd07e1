import csv
import filecmp

from pipelines.demo.archetypes import ARCHETYPES
from pipelines.demo.generator import DemoSpec, generate


def test_same_seed_same_bytes(tmp_path):
    spec = DemoSpec(customers=60, days=120, seed=3)
    generate(spec, tmp_path / "a")
    generate(spec, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert files and all(filecmp.cmp(tmp_path / "a" / f, tmp_path / "b" / f, shallow=False) for f in files)


def test_channels_truth_and_period(tmp_path):
    spec = DemoSpec(customers=200, days=365, seed=1)
    counts = generate(spec, tmp_path)
    assert counts["pos"] > 0 and counts["ecommerce"] > 0
    with open(tmp_path / "_truth" / "customers.csv") as handle:
        truth = list(csv.DictReader(handle))
    assert len(truth) == 200
    assert {row["archetype"] for row in truth} <= {a.name for a in ARCHETYPES}
    months = sorted(p.stem.split("_")[1] for p in (tmp_path / "pos").glob("*.csv"))
    assert months[0] >= spec.start.strftime("%Y-%m") and months[-1] == spec.end.strftime("%Y-%m")
