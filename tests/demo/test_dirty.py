"""`dirty=True`: every injected problem is real, recorded exactly once, and nothing else is broken."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd
import pytest

from tests.demo.landing import ORDER_SOURCES, data_files, frame, header, rows, truth

# Canonical role -> column per source, restated from the contract (not imported from the generator).
ROLE = {
    "pos": {"order_id": "receipt_id", "ordered_at": "sold_at", "unit_price": "unit_price", "qty": "qty"},
    "ecommerce": {"order_id": "order_number", "ordered_at": "created_at", "unit_price": "price", "qty": "quantity"},
    "app": {"order_id": "order_id", "ordered_at": "event_time", "unit_price": "unit_price", "qty": "qty"},
    "marketplace": {"order_id": "mp_order_id", "ordered_at": "order_ts", "unit_price": "unit_price", "qty": "units"},
}  # fmt: skip
COLUMN_OF_REASON = {
    "unparseable number in unit_price": "unit_price",
    "unparseable date in ordered_at": "ordered_at",
    "missing required order_id": "order_id",
    "unknown currency": "currency",
    "unknown store": "store_id",
    "timestamp in the future": "ordered_at",
    "negative price": "unit_price",
}


def _price(value: str, file: str) -> float | None:
    try:
        return float(value.replace(",", ".") if file.startswith("pos_de/") else value)
    except ValueError:
        return None


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _has_problem(reason: str, row: dict, earlier: list[list], values: list, file: str, role: dict) -> bool:
    at, price = row[role["ordered_at"]], row[role["unit_price"]]
    checks = {
        "unparseable number in unit_price": lambda: price != "" and _price(price, file) is None,
        "unparseable date in ordered_at": lambda: not _valid_date(at),
        "missing required order_id": lambda: row[role["order_id"]] == "",
        "unknown currency": lambda: row["currency"] == "XXX",
        "unknown store": lambda: row["store_id"] == "S999",
        "timestamp in the future": lambda: at.startswith("2099-") and _valid_date(at),
        "negative price": lambda: _price(price, file) < 0 and int(row[role["qty"]]) > 0,
        "duplicate line key": lambda: values in earlier,
    }
    return checks[reason]()


def test_each_injected_row_really_has_its_problem(dirty_out):
    injected = truth(dirty_out, "injected.csv")
    assert not injected.duplicated(["file", "row_number"]).any()
    for file, group in injected.groupby("file"):
        source = group.source.iloc[0]
        assert file in data_files(dirty_out, source), file
        names, data = header(dirty_out, file), rows(dirty_out, file)
        for _, hit in group.iterrows():
            n = int(hit.row_number)
            row = dict(zip(names, data[n - 1], strict=True))
            assert _has_problem(hit.reason, row, data[: n - 1], data[n - 1], file, ROLE[source]), (file, n, hit.reason)


def test_dirty_run_is_the_clean_run_plus_exactly_the_injected_rows(clean_out, dirty_out):
    """Removing the duplicate copies leaves the clean file, changed only in the recorded cells."""
    injected = truth(dirty_out, "injected.csv")
    for source in ORDER_SOURCES:
        assert data_files(dirty_out, source) == data_files(clean_out, source)
        for file in data_files(clean_out, source):
            hits = injected[injected.file == file]
            copies = set(hits[hits.reason == "duplicate line key"].row_number.astype(int))
            dirty = [r for n, r in enumerate(rows(dirty_out, file), start=1) if n not in copies]
            clean = rows(clean_out, file)
            assert len(dirty) == len(clean), file
            shift = {n: n - sum(c < n for c in copies) for n in hits.row_number.astype(int)}
            expected = {
                shift[int(h.row_number)]: h.reason for _, h in hits.iterrows() if int(h.row_number) not in copies
            }
            changed = {n: (a, b) for n, (a, b) in enumerate(zip(clean, dirty, strict=True), start=1) if a != b}
            assert set(changed) == set(expected), file
            names = header(clean_out, file)
            for n, (a, b) in changed.items():
                diff = [names[i] for i in range(len(names)) if a[i] != b[i]]
                column = COLUMN_OF_REASON[expected[n]]
                assert diff == [ROLE[source].get(column, column)], (file, n, expected[n])


def test_every_reason_is_injected_at_about_its_rate(dirty_out):
    injected = truth(dirty_out, "injected.csv")
    lines = {s: sum(len(rows(dirty_out, f)) for f in data_files(dirty_out, s)) for s in ORDER_SOURCES}
    per_reason = Counter(injected.reason)
    assert set(per_reason) == set(COLUMN_OF_REASON) | {"duplicate line key"}
    assert set(injected[injected.reason == "unknown store"].source) == {"pos"}
    all_lines = sum(lines.values())
    for reason, count in per_reason.items():
        base = lines["pos"] if reason == "unknown store" else all_lines
        assert 0.0008 < count / base < 0.004, reason
    assert set(injected.source) == set(ORDER_SOURCES)


def test_file_level_problems_are_whole_files(dirty_out):
    rejected = truth(dirty_out, "rejected_files.csv")
    assert rejected.to_dict("records") == [
        {"source": "pos", "file": "pos/pos_2025-12_late.csv", "problem": "wrong header"},
        {"source": "crm_customers", "file": "crm/customers_2025-12-31_latin1.csv", "problem": "not utf-8"},
    ]
    late = header(dirty_out, "pos/pos_2025-12_late.csv")
    assert late == header(dirty_out, "pos/pos_2025-12.csv")[:7] + ["quantity_sold"] + late[8:]
    late_receipts = {r[1] for r in rows(dirty_out, "pos/pos_2025-12_late.csv")}
    assert late_receipts and all(
        not late_receipts & {r[1] for r in rows(dirty_out, f)} for f in data_files(dirty_out, "pos")
    )
    raw = (dirty_out / "crm/customers_2025-12-31_latin1.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert not text.isascii() and text.splitlines()[0] == ",".join(header(dirty_out, "crm/customers_2025-12-31.csv"))
    assert not truth(dirty_out, "injected.csv").file.isin(rejected.file).any()


def test_crm_emails_need_normalising_only_in_dirty_runs(clean_out, dirty_out):
    clean = frame(clean_out, "crm/customers_2025-12-31.csv").email
    dirty = frame(dirty_out, "crm/customers_2025-12-31.csv").email
    assert (clean == clean.str.strip().str.lower()).all()
    assert 0.005 < (dirty != dirty.str.strip().str.lower()).mean() < 0.05
    assert (dirty.str.strip().str.lower() == clean).all()


def test_clean_run_has_no_injections(clean_out):
    assert truth(clean_out, "injected.csv").empty and truth(clean_out, "rejected_files.csv").empty
    assert not list(clean_out.glob("pos/*_late.csv")) and not list(clean_out.glob("crm/*_latin1.csv"))
    for source in ORDER_SOURCES:
        table = pd.concat([frame(clean_out, f) for f in data_files(clean_out, source)])
        column = ROLE[source]
        line = {"pos": "line_no", "ecommerce": "line_id", "app": "line_no", "marketplace": "item_seq"}[source]
        assert not table.duplicated([column["order_id"], line]).any()
        assert (table[column["order_id"]] != "").all() and (table.currency != "XXX").all()
        assert table[column["ordered_at"]].str.startswith(("2024-", "2025-")).all()
