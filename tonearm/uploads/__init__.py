"""Uploads: staging, the pipeline into tracks, resumable (tus) uploads (see README.md)."""
