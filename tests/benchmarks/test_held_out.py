"""Splitting the held-out month into days: every line lands in its day's file unchanged, none is lost."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.held_out import day_file, split_by_day

DAYS = [date(2026, 1, 1), date(2026, 1, 2)]


def _targets(tmp_path: Path) -> dict[date, Path]:
    return {d: tmp_path / "held_out" / d.isoformat() for d in DAYS}


def test_csv_lines_are_copied_to_their_day_byte_for_byte(tmp_path: Path):
    monthly = tmp_path / "pos_de_2026-01.csv"
    header = "store_id;sold_at;unit_price\n"
    first, second = "S1;2026-01-01 08:00:01;1,50\n", 'S2;2026-01-02 23:59:59;"2,00"\n'
    monthly.write_text(header + second + first, encoding="utf-8")
    counts = split_by_day(monthly, "pos_de", DAYS, _targets(tmp_path))
    assert counts == {DAYS[0]: 1, DAYS[1]: 1}
    day1 = tmp_path / "held_out" / "2026-01-01" / "pos_de" / "pos_de_2026-01-01.csv"
    day2 = tmp_path / "held_out" / "2026-01-02" / "pos_de" / "pos_de_2026-01-02.csv"
    assert day1.read_text(encoding="utf-8") == header + first
    assert day2.read_text(encoding="utf-8") == header + second


def test_json_lines_and_parquet_split_by_their_timestamp(tmp_path: Path):
    app = tmp_path / "app_orders_2026-01.jsonl"
    lines = [
        json.dumps({"order_id": f"A{i}", "event_time": f"2026-01-0{1 + i % 2}T10:00:00Z"}) + "\n" for i in range(5)
    ]
    app.write_text("".join(lines), encoding="utf-8")
    assert split_by_day(app, "app", DAYS, _targets(tmp_path)) == {DAYS[0]: 3, DAYS[1]: 2}
    second = (tmp_path / "held_out" / "2026-01-02" / "app" / "app_orders_2026-01-02.jsonl").read_text()
    assert second == lines[1] + lines[3]

    part = tmp_path / "marketplace_2026-01_part000.parquet"
    pq.write_table(
        pa.table(
            {"mp_order_id": ["M1", "M2", "M3"], "order_ts": ["2026-01-02 09:00:00"] * 2 + ["2026-01-01 01:00:00"]}
        ),
        part,
    )
    assert split_by_day(part, "marketplace", DAYS, _targets(tmp_path)) == {DAYS[0]: 1, DAYS[1]: 2}
    out = pq.read_table(tmp_path / "held_out" / "2026-01-02" / "marketplace" / "marketplace_2026-01-02_part000.parquet")
    assert out.column("mp_order_id").to_pylist() == ["M1", "M2"]


def test_a_line_of_another_day_stops_the_split(tmp_path: Path):
    monthly = tmp_path / "web_orders_2026-01.csv"
    monthly.write_text("order_number,created_at\nW1,2026-01-03T10:00:00+01:00\n", encoding="utf-8")
    with pytest.raises(ValueError, match="none of the held-out days"):
        split_by_day(monthly, "ecommerce", DAYS, _targets(tmp_path))


def test_day_file_names_the_day_in_place_of_the_month():
    assert day_file(Path("pos/pos_2026-01.csv"), DAYS[1]).name == "pos_2026-01-02.csv"
    assert (
        day_file(Path("m/marketplace_2026-01_part003.parquet"), DAYS[0]).name
        == "marketplace_2026-01-01_part003.parquet"
    )


def test_a_day_without_lines_gets_no_file(tmp_path: Path):
    monthly = tmp_path / "pos_2026-01.csv"
    monthly.write_text("store_id,sold_at\nS1,2026-01-02 09:00:00\n", encoding="utf-8")
    assert split_by_day(monthly, "pos", DAYS, _targets(tmp_path)) == {DAYS[0]: 0, DAYS[1]: 1}
    assert not (tmp_path / "held_out" / "2026-01-01").exists()
