"""Typing and row rules as SQL, evaluated by DuckDB over a whole file at once.

Every canonical column is cast from text with TRY_CAST-style expressions; each rule is
(reason, predicate) over the text (`_t_<col>`) and typed (`<col>`) values. A row breaking several
rules is quarantined with the first, so the order of `row_rules` is the order of precedence.

Reference lookups (known currencies, stores, country names) are casts to an ENUM of the known values:
a hash lookup inside the projection, cheaper over millions of rows than a join per lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pipelines.config import CsvOptions, FileSet
from pipelines.ingest.contracts import Column, Contract

# Boolean spellings, looked up through an ENUM like other reference values: DuckDB rewrites an IN list (and
# list_contains over a constant list) of five or more values into a join, which costs more and loses the
# scan's row order that row numbers rest on (readers.record_offsets).
_BOOLEANS = {"y": True, "yes": True, "true": True, "t": True, "1": True}
_BOOLEANS |= {"n": False, "no": False, "false": False, "f": False, "0": False}


EARLIEST_ORDER = "1990-01-01"

# Reasons judged before the row rules, from how the row was read (loader._judge_sql): its values cannot be
# told apart, so no rule could be checked on them.
LONGER_THAN_HEADER = "more fields than the header"  # a CSV row: an unquoted comma shifts every later value
MALFORMED_JSON = "malformed JSON line"


@dataclass(frozen=True)
class RuleContext:
    """What reference data exists to check against, and its known values."""

    check_currency: bool  # currencies must be the base currency or have FX rates
    check_store: bool  # store ids must exist in raw.stores
    currencies: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()


def sql_enum(values) -> str:
    """An ENUM type of the distinct values, for a join-free membership test: TRY_CAST(x AS ENUM(...))."""
    unique = sorted({str(v) for v in values if v is not None})
    return "ENUM(" + ", ".join("'" + v.replace("'", "''") + "'" for v in unique) + ")"


def _unknown(column: str, known: tuple[str, ...]) -> str:
    """True when a present value is not among the known ones (none known: every present value)."""
    if not known:
        return f"{column} IS NOT NULL"
    return f"{column} IS NOT NULL AND TRY_CAST({column} AS {sql_enum(known)}) IS NULL"


def country_lookup(text: str, countries: list[tuple[str, str, int | None]]) -> tuple[str, str]:
    """SQL for (ISO alpha-2, calling code) of a country name or code, from ref.countries rows.

    The text's position in an ENUM of the keys indexes lists of the answers: a hash lookup per row.
    """
    rows = sorted(countries)
    position = f"enum_code(TRY_CAST(lower({text}) AS {sql_enum(k for k, _, _ in rows)})) + 1"
    alpha2 = "[" + ", ".join(f"'{a}'" for _, a, _ in rows) + "]"
    codes = "[" + ", ".join("NULL" if c is None else str(int(c)) for _, _, c in rows) + "]"
    return f"{alpha2}[{position}]", f"CAST({codes}[{position}] AS INTEGER)"


def casts_through_spaces(col: Column, fileset: FileSet) -> bool:
    """True when the column's cast ignores surrounding spaces, so its text is not trimmed first.

    DuckDB's number, date and timestamp casts accept padded text; trimming costs ~0.1 s per column per
    3.5M lines, and such columns are half of an order line's. Formats given to strptime are exact, so
    dates read with `timestamp_format` are still trimmed.
    """
    if col.kind not in ("plain", "row_number") or col.sql_type == "VARCHAR":
        return False
    return col.sql_type not in ("DATE", "TIMESTAMP", "TIMESTAMPTZ") or not fileset.timestamp_format


def _blank(col: Column, fileset: FileSet | None) -> str:
    """True when the column's text is missing. Texts arrive with '' as NULL (see loader._text_of) and trimmed,
    except where `casts_through_spaces`: there only a value that did not cast is checked for spaces."""
    text = f"_t_{col.name}"
    if fileset is not None and casts_through_spaces(col, fileset):
        return f"({col.name} IS NULL AND ({text} IS NULL OR trim({text}) = ''))"
    return f"({text} IS NULL)"


# In a decimal-comma file a dot may only group thousands (1.234,50): '4.46' there is a price written with a
# decimal point, and dropping the dot made it 446. Such text is left unparseable, so the row is quarantined.
_GROUPED = r"\s*[+-]?\d{1,3}(\.\d{3})+(,\d*)?\s*"
# A whole number may be written as 2 or 2.0 (a float column); DuckDB's cast rounds 1.5 to 2, which turned a
# broken line number into its neighbour's (and the neighbour into a duplicate).
_WHOLE = r"\s*[+-]?\d+(\.0*)?\s*"


def _number(text: str, csv: CsvOptions | None) -> str:
    if csv is not None and csv.decimal == ",":
        return (
            f"CASE WHEN NOT contains({text}, '.') OR regexp_full_match({text}, '{_GROUPED}') "
            f"THEN replace(replace({text}, '.', ''), ',', '.') END"
        )
    return text


def _whole_number(text: str) -> str:
    """The text when it is a whole number; the regular expression runs only on texts holding a dot."""
    return f"CASE WHEN NOT contains({text}, '.') OR regexp_full_match({text}, '{_WHOLE}') THEN {text} END"


def _phone_e164(text: str) -> str:
    """National or international phone text -> +<country code><number>, using the row's country."""
    d = f"regexp_replace({text}, '[^0-9+]', '', 'g')"
    return (
        f"CASE WHEN {d} = '' THEN NULL WHEN {d} LIKE '+%' THEN '+' || replace(substr({d}, 2), '+', '') "
        f"WHEN {d} LIKE '00%' THEN '+' || substr({d}, 3) WHEN _rc_calling_code IS NULL THEN NULL "
        f"WHEN {d} LIKE '0%' THEN '+' || _rc_calling_code || substr({d}, 2) "
        f"ELSE '+' || _rc_calling_code || {d} END"
    )


