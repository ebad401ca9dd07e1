"""Known problems at known rates, for `--dirty` runs: the answer key for the quarantine.

Each affected row gets exactly one problem, so the pipeline's first-matching rule must name exactly
the recorded reason. Reasons are the pipeline's rule names with canonical column names. Injection
touches only the few chosen rows (Python per chosen row is fine: ~1.6% of rows) and inserts duplicate
copies with one vectorised `take`. File-level problems (a renamed header, a cp1252 CRM file) are
whole extra files, recorded in rejected_files.csv rather than per row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RATE = 0.002  # share of lines per kind of problem
# Canonical role -> the column holding it in each order-line source.
_ROLE_NAMES = ("order_id", "ordered_at", "unit_price", "qty")
ROLES = {
    source: dict(zip(_ROLE_NAMES, columns, strict=True))
    for source, columns in {
        "pos": ("receipt_id", "sold_at", "unit_price", "qty"),
        "ecommerce": ("order_number", "created_at", "price", "quantity"),
        "app": ("order_id", "event_time", "unit_price", "qty"),
        "marketplace": ("mp_order_id", "order_ts", "unit_price", "units"),
    }.items()
}
BAD_NUMBER = "unparseable number in unit_price"
BAD_DATE = "unparseable date in ordered_at"
NO_ORDER_ID = "missing required order_id"
BAD_CURRENCY = "unknown currency"
BAD_STORE = "unknown store"
FUTURE = "timestamp in the future"
NEGATIVE = "negative price"
DUPLICATE = "duplicate line key"
REASONS = (BAD_NUMBER, BAD_DATE, NO_ORDER_ID, BAD_CURRENCY, BAD_STORE, FUTURE, NEGATIVE, DUPLICATE)
WRONG_HEADER = "wrong header"
NOT_UTF8 = "not utf-8"


def _future(stamp: str) -> str:
    """Year 2099, still a valid date (2099 is no leap year, so 29 February becomes the 28th)."""
    moved = "2099" + stamp[4:]
    return moved[:5] + "02-28" + moved[10:] if moved[5:10] == "02-29" else moved


# reason -> (role or column, how the chosen value is broken)
EDITS: dict[str, tuple[str, Callable[[str], str]]] = {
    BAD_NUMBER: ("unit_price", lambda v: f"{v[:-1]}x{v[-1:]}"),  # '12.50' -> '12.5x0', '12,50' -> '12,5x0'
    BAD_DATE: ("ordered_at", lambda v: v[:5] + "13-45" + v[10:]),  # month 13, day 45, rest unchanged
    NO_ORDER_ID: ("order_id", lambda v: ""),
    BAD_CURRENCY: ("currency", lambda v: "XXX"),
    BAD_STORE: ("store_id", lambda v: "S999"),
    FUTURE: ("ordered_at", _future),
    NEGATIVE: ("unit_price", lambda v: "-" + v),
}


def reasons_for(source: str) -> tuple[str, ...]:
    """Row problems that make sense for a source: only POS files have a store column."""
    return tuple(r for r in REASONS if r != BAD_STORE or source == "pos")


def inject(table: pa.Table, source: str, rng: np.random.Generator) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Break ~RATE of the rows per kind; return the new table and (0-based row, reason) of each."""
    n = table.num_rows
    free = np.ones(n, dtype=bool)  # rows not chosen yet: one problem per row, originals stay clean
    positive = ~np.asarray(pc.starts_with(table.column(ROLES[source]["qty"]), "-").to_numpy(zero_copy_only=False))
    chosen: dict[str, np.ndarray] = {}
    for reason in reasons_for(source):
        candidates = np.flatnonzero(free & positive if reason == NEGATIVE else free)
        k = min(len(candidates), int(n * RATE + rng.random()))  # stochastic rounding keeps the rate exact
        chosen[reason] = np.sort(rng.choice(candidates, k, replace=False))
        free[chosen[reason]] = False
    for reason, rows in chosen.items():
        if reason != DUPLICATE and len(rows):
            table = _edit(table, ROLES[source].get(EDITS[reason][0], EDITS[reason][0]), rows, EDITS[reason][1])
    return _duplicate(table, chosen, rng)


def _edit(table: pa.Table, column: str, rows: np.ndarray, how: Callable[[str], str]) -> pa.Table:
    col = table.column(column).combine_chunks()
    new = pa.array([how(v) for v in col.take(pa.array(rows)).to_pylist()], type=pa.string())
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    fixed = pc.replace_with_mask(col, pa.array(mask), new)
    return table.set_column(table.column_names.index(column), column, fixed)


def _duplicate(table: pa.Table, chosen: dict[str, np.ndarray], rng) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Insert an exact copy of each chosen original somewhere after it; renumber all chosen rows."""
    n = table.num_rows
    originals = chosen.pop(DUPLICATE)
    at = rng.integers(originals + 1, n + 1) if len(originals) else originals
    order = np.insert(np.arange(n), at, originals)
    is_copy = np.insert(np.zeros(n, dtype=bool), at, True)
    new_row = np.flatnonzero(~is_copy)  # new position of each original row
    found = [(int(r), reason) for reason, rows in chosen.items() for r in new_row[rows]]
    found += [(int(r), DUPLICATE) for r in np.flatnonzero(is_copy)]
    return table.take(pa.array(order)), sorted(found)


def late_pos(sample: pa.Table, first_receipt: int) -> pa.Table:
    """A late POS delivery whose export renamed `qty`: the whole file must be rejected.

    Its lines copy real ones but carry fresh receipt ids, so receipt ids stay unique across files.
    """
    receipts = sample.column("receipt_id").combine_chunks()
    number = pc.add(pc.index_in(receipts, value_set=receipts.unique()), first_receipt)
    fresh = pc.binary_join_element_wise("R", pc.utf8_lpad(pc.cast(number, pa.string()), 10, "0"), "")
    table = sample.set_column(sample.column_names.index("receipt_id"), "receipt_id", fresh)
    return table.rename_columns(["quantity_sold" if c == "qty" else c for c in table.column_names])
