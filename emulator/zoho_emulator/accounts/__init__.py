"""Zoho Accounts: the OAuth refresh grant, and the access-token checks every API performs."""
