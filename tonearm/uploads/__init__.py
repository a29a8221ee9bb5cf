"""Uploads: staging, the one pipeline into the registry, quotas and the sweep (README.md)."""
