from pathlib import Path

import pytest
import yaml

from pipelines.config import load_config

REPO = Path(__file__).resolve().parent.parent


def test_shipped_config_loads():
    config = load_config(REPO / "stratify.yaml")
    assert config.base_currency == "EUR"
    assert set(config.sources) == {"pos", "ecommerce"}
    assert config.sources["pos"].columns["order_id"] == "receipt_id"


def test_unknown_field_is_rejected_with_its_path(tmp_path):
    raw = yaml.safe_load((REPO / "stratify.yaml").read_text())
    raw["segment"]["tier_nmes"] = ["a", "b"]
    bad = tmp_path / "stratify.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=r"(?s)stratify.yaml.*segment.tier_nmes.*Extra inputs"):
        load_config(bad)


def test_drift_thresholds_must_be_ordered(tmp_path):
    raw = yaml.safe_load((REPO / "stratify.yaml").read_text())
    raw["drift"] = {"psi_watch": 0.3, "psi_alert": 0.2}
    bad = tmp_path / "stratify.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match="psi_watch must be below"):
        load_config(bad)


def test_missing_config_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        load_config(tmp_path / "nowhere.yaml")
