"""Persistence: the registry's models, engine and sessions, and migrations."""
