"""Accounts: the custom user model (email is the login)."""
