"""Accounts: users, passwords, browser sessions, API tokens and login rate limits."""
