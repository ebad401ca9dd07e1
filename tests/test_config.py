from pathlib import Path

import pytest
import yaml

from pipelines.config import load_config

REPO = Path(__file__).resolve().parent.parent


def test_shipped_config_loads():
    config = load_config(REPO / "stratify.yaml")
    assert config.base_currency == "EUR"
    assert set(config.sources) == {"stores", "fx_rates", "crm_customers", "pos", "ecommerce", "app", "marketplace"}
    pos = config.sources["pos"]
    assert [f.path for f in pos.files] == ["pos/*.csv", "pos_de/*.csv"]
    assert pos.files[1].columns == pos.files[0].columns and pos.files[1].csv.decimal == ","
    assert config.sources["app"].files[0].format == "jsonl"


def _with(tmp_path, change):
    raw = yaml.safe_load((REPO / "stratify.yaml").read_text())
    change(raw)
    path = tmp_path / "stratify.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_unknown_source_is_named(tmp_path):
    path = _with(tmp_path, lambda raw: raw["sources"].update(webshop=raw["sources"]["app"]))
    with pytest.raises(ValueError, match="unknown source 'webshop'"):
        load_config(path)


def test_unmapped_required_column_is_named(tmp_path):
    path = _with(tmp_path, lambda raw: raw["sources"]["ecommerce"]["columns"].pop("currency"))
    with pytest.raises(ValueError, match=r"source ecommerce \(ecommerce/\*.csv\): required columns \['currency'\]"):
        load_config(path)


def test_constants_fill_unmapped_columns(tmp_path):
    def change(raw):
        raw["sources"]["ecommerce"]["columns"].pop("currency")
        raw["sources"]["ecommerce"]["constants"] = {"currency": "GBP"}

    assert load_config(_with(tmp_path, change)).sources["ecommerce"].constants == {"currency": "GBP"}


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


def test_a_fit_sample_too_small_for_the_models_is_rejected(tmp_path):
    raw = yaml.safe_load((REPO / "stratify.yaml").read_text())
    raw["segment"]["fit_sample_size"] = 100
    raw["segment"]["churn"] = {**raw["segment"].get("churn", {}), "min_customers": 500}
    bad = tmp_path / "stratify.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=r"fit_sample_size \(100\) is below the models' min_customers \(500\)"):
        load_config(bad)


def test_base_currency_is_upper_cased_and_must_be_a_code(tmp_path):
    assert load_config(_with(tmp_path, lambda raw: raw.update(base_currency=" gbp"))).base_currency == "GBP"
    with pytest.raises(ValueError, match=r"(?s)base_currency.*three-letter ISO-4217 code.*'EURO'"):
        load_config(_with(tmp_path, lambda raw: raw.update(base_currency="EURO")))


@pytest.mark.parametrize("limit", ["3.5GiB", "500 MB", "80%"])
def test_memory_limits_duckdb_reads_load(tmp_path, limit):
    config = load_config(_with(tmp_path, lambda raw: raw.setdefault("warehouse", {}).update(memory_limit=limit)))
    assert config.warehouse.memory_limit == limit


@pytest.mark.parametrize("limit", ["lots", "4"])
def test_a_memory_limit_duckdb_cannot_read_is_named_when_the_config_loads(tmp_path, limit):
    path = _with(tmp_path, lambda raw: raw.setdefault("warehouse", {}).update(memory_limit=limit))
    with pytest.raises(ValueError, match=rf"(?s)warehouse.memory_limit.*'{limit}' is not a memory size"):
        load_config(path)


def test_the_readme_example_loads_and_is_what_the_end_to_end_test_runs(tmp_path):
    """The README's "Your own data" config is valid, and tests/test_end_to_end.py runs that very mapping."""
    import re

    from tests.test_end_to_end import CONFIG

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Your own data.*?```yaml\n(.*?)```", readme, re.DOTALL).group(1)
    (tmp_path / "stratify.yaml").write_text(block, encoding="utf-8")
    config = load_config(tmp_path / "stratify.yaml")
    assert config.segment.require_consent is False  # without it, a source without consent data profiles nobody
    example = yaml.safe_load(block)
    assert {k: example[k] for k in ("base_currency", "sources", "segment")} == {
        k: CONFIG[k] for k in ("base_currency", "sources", "segment")
    }
