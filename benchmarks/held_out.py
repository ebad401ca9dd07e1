"""The benchmark's held-out days: the last month's order-line files split into one set of files per day.

The demo writes order lines in monthly files. The benchmark generates two days past the first run's data
and keeps both out of landing, each day in files of its own, so that it can land them one at a time:
the first day after a snapshot date (it may still hold orders of that snapshot in UTC, so the snapshot is
rebuilt) and the day after it (no snapshot needs it: a plain daily run). CSV and JSON lines are copied
as written, byte for byte (Parquet rows are rewritten); only the day of a line's local timestamp decides
where it goes, and a day without lines gets no file.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

# The demo layout's order-line folders and the column holding each line's local timestamp.
TIMESTAMP_COLUMNS = {
    "pos": "sold_at",
    "pos_de": "sold_at",
    "ecommerce": "created_at",
    "app": "event_time",
    "marketplace": "order_ts",
}


def day_file(path: Path, day: date) -> Path:
    """The name of the part of a monthly file holding one day: pos_2026-01.csv -> pos_2026-01-02.csv."""
    month = f"{day:%Y-%m}"
    return path.with_name(path.name.replace(month, day.isoformat(), 1))


def _split_text(path: Path, column: str, days: list[date], out: dict[date, Path]) -> dict[date, int]:
    """CSV (any delimiter) or JSON lines: each line goes, unchanged, to the file of its day."""
    lines = path.read_bytes().splitlines(keepends=True)
    header = [] if path.suffix == ".jsonl" else lines[:1]
    if header:
        delimiter = ";" if header[0].count(b";") > header[0].count(b",") else ","
        index = next(csv.reader([header[0].decode()], delimiter=delimiter)).index(column)
    by_day: dict[date, list[bytes]] = {d: [*header] for d in days}
    for line in lines[len(header) :]:
        text = line.decode()
        if header:
            stamp = next(csv.reader([text], delimiter=delimiter))[index]
        else:
            stamp = json.loads(text)[column]
        day = date.fromisoformat(stamp[:10])
        if day not in by_day:
            raise _off_days(path, days, day.isoformat())
        by_day[day].append(line)
    for day in days:
        if len(by_day[day]) > len(header):  # a day without lines gets no file, as an export would have it
            out[day].parent.mkdir(parents=True, exist_ok=True)
            out[day].write_bytes(b"".join(by_day[day]))
    return {d: len(by_day[d]) - len(header) for d in days}


def _off_days(path: Path, days: list[date], found: str) -> ValueError:
    return ValueError(f"{path}: a line dated {found} is on none of the held-out days {days}")


def _split_parquet(path: Path, column: str, days: list[date], out: dict[date, Path]) -> dict[date, int]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    stamps = pc.utf8_slice_codeunits(pc.cast(table[column], "string"), 0, 10)
    counts = {}
    for day in days:
        part = table.filter(pc.equal(stamps, day.isoformat()))
        if part.num_rows:
            out[day].parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(part, out[day])
        counts[day] = part.num_rows
    if sum(counts.values()) != table.num_rows:
        raise _off_days(path, days, "other days")
    return counts


def split_by_day(monthly: Path, folder: str, days: list[date], targets: dict[date, Path]) -> dict[date, int]:
    """Write each day's lines of one monthly order-line file under targets[day]; lines per day.

    Fails if a line falls on none of the days: the split must lose nothing.
    """
    column = TIMESTAMP_COLUMNS[folder]
    out = {d: targets[d] / folder / day_file(monthly, d).name for d in days}
    split = _split_parquet if monthly.suffix == ".parquet" else _split_text
    return split(monthly, column, days, out)
