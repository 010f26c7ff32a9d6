"""Transactional outbox: work queued in the caller's transaction, delivered exactly once."""