def pii_hash(col: Column, value: str) -> str:
    """SQL hashing a PII column's pre-image `value` (see typed_expression) with the load's salt.

    A phone is put in E.164 form first, from the row's country's `_rc_calling_code`. Applied once per
    distinct value, not per row: a customer's email rides on each of their ~30 order lines, and the phone's
    regular expression and the SHA-256 cost 1.5 s a row at a time over 3M web order lines.
    """
    if col.kind == "pii_email":
        return f"sha256(getvariable('pii_salt') || {value})"
    return f"sha256(getvariable('pii_salt') || ({_phone_e164(value)}))"


def typed_expression(col: Column, fileset: FileSet) -> str:
    """SQL giving the column's typed value (for PII, its pre-image) from its text `_t_<name>`.

    The row's country arrives looked up as `_rc_alpha2` and `_rc_calling_code` (see country_lookup). PII
    is hashed by `pii_hash` where rows are stored; its pre-image here is the lower-cased email, or the phone's
    text (its calling code travels beside it).
    """
    text = f"_t_{col.name}"
    csv = fileset.csv if fileset.format == "csv" else None
    if col.kind == "pii_email":
        return f"lower({text})"
    if col.kind == "pii_phone":
        return text
    if col.kind == "country":
        return "_rc_alpha2"
    if col.kind == "boolean":
        spellings = sorted(_BOOLEANS)
        values = "[" + ", ".join(str(_BOOLEANS[k]).lower() for k in spellings) + "]"
        return f"{values}[enum_code(TRY_CAST(lower({text}) AS {sql_enum(spellings)})) + 1]"
    if col.kind == "currency" or col.name == "currency":
        return f"upper({text})"
    if col.sql_type == "VARCHAR":
        return text
    if col.sql_type in ("INTEGER", "BIGINT"):
        return f"TRY_CAST({_whole_number(_number(text, csv))} AS {col.sql_type})"
    if col.sql_type.startswith(("DECIMAL", "DOUBLE")):
        return f"TRY_CAST({_number(text, csv)} AS {col.sql_type})"
    if fileset.timestamp_format and col.sql_type in ("DATE", "TIMESTAMP", "TIMESTAMPTZ"):
        fmt = fileset.timestamp_format.replace("'", "''")
        return f"CAST(try_strptime({text}, '{fmt}') AS {col.sql_type})"
    return f"TRY_CAST({text} AS {col.sql_type})"


def _kind_word(col: Column) -> str:
    if col.sql_type in ("DATE", "TIMESTAMP", "TIMESTAMPTZ"):
        return "date"
    return "boolean" if col.kind == "boolean" else "number"


def row_rules(
    contract: Contract, ctx: RuleContext, skip_required: set[str] = frozenset(), fileset: FileSet | None = None
) -> list[tuple[str, str]]:
    """The ordered (reason, SQL predicate) list for one contract; a true predicate breaks the rule.

    `skip_required`: columns filled after the rules run (row numbers of exports without line ids).
    `fileset`: the files judged, which decides which texts arrive untrimmed (None: all trimmed).
    """
    rules = [
        (f"missing required {c.name}", _blank(c, fileset))
        for c in contract.columns
        if c.required and c.name not in skip_required
    ]
    for c in contract.columns:
        typed = c.sql_type != "VARCHAR" and not c.kind.startswith("pii_") and c.kind != "country"
        if typed or c.kind == "boolean":
            rules.append(
                (
                    f"unparseable {_kind_word(c)} in {c.name}",
                    f"NOT {_blank(c, fileset)} AND {c.name} IS NULL",
                )
            )
        if c.kind == "country":
            rules.append(("unknown country", f"NOT {_blank(c, fileset)} AND {c.name} IS NULL"))
        if c.kind == "currency" and ctx.check_currency:
            rules.append(("unknown currency", _unknown(c.name, ctx.currencies)))
        if c.kind == "store" and ctx.check_store:
            rules.append(("unknown store", _unknown(c.name, ctx.stores)))
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
        # A placeholder date (1900-01-01, 0001-01-01) is a missing timestamp, not an order: loaded, it made every
        # customer decades old and every snapshot stale. No retailer's tiers need orders from before 1990.
        rules.append((f"timestamp before {EARLIEST_ORDER}", f"ordered_at < {ts_type} '{EARLIEST_ORDER} 00:00:00'"))
    return rules


def reason_expression(
    contract: Contract, ctx: RuleContext, fileset: FileSet, skip_required: set[str] = frozenset()
) -> str:
    """A SQL CASE giving the first broken rule's reason, or NULL for a valid row."""
    rules = row_rules(contract, ctx, skip_required, fileset)
    whens = " ".join(f"WHEN {pred} THEN '{reason}'" for reason, pred in rules)
    return f"CASE {whens} ELSE NULL END"


def duplicate_reason(contract: Contract) -> str:
    return "duplicate line key" if "line_number" in contract.key else "duplicate key"
