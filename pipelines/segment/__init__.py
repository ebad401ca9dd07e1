"""Segment: features -> customer segments per snapshot (plain scikit-learn behind thin assets)."""
