"""Drift: each snapshot compared with the one before it."""
