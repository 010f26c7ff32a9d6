"""Audit trail: append-only, hash-chained events written through one function."""
