"""Apply Alembic migrations from code (``tonearm migrate`` and ``tonearm serve``).

Alembic's async ``env.py`` runs its own event loop, so call these before the server's loop
starts, never from inside it.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from tonearm.db.engine import ensure_sqlite_folder, parse_database_url

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointed at tonearm's migrations and the given database."""
    parse_database_url(database_url)
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    """Apply every pending migration."""
    ensure_sqlite_folder(database_url)
    command.upgrade(alembic_config(database_url), "head")
