"""Accounts: users, their credentials, password rules and hashing, and the sign-up / sign-in service."""
