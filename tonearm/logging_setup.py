"""Logging for the CLI and the server: one readable line per event, on stderr."""

from __future__ import annotations

import logging


def configure_logging(level: str = "info") -> None:
    """Send tonearm's logs (and the ASGI server's) to stderr at ``level``."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        force=True,
    )
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
