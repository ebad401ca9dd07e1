"""Publish: tier tables for BI tools, in a separate DuckDB file swapped in atomically, plus Parquet."""
