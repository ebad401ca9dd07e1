"""Canonical contracts: the columns each known source provides (docs/data-contract.md).

The set of sources is fixed so that the asset graph is the same whatever a user's config holds; a
source missing from the config still gets an empty, correctly typed raw table, so dbt runs unchanged.
Column kinds drive validation: `pii_email`/`pii_phone` are normalised and hashed at ingestion (the
clear text never reaches the warehouse), `country` accepts ISO codes or English names, `currency`
must be known, `store` must exist in the stores source.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # DuckDB type the text is cast to
    required: bool = False
    kind: str = "plain"  # plain | pii_email | pii_phone | country | currency | store | boolean | row_number

    @property
    def stored_name(self) -> str:
        """PII columns are stored only as salted hashes, under a name that says so."""
        return f"{self.name}_hash" if self.kind.startswith("pii_") else self.name


@dataclass(frozen=True)
class Contract:
    source: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # a row's identity within the source; duplicates are quarantined
    depends_on: tuple[str, ...] = ()  # reference sources loaded first (stores, FX rates)

    @property
    def is_event(self) -> bool:
        """Event sources (order lines) are append-only; re-sent keys are duplicates, not updates."""
        return "ordered_at" in self.names

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _order_lines(*, local_time: bool, customer: Column, extra: tuple[Column, ...] = ()) -> tuple[Column, ...]:
    ts = "TIMESTAMP" if local_time else "TIMESTAMPTZ"
    return (
        Column("order_id", "VARCHAR", required=True),
        # Exports without line ids (one row per line) get the row's number in its file.
        Column("line_number", "INTEGER", required=True, kind="row_number"),
        customer,
        Column("ordered_at", ts, required=True),
        Column("sku", "VARCHAR"),
        Column("category", "VARCHAR"),
        Column("quantity", "DECIMAL(18,3)", required=True),
        Column("unit_price", "DECIMAL(18,4)", required=True),
        Column("discount", "DECIMAL(18,4)"),
        Column("currency", "VARCHAR", required=True, kind="currency"),
        Column("is_return", "BOOLEAN", kind="boolean"),
        *extra,
    )


_REFS = ("stores", "fx_rates")

CONTRACTS: dict[str, Contract] = {
    c.source: c
    for c in (
        Contract(
            "stores",
            "Stores: country, city, IANA time zone and currency of each store.",
            (
                Column("store_id", "VARCHAR", required=True),
                Column("country", "VARCHAR", required=True, kind="country"),
                Column("city", "VARCHAR"),
                Column("timezone", "VARCHAR", required=True),
                Column("currency", "VARCHAR", required=True),
                Column("opened_date", "DATE"),
            ),
            key=("store_id",),
        ),
        Contract(
            "fx_rates",
            "Daily FX rates: base-currency units per unit of each currency.",
            (
                Column("rate_date", "DATE", required=True),
                Column("currency", "VARCHAR", required=True),
                Column("rate", "DECIMAL(18,8)", required=True),
            ),
            key=("rate_date", "currency"),
        ),
        Contract(
            "crm_customers",
            "CRM customer master: loyalty members, contact (hashed), profile, consent.",
            (
                Column("loyalty_id", "VARCHAR", required=True),
                Column("email", "VARCHAR", kind="pii_email"),
                Column("phone", "VARCHAR", kind="pii_phone"),
                Column("birth_year", "INTEGER"),
                Column("gender", "VARCHAR"),
                Column("city", "VARCHAR"),
                Column("country", "VARCHAR", kind="country"),
                Column("signup_date", "DATE"),
                Column("profiling_consent", "BOOLEAN", kind="boolean"),
                Column("app_user_id", "VARCHAR"),
            ),
            key=("loyalty_id",),
        ),
        Contract(
            "pos",
            "Store point-of-sale lines in the store's local time; customer_id is the scanned loyalty id.",
            _order_lines(
                local_time=True,
                customer=Column("customer_id", "VARCHAR"),
                extra=(Column("store_id", "VARCHAR", required=True, kind="store"),),
            ),
            key=("order_id", "line_number"),
            depends_on=_REFS,
        ),
        Contract(
            "ecommerce",
            "Web shop order lines; the customer is known by email, with a delivery phone when given (both hashed).",
            _order_lines(
                local_time=False,
                customer=Column("email", "VARCHAR", kind="pii_email"),
                extra=(Column("country", "VARCHAR", kind="country"), Column("phone", "VARCHAR", kind="pii_phone")),
            ),
            key=("order_id", "line_number"),
            depends_on=_REFS,
        ),
        Contract(
            "app",
            "App order lines; the customer is the app user id, with a hashed device id.",
            _order_lines(
                local_time=False,
                customer=Column("customer_id", "VARCHAR"),
                extra=(
                    Column("device_id_hash", "VARCHAR"),
                    Column("country", "VARCHAR", kind="country"),
                    Column("email", "VARCHAR", kind="pii_email"),  # the app account's login, when exported
                ),
            ),
            key=("order_id", "line_number"),
            depends_on=_REFS,
        ),
        Contract(
            "orders",
            "Any other order-line export (web shop, ERP) with its own customer id; UTC unless offset.",
            _order_lines(
                local_time=False,
                customer=Column("customer_id", "VARCHAR"),
                extra=(Column("country", "VARCHAR", kind="country"),),
            ),
            key=("order_id", "line_number"),
            depends_on=_REFS,
        ),
        Contract(
            "marketplace",
            "Third-party marketplace lines; buyer id, a loyalty id when the buyer linked one, and the delivery "
            "phone (hashed) on orders the retailer ships.",
            _order_lines(
                local_time=False,
                customer=Column("customer_id", "VARCHAR"),
                extra=(
                    Column("loyalty_id", "VARCHAR"),
                    Column("country", "VARCHAR", kind="country"),
                    Column("phone", "VARCHAR", kind="pii_phone"),
                ),
            ),
            key=("order_id", "line_number"),
            depends_on=_REFS,
        ),
    )
}
