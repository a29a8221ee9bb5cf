"""Logging for the CLI and the server: one readable line per event, on stderr."""

from __future__ import annotations

import logging

# Libraries whose chatter stays out of even a debug log. aiosqlite's DEBUG lines carry every
# statement's parameters: password hashes and the hashes of session and token secrets.
LIBRARY_LOG_LEVELS = {
    "sqlalchemy": logging.WARNING,
    "alembic": logging.WARNING,
    "aiosqlite": logging.INFO,
    # huey logs every task it runs at INFO; tonearm logs what a job did itself.
    "huey": logging.WARNING,
}


def configure_logging(level: str = "info") -> None:
    """Send tonearm's logs (and the ASGI server's) to stderr at ``level``."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        force=True,
    )
    for name, library_level in LIBRARY_LOG_LEVELS.items():
        logging.getLogger(name).setLevel(library_level)
