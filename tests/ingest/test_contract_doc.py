from pathlib import Path

from pipelines.ingest.contract_doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def test_data_contract_doc_is_current():
    """Regenerate with: python -m pipelines.ingest.contract_doc > docs/data-contract.md"""
    assert DOC.read_text() == render()
