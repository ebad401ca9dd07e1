"""Appending rendered blocks to the landing folder: CSV, JSONL and Parquet parts.

A chunk's rows are appended to the month's file and then dropped, so memory stays bounded whatever
the customer count. Text files are assembled by joining Arrow string columns in C and writing the
joined buffer as is: no per-row Python, no quoting (values never contain delimiters or quotes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Every file name this generator writes; a rerun into the same folder first removes these, so that a
# smaller run leaves no stale months or parquet parts behind. Nothing else in `out` is touched.
OWN_FILES = (
    "stores/stores.csv", "fx/fx_rates.csv", "crm/customers_*.csv", "pos/pos_*.csv",
    "pos_de/pos_de_*.csv", "ecommerce/web_orders_*.csv", "app/app_orders_*.jsonl",
    "marketplace/marketplace_*_part*.parquet", "_truth/*.csv", "_truth/scenario.json",
)  # fmt: skip


class Landing:
    """Tracks how many data rows each file holds, so injected rows can be given their row numbers."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.rows: dict[str, int] = {}
        self.parts: dict[str, int] = {}

    def clear(self) -> None:
        for pattern in OWN_FILES:
            for path in sorted(self.out.glob(pattern)):
                path.unlink()

    def append(self, file: str, table: pa.Table, sep: str = ",") -> tuple[str, int]:
        """Append table to file (CSV, JSONL, or a new Parquet part); return (path, rows before)."""
        if file.endswith(".csv"):
            header = sep.join(table.column_names) + "\n"
            return file, self._append_text(file, header, csv_bytes(table, sep), table.num_rows)
        if file.endswith(".jsonl"):
            return file, self._append_text(file, "", jsonl_bytes(table), table.num_rows)
        part = self.parts.get(file, 0)
        self.parts[file] = part + 1
        name = f"{file}_part{part:03d}.parquet"
        self._path(name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, self._path(name), compression="snappy")
        self.rows[name] = table.num_rows
        return name, 0

    def write_rows(self, file: str, rows: list[list[str]], sep: str = ",") -> int:
        """A small file written at once (stores, FX, truth); first row is the header."""
        self.write_bytes(file, "".join(sep.join(r) + "\n" for r in rows).encode("utf-8"))
        return len(rows) - 1

    def write_bytes(self, file: str, data: bytes) -> None:
        path = self._path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def _append_text(self, file: str, header: str, body, n_rows: int) -> int:
        before = self.rows.get(file)
        path = self._path(file)
        if before is None:  # first touch in this run: start the file
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(header.encode("utf-8"))
            before = 0
        with open(path, "ab") as handle:
            handle.write(body)
        self.rows[file] = before + n_rows
        return before

    def _path(self, file: str) -> Path:
        return self.out / file


def csv_bytes(table: pa.Table, sep: str):
    """Rows joined by sep, each ending in a newline; nulls become empty fields."""
    cols = [pc.fill_null(c.combine_chunks(), "") for c in table.columns]
    if not cols:
        return memoryview(b"")
    return _joined(pc.binary_join_element_wise(*cols, sep))


def jsonl_bytes(table: pa.Table):
    """One JSON object per row, every value a JSON string (values are plain ASCII, no escaping)."""
    pieces: list = []
    for k, (name, col) in enumerate(zip(table.column_names, table.columns, strict=True)):
        pieces.append(f'{{"{name}":"' if k == 0 else f'","{name}":"')
        pieces.append(pc.fill_null(col.combine_chunks(), ""))
    pieces.append('"}')
    return _joined(pc.binary_join_element_wise(*pieces, ""))


def _joined(rows: pa.Array) -> memoryview:
    """The bytes of all rows with a newline after each, straight from the Arrow buffer."""
    if len(rows) == 0:
        return memoryview(b"")
    rows = pc.binary_join_element_wise(rows, "", "\n")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=len(rows) + 1, offset=rows.offset * 4)
    return memoryview(rows.buffers()[2])[offsets[0] : offsets[-1]]
