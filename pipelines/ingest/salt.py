"""One PII salt per warehouse: hashes made with another salt would split every customer in two."""

from __future__ import annotations

import hashlib

import duckdb

DDL = "CREATE TABLE IF NOT EXISTS ops.pii_salt (fingerprint VARCHAR, first_used_at TIMESTAMP)"


def fingerprint(salt: str) -> str:
    """A hash of the salt under a fixed prefix, so no PII hash in the warehouse equals it. It reveals no more
    than the PII hashes already do: guessing the salt from it is as hard as from any of them."""
    return hashlib.sha256(b"stratify: pii salt check\0" + salt.encode("utf-8")).hexdigest()


def check_salt(con: duckdb.DuckDBPyConnection, salt: str) -> None:
    """Record the salt's fingerprint on first use; refuse a different salt afterwards.

    The same email hashed with another salt is another id: identity stitching would not join the new lines to
    the customer's history, and every customer would silently start again as new. `make run` sets a demo salt
    when none is set, so a real salt set later on the demo's home is exactly this case.
    """
    con.execute(DDL)
    mine = fingerprint(salt)
    recorded = con.execute("SELECT fingerprint, first_used_at FROM ops.pii_salt LIMIT 1").fetchall()
    if not recorded:
        con.execute("INSERT INTO ops.pii_salt VALUES (?, now()::TIMESTAMP)", [mine])
        return
    if recorded[0][0] != mine:
        raise ValueError(
            "STRATIFY_PII_SALT is not the salt this warehouse's PII was hashed with (first used "
            f"{recorded[0][1]:%Y-%m-%d %H:%M} UTC): with another salt the same email or phone hashes to another id "
            "and every customer would be split in two. Set the original salt, or use a new STRATIFY_HOME."
        )
