"""Funds, grants and the ledger (built by the money-half issues)."""
