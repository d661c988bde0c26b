"""Accounts, roles and login sessions."""
