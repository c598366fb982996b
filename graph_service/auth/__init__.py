"""Accounts, roles, sign-in tokens and the one permission function every route and page asks."""
