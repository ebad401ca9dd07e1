"""Row rules as SQL predicates, evaluated by DuckDB over a whole file at once.

Each rule is (reason, predicate over the text columns `t` and the cast columns `c`). A row breaking
several rules is quarantined with the first one, so the order below is the order of precedence.
"""

from __future__ import annotations

from pipelines.ingest.contracts import Contract


def _is_blank(col: str) -> str:
    return f"(t.{col} IS NULL OR trim(t.{col}) = '')"


def row_rules(contract: Contract) -> list[tuple[str, str]]:
    """The ordered (reason, SQL predicate) list for one contract; a true predicate breaks the rule."""
    rules: list[tuple[str, str]] = []
    for col in contract.columns:
        if col.required:
            rules.append((f"missing required {col.name}", _is_blank(col.name)))
    for col in contract.columns:
        if col.sql_type != "VARCHAR":
            kind = "date" if col.sql_type in ("DATE", "TIMESTAMP") else "number"
            rules.append(
                (f"unparseable {kind} in {col.name}", f"NOT {_is_blank(col.name)} AND c.{col.name} IS NULL")
            )
    names = set(contract.names)
    if "unit_price" in names:
        rules.append(("negative price", "c.unit_price < 0"))
    if "ordered_at" in names:
        rules.append(("timestamp in the future", "c.ordered_at > now()::TIMESTAMP + INTERVAL 1 DAY"))
    return rules


def reason_expression(contract: Contract) -> str:
    """A SQL CASE giving the first broken rule's reason, or NULL for a valid row."""
    whens = "\n".join(f"    WHEN {pred} THEN '{reason}'" for reason, pred in row_rules(contract))
    return f"CASE\n{whens}\n    ELSE NULL\n  END"
