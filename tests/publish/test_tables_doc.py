"""docs/published-tables.md is generated from the dbt YAML, and that YAML documents every published column."""

from pathlib import Path

import duckdb

from pipelines.publish.atomic import publish
from pipelines.publish.tables_doc import published_models, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "published-tables.md"


def test_published_tables_doc_is_current():
    """Regenerate with: python -m pipelines.publish.tables_doc > docs/published-tables.md"""
    assert DOC.read_text() == render()


def test_every_published_column_is_documented(warehouse, tmp_path):
    target = tmp_path / "tiers.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        publish(con, target, tmp_path / "parquet")
    with duckdb.connect(str(target), read_only=True) as con:
        for table, model in published_models().items():
            documented = [(c["name"], c["data_type"].replace(" ", "").lower()) for c in model["columns"]]
            actual = [(r[0], r[1].lower()) for r in con.execute(f"DESCRIBE {table}").fetchall()]
            assert documented == actual, table
            assert model["description"].strip() and all(c["description"].strip() for c in model["columns"])
