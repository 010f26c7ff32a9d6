"""Proposals: residents' investment ideas, their screening, support, comments and delivery."""
