"""Funds: money from funders, grants, payments, claims with receipts, the double-entry ledger."""
