"""Accounts service: caisses, partners, accounts, authentication."""
