"""The README's quote of the latest benchmark tables, rewritten from the results so it cannot drift.

README.md holds, per quoted scale, a block between two marker lines (BEGIN and END below). `make bench`
rewrites that block with the run's Markdown (headings one level down, under the README's own); a scale
without markers (tiny, small) leaves the README alone. `python -m benchmarks.readme RESULT.json ...`
re-renders from saved results, e.g. after the report's wording changed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

BEGIN = "<!-- benchmark {scale}: written by benchmarks/readme.py from the latest result; edits here are lost -->"
END = "<!-- end of benchmark {scale} -->"
README = Path(__file__).resolve().parents[1] / "README.md"


def demoted(markdown: str) -> str:
    """Every heading one level down: the result's '## Stratify benchmark' sits under the README's '## Benchmarks'."""
    return re.sub(r"^(#{1,5}) ", r"#\1 ", markdown, flags=re.MULTILINE)


def quote(readme: Path, scale: str, markdown: str) -> bool:
    """Replace the block of `scale` in `readme` with `markdown`; False when the README has no block for it.

    A begin marker without its end marker after it is an error naming the file, not a README cut short.
    """
    text = readme.read_text(encoding="utf-8")
    begin, end = BEGIN.format(scale=scale), END.format(scale=scale)
    start = text.find(begin)
    if start < 0:
        return False
    stop = text.find(end, start)
    if stop < 0:
        raise ValueError(f"{readme}: the line {begin!r} has no {end!r} after it; the quote was not written")
    body = demoted(markdown).strip("\n")
    readme.write_text(f"{text[: start + len(begin)]}\n\n{body}\n\n{text[stop:]}", encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    from benchmarks import report

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, nargs="+", help="result JSON files (benchmarks/results/bench-*.json)")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    for path in args.results:
        result = json.loads(path.read_text(encoding="utf-8"))
        done = quote(args.readme, result["scale"], report.markdown(result))
        print(f"{path.name}: {'quoted in' if done else 'no block for scale ' + result['scale'] + ' in'} {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
