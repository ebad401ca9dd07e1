"""Stratify: stratify a multi-channel retailer's customers into tiers, on a schedule."""
