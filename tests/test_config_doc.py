from pathlib import Path

from pipelines.config_doc import render

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_configuration_reference_is_current():
    """Regenerate with: python -m pipelines.config_doc > docs/configuration.md"""
    assert DOC.read_text() == render()


def test_every_section_and_key_is_documented():
    text = render()
    for section in ("`warehouse`", "`sources.<name>.files[]`", "`segment.rfm.rules[]`", "`schedules`", "`drift`"):
        assert f"## {section}" in text, section
    assert "| `snapshot_cron` |" in text and "| `psi_alert` |" in text
