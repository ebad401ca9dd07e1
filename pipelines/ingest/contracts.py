"""Canonical contracts: the columns each known source must provide (docs/data-contract.md).

The set of sources is fixed so that the asset graph is the same whatever a user's config holds; a
source missing from the config still gets an empty, correctly typed raw table, so dbt runs unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # DuckDB type the text is cast to
    required: bool = False


@dataclass(frozen=True)
class Contract:
    source: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # a row's identity within the source; duplicates are quarantined

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


_ORDER_LINE_COLUMNS = (
    Column("order_id", "VARCHAR", required=True),
    Column("line_number", "INTEGER", required=True),
    Column("customer_id", "VARCHAR"),
    Column("ordered_at", "TIMESTAMP", required=True),
    Column("sku", "VARCHAR"),
    Column("quantity", "INTEGER", required=True),
    Column("unit_price", "DECIMAL(18,4)", required=True),
)

CONTRACTS: dict[str, Contract] = {
    "pos": Contract(
        "pos",
        "Store point-of-sale lines; customer_id is the loyalty id when scanned.",
        _ORDER_LINE_COLUMNS,
        key=("order_id", "line_number"),
    ),
    "ecommerce": Contract(
        "ecommerce",
        "Web shop order lines; customer_id is the shop's customer reference.",
        _ORDER_LINE_COLUMNS,
        key=("order_id", "line_number"),
    ),
}
