"""The README's benchmark quote: rewritten between its markers from a result, the rest of the file untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import readme, report

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def readme_with_block(tmp_path: Path, scale: str, inside: str = "old table\n") -> Path:
    path = tmp_path / "README.md"
    begin, end = readme.BEGIN.format(scale=scale), readme.END.format(scale=scale)
    path.write_text(f"# Title\n\n## Benchmarks\n\nintro\n\n{begin}\n{inside}{end}\n\nafter\n", encoding="utf-8")
    return path


def test_the_block_is_replaced_with_the_markdown_one_heading_level_down(tmp_path: Path):
    path = readme_with_block(tmp_path, "10m")
    assert readme.quote(path, "10m", "## Result\n\n| a |\n\n### Part\n\ntext\n")
    text = path.read_text()
    assert "old table" not in text
    assert "\n### Result\n\n| a |\n\n#### Part\n\ntext\n\n<!-- end of benchmark 10m -->" in text
    assert text.startswith("# Title\n\n## Benchmarks\n\nintro\n\n") and text.endswith("-->\n\nafter\n")
    assert readme.quote(path, "10m", "## Again\n") and "Result" not in path.read_text()  # idempotent markers


def test_a_scale_without_a_block_leaves_the_readme_as_it_was(tmp_path: Path):
    path = readme_with_block(tmp_path, "10m")
    before = path.read_text()
    assert readme.quote(path, "50m", "## Other\n") is False
    assert path.read_text() == before


def test_a_begin_marker_without_its_end_is_an_error_naming_the_file(tmp_path: Path):
    path = tmp_path / "README.md"
    path.write_text(readme.BEGIN.format(scale="10m") + "\nthe rest of the readme\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"README\.md: .* has no '<!-- end of benchmark 10m -->'"):
        readme.quote(path, "10m", "## Result\n")
    assert path.read_text().endswith("the rest of the readme\n")


def test_the_repository_readme_quotes_the_latest_saved_results_exactly():
    """What `make bench` wrote last is what the README shows: a hand edit or a stale paste fails here."""
    text = readme.README.read_text(encoding="utf-8")
    for scale in ("10m", "50m"):
        latest = max(RESULTS.glob(f"bench-{scale}-*.json"))
        markdown = report.markdown(json.loads(latest.read_text(encoding="utf-8")))
        block = text.split(readme.BEGIN.format(scale=scale))[1].split(readme.END.format(scale=scale))[0]
        assert block.strip("\n") == readme.demoted(markdown).strip("\n"), scale
