"""The issue's reference read: a file of the issue's shape, read and cast in a process of its own."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks import reference, report


def test_the_file_has_the_issues_bytes_per_line_and_every_line_is_read(tmp_path: Path):
    # The issue's file: 10M lines in 509 MB. Ours has 50.9 bytes a line over every 10,000 lines (prices cycle
    # there) plus its header, so at 10M it is 509,000,044 bytes: a change to its columns breaks the comparison.
    lines = 100_000
    path = reference.csv_file(tmp_path, lines)
    size = path.stat().st_size
    assert size == lines * 509 // 10 + len("order_id,line_no,sold_at,sku,qty,unit_price\n")

    measured = reference.measure(tmp_path, dict(os.environ), lines)

    assert measured["lines"] == lines and measured["bytes"] == size
    assert 0 < measured["seconds"] < measured["wall_s"] and measured["peak_rss"] > 0
    assert measured["to_issue"] is None  # only the issue's 10M lines are compared with its 2.3 s
    assert not path.exists()  # removed after the read


def test_the_report_compares_a_10m_read_with_the_issue_and_loading_per_line_with_it():
    result = {
        "reference": {"lines": 10_000_000, "bytes": 509_000_044, "seconds": 2.07, "lines_per_s": 4_830_918,
                      "issue_seconds": 2.3, "to_issue": 0.9, "peak_rss": 750 * 1024**2},
        "derived": {"ingest_lines_per_s": 483_092, "load_floor_lines_per_s": 966_184},
    }  # fmt: skip
    (line, _) = report._reference_line(result)
    assert "took 2.07 s in this run, 0.90x the issue's 2.3 s (4.83M lines/s, 750 MiB peak)" in line
    assert "Per order line against it: the plain load to disk 5.0x and the ingest stage 10.0x" in line
