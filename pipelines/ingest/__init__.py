"""Ingest: landed files -> raw.<source> tables, with a load ledger and a quarantine for bad rows."""
