"""One PII salt per warehouse: hashes made with another salt would split every customer in two."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

DDL = "CREATE TABLE IF NOT EXISTS ops.pii_salt (fingerprint VARCHAR, first_used_at TIMESTAMP)"


def fingerprint(salt: str) -> str:
    """A hash of the salt under a fixed prefix, so no PII hash in the warehouse equals it. It reveals no more
    than the PII hashes already do: guessing the salt from it is as hard as from any of them."""
    return hashlib.sha256(b"stratify: pii salt check\0" + salt.encode("utf-8")).hexdigest()


def recorded_fingerprint(warehouse: Path) -> tuple[str, object] | None:
    """The warehouse's salt fingerprint and first use, read-only; None when there is none or the file is held
    (the ingest steps check again, under their own connection)."""
    if not warehouse.exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute("SELECT fingerprint, first_used_at FROM ops.pii_salt ORDER BY first_used_at").fetchall()
    except (duckdb.IOException, duckdb.CatalogException):
        return None
    return rows[0] if rows else None


def mismatch(recorded: tuple[str, object], salt: str) -> str | None:
    """Why `salt` may not be used on a warehouse whose PII was hashed with the recorded one; None if it may."""
    fingerprint_, first_used = recorded
    if fingerprint_ == fingerprint(salt):
        return None
    return (
        "STRATIFY_PII_SALT is not the salt this warehouse's PII was hashed with (first used "
        f"{first_used:%Y-%m-%d %H:%M} UTC): with another salt the same email or phone hashes to another id "
        "and every customer would be split in two. Set the original salt, or use a new STRATIFY_HOME."
    )


def check_salt(con: duckdb.DuckDBPyConnection, salt: str) -> None:
    """Record the salt's fingerprint on first use; refuse a different salt afterwards.

    The same email hashed with another salt is another id: identity stitching would not join the new lines to
    the customer's history, and every customer would silently start again as new. `make run` sets a demo salt
    when none is set, so a real salt set later on the demo's home is exactly this case.
    """
    con.execute(DDL)
    recorded = con.execute("SELECT fingerprint, first_used_at FROM ops.pii_salt ORDER BY first_used_at").fetchall()
    if not recorded:
        con.execute("INSERT INTO ops.pii_salt VALUES (?, now()::TIMESTAMP)", [fingerprint(salt)])
        return
    problem = mismatch(recorded[0], salt)
    if problem:
        raise ValueError(problem)
