"""Synthetic demo data. Shares no code with the stages it feeds, so it cannot hide their bugs."""
