"""SQL literals for the statements DuckDB takes no parameters in (COPY, ATTACH, read_csv options)."""

from __future__ import annotations

from datetime import date
from pathlib import Path


def sql_str(value: str | Path) -> str:
    """A string literal: single quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def date_list(dates: list[str]) -> str:
    """DATE literals for ISO dates, each parsed first, so nothing but a date reaches the statement."""
    return ", ".join(f"DATE '{date.fromisoformat(d).isoformat()}'" for d in dates)
