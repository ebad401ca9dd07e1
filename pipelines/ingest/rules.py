"""Typing and row rules as SQL, evaluated by DuckDB over a whole file at once.

Every canonical column is cast from text with TRY_CAST-style expressions; each rule is
(reason, predicate) over the text (`_t_<col>`) and typed (`<col>`) values. A row breaking several
rules is quarantined with the first, so the order of `row_rules` is the order of precedence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pipelines.config import CsvOptions, FileSet
from pipelines.ingest.contracts import Column, Contract

_TRUE = "('y', 'yes', 'true', 't', '1')"
_FALSE = "('n', 'no', 'false', 'f', '0')"


@dataclass(frozen=True)
class RuleContext:
    """What reference data exists to check against."""

    check_currency: bool  # currencies must be the base currency or have FX rates
    check_store: bool  # store ids must exist in raw.stores


def _blank(expr: str) -> str:
    """Texts arrive trimmed with '' as NULL (see loader._text_of), so blank is just NULL."""
    return f"({expr} IS NULL)"


def _number(text: str, csv: CsvOptions | None) -> str:
    if csv is not None and csv.decimal == ",":
        return f"replace(replace({text}, '.', ''), ',', '.')"
    return text


def _phone_e164(text: str) -> str:
    """National or international phone text -> +<country code><number>, using the row's country."""
    d = f"regexp_replace({text}, '[^0-9+]', '', 'g')"
    return (
        f"CASE WHEN {d} = '' THEN NULL WHEN {d} LIKE '+%' THEN '+' || replace(substr({d}, 2), '+', '') "
        f"WHEN {d} LIKE '00%' THEN '+' || substr({d}, 3) WHEN _rc.calling_code IS NULL THEN NULL "
        f"WHEN {d} LIKE '0%' THEN '+' || _rc.calling_code || substr({d}, 2) "
        f"ELSE '+' || _rc.calling_code || {d} END"
    )


def typed_expression(col: Column, fileset: FileSet) -> str:
    """SQL giving the column's typed (or, for PII, hashed) value from its text `_t_<name>`."""
    text = f"_t_{col.name}"
    csv = fileset.csv if fileset.format == "csv" else None
    if col.kind == "pii_email":
        return f"sha256(getvariable('pii_salt') || lower({text}))"
    if col.kind == "pii_phone":
        return f"sha256(getvariable('pii_salt') || ({_phone_e164(text)}))"
    if col.kind == "country":
        return "_rc.alpha2"
    if col.kind == "boolean":
        return f"CASE WHEN lower({text}) IN {_TRUE} THEN true WHEN lower({text}) IN {_FALSE} THEN false END"
    if col.kind == "currency" or col.name == "currency":
        return f"upper({text})"
    if col.sql_type == "VARCHAR":
        return text
    if col.sql_type.startswith(("DECIMAL", "INTEGER", "BIGINT", "DOUBLE")):
        return f"TRY_CAST({_number(text, csv)} AS {col.sql_type})"
    if fileset.timestamp_format and col.sql_type in ("DATE", "TIMESTAMP", "TIMESTAMPTZ"):
        fmt = fileset.timestamp_format.replace("'", "''")
        return f"CAST(try_strptime({text}, '{fmt}') AS {col.sql_type})"
    return f"TRY_CAST({text} AS {col.sql_type})"


def _kind_word(col: Column) -> str:
    if col.sql_type in ("DATE", "TIMESTAMP", "TIMESTAMPTZ"):
        return "date"
    return "boolean" if col.kind == "boolean" else "number"


def row_rules(contract: Contract, ctx: RuleContext) -> list[tuple[str, str]]:
    """The ordered (reason, SQL predicate) list for one contract; a true predicate breaks the rule."""
    rules = [(f"missing required {c.name}", _blank(f"_t_{c.name}")) for c in contract.columns if c.required]
    for c in contract.columns:
        typed = c.sql_type != "VARCHAR" and not c.kind.startswith("pii_") and c.kind != "country"
        if typed or c.kind == "boolean":
            rules.append(
                (
                    f"unparseable {_kind_word(c)} in {c.name}",
                    f"NOT {_blank(f'_t_{c.name}')} AND {c.name} IS NULL",
                )
            )
        if c.kind == "country":
            rules.append(("unknown country", f"NOT {_blank(f'_t_{c.name}')} AND {c.name} IS NULL"))
        if c.kind == "currency" and ctx.check_currency:
            rules.append(("unknown currency", f"{c.name} NOT IN (SELECT currency FROM _known_currencies)"))
        if c.kind == "store" and ctx.check_store:
            rules.append(("unknown store", f"{c.name} NOT IN (SELECT store_id FROM raw.stores)"))
    names = set(contract.names)
    if "unit_price" in names:
        rules.append(("negative price", "unit_price < 0"))
    if "rate" in names:
        rules.append(("non-positive rate", "rate <= 0"))
    if "ordered_at" in names:
        # A constant cut-off in the column's own type: casting every row to TIMESTAMPTZ costs seconds per 10M.
        cutoff = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
        ts_type = contract.column("ordered_at").sql_type
        rules.append(("timestamp in the future", f"ordered_at > {ts_type} '{cutoff}'"))
    return rules


def reason_expression(contract: Contract, ctx: RuleContext) -> str:
    """A SQL CASE giving the first broken rule's reason, or NULL for a valid row."""
    whens = " ".join(f"WHEN {pred} THEN '{reason}'" for reason, pred in row_rules(contract, ctx))
    return f"CASE {whens} ELSE NULL END"


def duplicate_reason(contract: Contract) -> str:
    return "duplicate line key" if "line_number" in contract.key else "duplicate key"
