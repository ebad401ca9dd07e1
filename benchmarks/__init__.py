"""Stratify's benchmark suite (issue #10): `python -m benchmarks.run --scale small` or `make bench`."""
